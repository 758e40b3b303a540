import { describe, expect, it } from 'vitest'
import { mlsdTime, parseMlsdTime, unixDate } from '../../../src/local-server/listing-format.js'

describe('local server listing format', () => {
  const now = new Date('2024-06-15T12:00:00Z')

  it('uses HH:MM within half a year and the year otherwise (UTC)', () => {
    expect(unixDate(new Date('2024-06-01T09:05:00Z'), now)).toBe('Jun  1 09:05')
    expect(unixDate(new Date('2024-01-20T23:59:00Z'), now)).toBe('Jan 20 23:59')
    expect(unixDate(new Date('2023-11-10T10:00:00Z'), now)).toBe('Nov 10  2023')
    // Future dates beyond clock skew get the year too.
    expect(unixDate(new Date('2024-09-01T00:00:00Z'), now)).toBe('Sep  1  2024')
  })

  it('formats and parses MLSx times', () => {
    expect(mlsdTime(new Date('2020-01-02T03:04:05Z'))).toBe('20200102030405')
    expect(parseMlsdTime('20200102030405.5')?.toISOString()).toBe('2020-01-02T03:04:05.500Z')
    expect(parseMlsdTime('20201302030405')).toBeUndefined()
    expect(parseMlsdTime('2020')).toBeUndefined()
  })
})
