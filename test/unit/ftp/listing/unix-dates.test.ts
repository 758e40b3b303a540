import { describe, expect, it } from 'vitest'
import { parseUnixLine } from '../../../../src/ftp/listing/unix.js'

const utc = (iso: string) => new Date(iso)
/** A fixed "now" in mid-year, so year inference is not in play unless a test wants it. */
const now = utc('2024-06-15T12:00:00Z')

describe('parseUnixLine: months', () => {
  const cases: Array<[string, number]> = [
    ['jan', 1],
    ['FEB', 2],
    ['Mär', 3], // German
    ['Mrz', 3], // German (older glibc)
    ['mars', 3], // French
    ['avr.', 4], // French, with its dot
    ['Mai', 5], // German, French
    ['mei', 5], // Dutch
    ['juin', 6], // French
    ['juil.', 7], // French
    ['août', 8], // French
    ['ago', 8], // Spanish, Italian, Portuguese
    ['set', 9], // Italian, Portuguese
    ['Okt', 10], // German, Dutch
    ['out', 10], // Portuguese
    ['Dez', 12], // German, Portuguese
    ['dic', 12], // Spanish, Italian
    ['déc.', 12], // French
  ]
  it.each(cases)('%s is month %i', (month, number) => {
    const info = parseUnixLine(`-rw-r--r-- 1 u g 1 ${month} 2 2020 f`, { now })
    expect(info?.modified?.getUTCMonth()).toBe(number - 1)
    expect(info?.name).toBe('f')
  })
})

describe('parseUnixLine: year inference', () => {
  const line = (date: string) => `-rw-r--r-- 1 u g 1 ${date} f`
  // [label, LIST date, now, server offset in minutes, expected UTC]
  const cases: Array<[string, string, string, number | undefined, string]> = [
    [
      'Dec 31 in early January is last year',
      'Dec 31 23:59',
      '2024-01-01T00:30:00Z',
      undefined,
      '2023-12-31T23:59:00.000Z',
    ],
    [
      'Jan 1 just after New Year is this year',
      'Jan  1 00:10',
      '2024-01-01T00:30:00Z',
      undefined,
      '2024-01-01T00:10:00.000Z',
    ],
    [
      'Jan 2 (under a day ahead) stays this year',
      'Jan  2 00:20',
      '2024-01-01T00:30:00Z',
      undefined,
      '2024-01-02T00:20:00.000Z',
    ],
    [
      'Jan 3 (over a day ahead) is last year',
      'Jan  3 00:00',
      '2024-01-01T00:30:00Z',
      undefined,
      '2023-01-03T00:00:00.000Z',
    ],
    [
      'Jan 1 seen late on Dec 31 (skewed clock) is next year',
      'Jan  1 00:10',
      '2024-12-31T23:30:00Z',
      undefined,
      '2025-01-01T00:10:00.000Z',
    ],
    [
      'Dec 31 on Dec 31 is this year',
      'Dec 31 10:00',
      '2024-12-31T12:00:00Z',
      undefined,
      '2024-12-31T10:00:00.000Z',
    ],
    [
      'Feb 29 seen in a non-leap year is last year',
      'Feb 29 10:00',
      '2025-01-10T00:00:00Z',
      undefined,
      '2024-02-29T10:00:00.000Z',
    ],
    // 23:30 UTC on Dec 31 is already 01:30 on Jan 1 at UTC+2, so "Jan 1" is the new year.
    [
      'server at UTC+2 past local New Year',
      'Jan  1 01:00',
      '2023-12-31T23:30:00Z',
      120,
      '2023-12-31T23:00:00.000Z',
    ],
    // 01:00 UTC on Jan 1 is still Dec 31 at UTC-5, so "Dec 31" is the old year, not the next one.
    [
      'server at UTC-5 before local New Year',
      'Dec 31 19:00',
      '2024-01-01T01:00:00Z',
      -300,
      '2024-01-01T00:00:00.000Z',
    ],
  ]
  it.each(cases)('%s', (_label, date, nowIso, offset, expected) => {
    const info = parseUnixLine(line(date), { now: utc(nowIso), timeZoneOffsetMinutes: offset })
    expect(info?.modified?.toISOString()).toBe(expected)
  })

  it('Feb 29 with no leap year in reach has no date', () => {
    const info = parseUnixLine(line('Feb 29 10:00'), { now: utc('2023-01-10T00:00:00Z') })
    expect(info).toStrictEqual({ name: 'f', type: 'file', size: 1, permissions: '-rw-r--r--' })
  })

  it('defaults now to the current time', () => {
    const info = parseUnixLine(line('Jan  1 00:00'))
    const year = info?.modified?.getUTCFullYear()
    expect([new Date().getUTCFullYear(), new Date().getUTCFullYear() - 1]).toContain(year)
  })
})

describe('parseUnixLine: server time zone', () => {
  it('converts times from the server offset to UTC', () => {
    const info = parseUnixLine('-rw-r--r-- 1 u g 1 Jun  1 09:15 f', { now, timeZoneOffsetMinutes: 120 })
    expect(info?.modified).toStrictEqual(utc('2024-06-01T07:15:00Z'))
  })
  it('converts dates with a year as server midnight', () => {
    const info = parseUnixLine('-rw-r--r-- 1 u g 1 Jun  1  2020 f', { now, timeZoneOffsetMinutes: -300 })
    expect(info?.modified).toStrictEqual(utc('2020-06-01T05:00:00Z'))
  })
})
