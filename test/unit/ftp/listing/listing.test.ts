import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { FileInfo } from '../../../../src/ftp/file-info.js'
import {
  detectListFormat,
  LineSplitter,
  type ListFormat,
  parseListing,
  splitLines,
} from '../../../../src/ftp/listing/index.js'

const utc = (iso: string) => new Date(iso)
const fixture = (name: string) =>
  readFileSync(new URL(`../../../fixtures/listings/${name}`, import.meta.url), 'utf8')

describe('detectListFormat', () => {
  const cases: Array<[string, ListFormat | undefined]> = [
    ['drwxr-xr-x 2 user group 4096 Jan  5 12:34 name', 'unix'],
    ['-rw-r--r--+ 1 u g 1 Jan 5 2020 f', 'unix'],
    ['lrwxrwxrwx 1 u g 1 Jan 5 2020 l -> t', 'unix'],
    ['01-05-23  12:34PM       <DIR>          name', 'dos'],
    ['2023-01-05  12:34  1 f', 'dos'],
    ['type=file;size=1; f', 'mlsd'],
    ['total 12', undefined],
    ['', undefined],
    ['   ', undefined],
    ['garbage', undefined],
  ]
  it.each(cases)('%j → %s', (line, format) => {
    expect(detectListFormat(line)).toBe(format)
  })
})

describe('parseListing', () => {
  // parseListing is the session's reader (ListingReader): an entry followed by a line that is not
  // an entry may be a name cut at a CR LF inside it (issue 15), so it is left out with that line.
  it('parses the Unix sample, skipping total, ".", "..", garbage and the entry the garbage follows', () => {
    const entries = parseListing(fixture('unix-mixed.txt'), 'list', { now: utc('2024-01-02T12:00:00Z') })
    expect(entries).toStrictEqual<FileInfo[]>([
      {
        name: 'hello.txt',
        type: 'file',
        size: 5,
        modified: utc('2023-12-30T08:15:00Z'),
        permissions: '-rw-r--r--',
      },
      {
        name: 'name with spaces.txt',
        type: 'file',
        size: 11,
        modified: utc('2024-01-01T23:59:00Z'),
        permissions: '-rw-r--r--',
      },
      {
        name: 'link-to-hello',
        type: 'symlink',
        target: 'hello.txt',
        size: 9,
        modified: utc('2024-01-02T09:00:00Z'),
        permissions: 'lrwxrwxrwx',
      },
      {
        name: 'sub dir',
        type: 'dir',
        size: 4096,
        modified: utc('2021-03-15T00:00:00Z'),
        permissions: 'drwxr-xr-x',
      },
      {
        name: 'no-group.iso',
        type: 'file',
        size: 123456789012,
        modified: utc('2019-02-28T00:00:00Z'),
        permissions: '-rw-r--r--',
      },
      {
        name: ' two  spaces  ',
        type: 'file',
        size: 1,
        modified: utc('2024-01-01T12:00:00Z'),
        permissions: '-rw-r--r--',
      },
    ])
  })

  it('parses the IIS sample (its last entry is followed by garbage, so it is left out)', () => {
    expect(parseListing(fixture('dos-iis.txt'), 'list')).toStrictEqual<FileInfo[]>([
      { name: 'sub dir', type: 'dir', modified: utc('2024-01-02T10:00:00Z') },
      { name: 'hello.txt', type: 'file', size: 5, modified: utc('2023-12-30T08:15:00Z') },
      { name: 'name with spaces.txt', type: 'file', size: 11, modified: utc('2024-01-01T23:59:00Z') },
    ])
  })

  it('parses the MLSD sample, skipping cdir, pdir, garbage and the entry the garbage follows', () => {
    expect(parseListing(fixture('mlsd-mixed.txt'), 'mlsd')).toStrictEqual<FileInfo[]>([
      {
        name: 'hello.txt',
        type: 'file',
        size: 5,
        modified: utc('2023-12-30T08:15:00Z'),
        permissions: 'adfrw',
        unique: 'fd01g2',
      },
      {
        name: 'name with spaces.txt',
        type: 'file',
        size: 11,
        modified: utc('2024-01-01T23:59:59.250Z'),
        permissions: '-rw-r--r--',
      },
      {
        name: 'link-to-hello',
        type: 'symlink',
        target: 'hello.txt',
        size: 9,
        modified: utc('2024-01-02T09:00:00Z'),
      },
      { name: 'sub dir', type: 'dir', size: 4096, modified: utc('2021-03-15T00:00:00Z'), unique: 'fd01g3' },
    ])
  })

  it('detects the format per line, so mixed listings still parse', () => {
    const text = '-rw-r--r-- 1 u g 1 Jan 1 2020 a\n01-01-20  01:00AM  2 b\n'
    expect(parseListing(text, 'list').map((e) => [e.name, e.size])).toStrictEqual([
      ['a', 1],
      ['b', 2],
    ])
  })

  it('skips "." and ".." entries that are not typed cdir/pdir', () => {
    expect(
      parseListing('type=dir; .\r\ntype=dir; ..\r\ntype=dir; ...\r\n', 'mlsd').map((e) => e.name),
    ).toStrictEqual(['...'])
  })

  it('handles a last line without a newline, and empty input', () => {
    expect(parseListing('type=file; a\ntype=file; b', 'mlsd').map((e) => e.name)).toStrictEqual(['a', 'b'])
    expect(parseListing('', 'list')).toStrictEqual([])
    expect(parseListing('\r\n\r\n', 'mlsd')).toStrictEqual([])
  })
})

describe('LineSplitter', () => {
  it('splits CRLF and LF lines and keeps the unterminated tail for end()', () => {
    const splitter = new LineSplitter()
    expect(splitter.push('a\r\nb\nc')).toStrictEqual(['a', 'b'])
    expect(splitter.push('d\r\n')).toStrictEqual(['cd'])
    expect(splitter.push('tail')).toStrictEqual([])
    expect(splitter.end()).toStrictEqual(['tail'])
    expect(splitter.end()).toStrictEqual([])
  })

  it('joins a CR and its LF split across chunks', () => {
    const splitter = new LineSplitter()
    expect(splitter.push('one\r')).toStrictEqual([])
    expect(splitter.push('\ntwo\r')).toStrictEqual(['one'])
    expect(splitter.push('\n')).toStrictEqual(['two'])
    expect(splitter.end()).toStrictEqual([])
  })

  it('keeps blank lines and a CR that is not before LF', () => {
    expect(splitLines('a\r\n\r\nb\rc\n')).toStrictEqual(['a', '', 'b\rc'])
  })

  it('drops a final CR at end of input', () => {
    const splitter = new LineSplitter()
    expect(splitter.push('x\r')).toStrictEqual([])
    expect(splitter.end()).toStrictEqual(['x'])
  })
})
