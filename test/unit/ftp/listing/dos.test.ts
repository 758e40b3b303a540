import { describe, expect, it } from 'vitest'
import type { FileInfo } from '../../../../src/ftp/file-info.js'
import { parseDosLine } from '../../../../src/ftp/listing/dos.js'

const utc = (iso: string) => new Date(iso)

describe('parseDosLine', () => {
  const cases: Array<[string, string, FileInfo | undefined]> = [
    [
      'IIS directory, 2-digit year, PM',
      '01-05-23  12:34PM       <DIR>          name',
      { name: 'name', type: 'dir', modified: utc('2023-01-05T12:34:00Z') },
    ],
    [
      'IIS file, 4-digit year, AM, spaces in the name',
      '01-05-2023  09:05AM                 1234 file name.txt',
      { name: 'file name.txt', type: 'file', size: 1234, modified: utc('2023-01-05T09:05:00Z') },
    ],
    [
      '12AM is midnight',
      '12-31-99  12:00AM  1 a',
      { name: 'a', type: 'file', size: 1, modified: utc('1999-12-31T00:00:00Z') },
    ],
    [
      '12PM is noon',
      '02-29-24  12:59PM  1 a',
      { name: 'a', type: 'file', size: 1, modified: utc('2024-02-29T12:59:00Z') },
    ],
    [
      '11PM is 23h',
      '02-01-24  11:01pm  1 a',
      { name: 'a', type: 'file', size: 1, modified: utc('2024-02-01T23:01:00Z') },
    ],
    [
      'year 70 is 1970',
      '01-01-70  01:00AM  1 a',
      { name: 'a', type: 'file', size: 1, modified: utc('1970-01-01T01:00:00Z') },
    ],
    [
      'year 69 is 2069',
      '01-01-69  01:00AM  1 a',
      { name: 'a', type: 'file', size: 1, modified: utc('2069-01-01T01:00:00Z') },
    ],
    [
      'year 00 is 2000',
      '01-01-00  01:00AM  1 a',
      { name: 'a', type: 'file', size: 1, modified: utc('2000-01-01T01:00:00Z') },
    ],
    [
      '24-hour clock',
      '07-04-2021  21:05  <DIR>  d',
      { name: 'd', type: 'dir', modified: utc('2021-07-04T21:05:00Z') },
    ],
    [
      'slashes in the date',
      '07/04/2021  21:05  3 f',
      { name: 'f', type: 'file', size: 3, modified: utc('2021-07-04T21:05:00Z') },
    ],
    [
      'ISO date',
      '2021-07-04  21:05:09  3 f',
      { name: 'f', type: 'file', size: 3, modified: utc('2021-07-04T21:05:09Z') },
    ],
    [
      'size with thousands commas',
      '07-04-21  09:05PM  1,234,567 f',
      { name: 'f', type: 'file', size: 1234567, modified: utc('2021-07-04T21:05:00Z') },
    ],
    [
      '<dir> in lower case',
      '07-04-21  09:05PM  <dir>  d',
      { name: 'd', type: 'dir', modified: utc('2021-07-04T21:05:00Z') },
    ],
    [
      'trailing spaces kept',
      '07-04-21  09:05PM  1 f  ',
      { name: 'f  ', type: 'file', size: 1, modified: utc('2021-07-04T21:05:00Z') },
    ],
    [
      'name starting with digits',
      '07-04-21  09:05PM  10 2 things',
      { name: '2 things', type: 'file', size: 10, modified: utc('2021-07-04T21:05:00Z') },
    ],
    [
      'size 2^53',
      `07-04-21  09:05PM  ${2 ** 53} big`,
      { name: 'big', type: 'file', size: 2 ** 53, modified: utc('2021-07-04T21:05:00Z') },
    ],
    ['impossible date dropped, entry kept', '02-30-21  09:05PM  1 f', { name: 'f', type: 'file', size: 1 }],
    ['13PM dropped, entry kept', '02-03-21  13:05PM  1 f', { name: 'f', type: 'file', size: 1 }],
    ['25h dropped, entry kept', '02-03-21  25:05  1 f', { name: 'f', type: 'file', size: 1 }],
    [
      'CRLF stripped',
      '02-03-21  10:05  1 f\r\n',
      { name: 'f', type: 'file', size: 1, modified: utc('2021-02-03T10:05:00Z') },
    ],
    ['no name', '02-03-21  10:05  1 ', undefined],
    ['no size', '02-03-21  10:05  f', undefined],
    ['unix line', '-rw-r--r-- 1 u g 1 Jun 1 2020 f', undefined],
    ['garbage', '12-34', undefined],
  ]
  it.each(cases)('%s', (_label, line, expected) => {
    expect(parseDosLine(line)).toStrictEqual(expected)
  })

  it('converts from the server offset (IIS lists local time)', () => {
    const info = parseDosLine('01-05-23  12:34PM  <DIR>  d', { timeZoneOffsetMinutes: 60 })
    expect(info?.modified).toStrictEqual(utc('2023-01-05T11:34:00Z'))
  })
})
