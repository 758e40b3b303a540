/**
 * LIST times read on the server's clock (FTP_TIMEZONE): daylight saving, the hour skipped in spring
 * and repeated in autumn, the year of a recent date inferred on the server's calendar, DOS lines,
 * and MLSD untouched. Every "now" is fixed; nothing reads the wall clock.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseDosLine, parseListing, parseUnixLine } from '../../../../src/ftp/listing/index.js'
import { isKnownTimeZone, zoneClock } from '../../../../src/ftp/listing/server-clock.js'

const line = (date: string, name = 'f') => `-rw-r--r-- 1 u g 1 ${date} ${name}`
const iso = (d: Date | undefined) => d?.toISOString()

describe('LIST times in the server zone', () => {
  const cases: Array<[string, string, string, string, string]> = [
    // [label, zone, LIST date, now, expected instant]
    [
      'Berlin winter (UTC+1)',
      'Europe/Berlin',
      'Jan  5 12:34',
      '2024-03-01T00:00:00Z',
      '2024-01-05T11:34:00.000Z',
    ],
    [
      'Berlin summer (UTC+2)',
      'Europe/Berlin',
      'Jul  5 12:34',
      '2024-08-01T00:00:00Z',
      '2024-07-05T10:34:00.000Z',
    ],
    [
      'New York, a dated line is local midnight',
      'America/New_York',
      'Jun  1  2020',
      '2024-08-01T00:00:00Z',
      '2020-06-01T04:00:00.000Z',
    ],
    [
      'New York winter (UTC-5)',
      'America/New_York',
      'Feb 10 23:30',
      '2024-03-01T00:00:00Z',
      '2024-02-11T04:30:00.000Z',
    ],
    [
      'Kathmandu (UTC+5:45)',
      'Asia/Kathmandu',
      'May  2 06:00',
      '2024-08-01T00:00:00Z',
      '2024-05-02T00:15:00.000Z',
    ],
    ['UTC stays UTC', 'UTC', 'May  2 06:00', '2024-08-01T00:00:00Z', '2024-05-02T06:00:00.000Z'],
    // Spring forward in Berlin (2024-03-31 02:00 -> 03:00): 02:30 was never shown; read as 03:30 CEST.
    [
      'the skipped hour moves forward',
      'Europe/Berlin',
      'Mar 31 02:30',
      '2024-06-01T00:00:00Z',
      '2024-03-31T01:30:00.000Z',
    ],
    // Fall back (2024-10-27 03:00 -> 02:00): 02:30 was shown twice; the first one (CEST) is taken.
    [
      'the repeated hour is the earlier one',
      'Europe/Berlin',
      'Oct 27 02:30',
      '2024-11-01T00:00:00Z',
      '2024-10-27T00:30:00.000Z',
    ],
    [
      'the hour after the repeat is CET',
      'Europe/Berlin',
      'Oct 27 03:30',
      '2024-11-01T00:00:00Z',
      '2024-10-27T02:30:00.000Z',
    ],
  ]
  it.each(cases)('%s', (_label, timeZone, date, now, expected) => {
    expect(iso(parseUnixLine(line(date), { now: new Date(now), timeZone })?.modified)).toBe(expected)
  })

  it('infers the year of a recent date on the server calendar, not the gateway one', () => {
    // 23:30 UTC on New Year's Eve is already 08:30 on January 1st in Tokyo: "Jan  1 08:00" is this
    // morning there, half an hour ago, not almost a year ago.
    const now = new Date('2024-12-31T23:30:00Z')
    expect(iso(parseUnixLine(line('Jan  1 08:00'), { now, timeZone: 'Asia/Tokyo' })?.modified)).toBe(
      '2024-12-31T23:00:00.000Z',
    )
    // Read as UTC the same line would be eight and a half hours in the future.
    expect(iso(parseUnixLine(line('Jan  1 08:00'), { now })?.modified)).toBe('2025-01-01T08:00:00.000Z')
    // Los Angeles is still in the old year: "Dec 31 18:00" there is 02:00 UTC on January 1st.
    const later = new Date('2025-01-01T03:00:00Z')
    expect(
      iso(parseUnixLine(line('Dec 31 18:00'), { now: later, timeZone: 'America/Los_Angeles' })?.modified),
    ).toBe('2025-01-01T02:00:00.000Z')
  })

  it('reads DOS lines in the zone too, and wins over a fixed offset', () => {
    const info = parseDosLine('07-05-24  12:34PM       123 a.txt', {
      timeZone: 'Europe/Berlin',
      timeZoneOffsetMinutes: 300,
    })
    expect(iso(info?.modified)).toBe('2024-07-05T10:34:00.000Z')
  })

  it('leaves MLSD times alone (they are UTC) and parses a whole listing in the zone', () => {
    const mlsd = parseListing('modify=20240705123400;type=file;size=1; f\r\n', 'mlsd', {
      timeZone: 'Asia/Tokyo',
    })
    expect(iso(mlsd[0]?.modified)).toBe('2024-07-05T12:34:00.000Z')
    const list = parseListing(`${line('Jul  5 12:34', 'a')}\r\n${line('Jan  5 12:34', 'b')}\r\n`, 'list', {
      now: new Date('2024-08-01T00:00:00Z'),
      timeZone: 'Europe/Berlin',
    })
    expect(list.map((e) => iso(e.modified))).toEqual(['2024-07-05T10:34:00.000Z', '2024-01-05T11:34:00.000Z'])
  })

  it('an unknown zone never makes a parser throw: it reads as UTC', () => {
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false)
    const info = parseUnixLine(line('May  2 06:00'), {
      now: new Date('2024-08-01T00:00:00Z'),
      timeZone: 'Mars/Olympus',
    })
    expect(iso(info?.modified)).toBe('2024-05-02T06:00:00.000Z')
  })
})

describe('zoneClock: the round trip, for any instant', () => {
  const zones = [
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'America/Sao_Paulo',
    'Pacific/Chatham',
  ]
  const wallOf = (t: Date, timeZone: string) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      })
        .formatToParts(t)
        .map((p) => [p.type, Number(p.value)]),
    ) as Record<string, number>
    return [parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!] as const
  }

  it('the wall clock of an instant reads back as that instant, or the earlier one when the hour repeats', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        // Whole seconds from 1971 to 2037.
        fc.integer({ min: 31_536_000, max: 2_145_916_800 }),
        (zone, seconds) => {
          const t = new Date(seconds * 1000)
          const wall = wallOf(t, zone)
          const back = zoneClock(zone).toUtc(...wall)
          expect(back).toBeDefined()
          // Same wall clock, and never later than the instant (the earlier of a repeated hour).
          expect(wallOf(back!, zone)).toEqual(wall)
          expect(back!.getTime()).toBeLessThanOrEqual(t.getTime())
          expect(t.getTime() - back!.getTime()).toBeLessThanOrEqual(3_600_000)
        },
      ),
      { numRuns: 2000 },
    )
  })
})
