import { describe, expect, it } from 'vitest'
import type { FileInfo } from '../../../../src/ftp/file-info.js'
import { formatMlsxTime, parseMlsxLine, parseMlsxTime } from '../../../../src/ftp/listing/mlsx.js'

const utc = (iso: string) => new Date(iso)

describe('parseMlsxLine', () => {
  const cases: Array<[string, string, FileInfo | undefined]> = [
    [
      'plain file',
      'type=file;size=5;modify=20240105123456; hello.txt',
      { name: 'hello.txt', type: 'file', size: 5, modified: utc('2024-01-05T12:34:56Z') },
    ],
    [
      'mixed-case facts and type value',
      'Type=DIR;Sizd=4096;Modify=20231231235959.123;UNIQUE=803g1a5; sub dir',
      {
        name: 'sub dir',
        type: 'dir',
        size: 4096,
        modified: utc('2023-12-31T23:59:59.123Z'),
        unique: '803g1a5',
      },
    ],
    ['cdir is skipped', 'type=cdir;modify=20240105123456; .', undefined],
    ['pdir is skipped (any case)', 'Type=PDir;modify=20240105123456; ..', undefined],
    [
      'OS.unix=slink with target',
      'type=OS.unix=slink:/x;size=2; link',
      { name: 'link', type: 'symlink', size: 2, target: '/x' },
    ],
    [
      'slink target keeps its case',
      'type=OS.unix=slink:Hello.TXT; l',
      { name: 'l', type: 'symlink', target: 'Hello.TXT' },
    ],
    ['OS.unix=symlink', 'type=OS.unix=symlink; l', { name: 'l', type: 'symlink' }],
    ['os.unix=SLINK without target', 'type=os.unix=SLINK; l', { name: 'l', type: 'symlink' }],
    ['device types are unknown', 'type=OS.unix=chr-1/3; null', { name: 'null', type: 'unknown' }],
    ['missing type is unknown', 'size=3; x', { name: 'x', type: 'unknown', size: 3 }],
    ['trailing spaces belong to the name', 'type=file; a b  ', { name: 'a b  ', type: 'file' }],
    [
      'leading spaces after the separator belong to the name',
      'type=file;   lead',
      { name: '  lead', type: 'file' },
    ],
    ['CRLF is not part of the name', 'type=file; crlf \r\n', { name: 'crlf ', type: 'file' }],
    ['name may contain ; and =', 'type=file; a=b;c', { name: 'a=b;c', type: 'file' }],
    [
      'perm and unique are kept verbatim',
      'type=file;perm=adfrw;unique=FE03U1B; f',
      { name: 'f', type: 'file', permissions: 'adfrw', unique: 'FE03U1B' },
    ],
    [
      'perm wins over UNIX.mode',
      'type=file;perm=r;UNIX.mode=0644; f',
      { name: 'f', type: 'file', permissions: 'r' },
    ],
    [
      'UNIX.mode fills permissions',
      'type=dir;UNIX.mode=0755; d',
      { name: 'd', type: 'dir', permissions: 'drwxr-xr-x' },
    ],
    [
      'UNIX.mode special bits',
      'type=file;UNIX.mode=7644; f',
      { name: 'f', type: 'file', permissions: '-rwSr-Sr-T' },
    ],
    ['bad UNIX.mode is ignored', 'type=file;UNIX.mode=rwx; f', { name: 'f', type: 'file' }],
    ['size wins over sizd', 'type=file;sizd=9;size=1; f', { name: 'f', type: 'file', size: 1 }],
    ['bad size is dropped, entry kept', 'type=file;size=-1; f', { name: 'f', type: 'file' }],
    ['size 2^53 is kept', `type=file;size=${2 ** 53}; big`, { name: 'big', type: 'file', size: 2 ** 53 }],
    ['size above 2^53 is dropped', 'type=file;size=9007199254740993; big', { name: 'big', type: 'file' }],
    ['bad modify is dropped, entry kept', 'type=file;modify=20241332000000; f', { name: 'f', type: 'file' }],
    ['final ; may be missing', 'type=file;size=1 f', { name: 'f', type: 'file', size: 1 }],
    ['no facts at all', ' bare', { name: 'bare', type: 'unknown' }],
    [
      'MLST reply line (leading space)',
      ' type=file;size=5; /pub/hello.txt',
      { name: '/pub/hello.txt', type: 'file', size: 5 },
    ],
    ['repeated fact: first wins', 'type=file;size=1;size=2; f', { name: 'f', type: 'file', size: 1 }],
    ['garbage: no space', 'type=file;size=1;', undefined],
    ['garbage: fact without =', 'hello world', undefined],
    ['garbage: empty fact name', '=x; f', undefined],
    ['garbage: empty name', 'type=file; ', undefined],
    ['garbage: empty line', '', undefined],
  ]
  it.each(cases)('%s', (_label, line, expected) => {
    expect(parseMlsxLine(line)).toStrictEqual(expected)
  })
})

describe('parseMlsxTime', () => {
  const cases: Array<[string, string | undefined]> = [
    ['20240105123456', '2024-01-05T12:34:56.000Z'],
    ['20240105123456.7', '2024-01-05T12:34:56.700Z'],
    ['20240105123456.123456', '2024-01-05T12:34:56.123Z'],
    ['20240229000000', '2024-02-29T00:00:00.000Z'],
    ['00500101000000', '0050-01-01T00:00:00.000Z'],
    ['20161231235960', '2016-12-31T23:59:59.000Z'],
    ['20230229000000', undefined],
    ['20241301000000', undefined],
    ['20240100000000', undefined],
    ['20240101240000', undefined],
    ['20240101006000', undefined],
    ['20240101000061', undefined],
    ['2024010100000', undefined],
    ['20240101000000.', undefined],
    ['20240101000000Z', undefined],
    ['', undefined],
  ]
  it.each(cases)('%j → %s', (value, iso) => {
    expect(parseMlsxTime(value)?.toISOString()).toBe(iso)
  })
})

describe('formatMlsxTime', () => {
  it('writes UTC and drops milliseconds', () => {
    expect(formatMlsxTime(utc('2024-01-05T02:03:04.999Z'))).toBe('20240105020304')
  })
  it('pads small years', () => {
    const date = new Date(0)
    date.setUTCFullYear(50, 0, 2)
    expect(formatMlsxTime(date)).toBe('00500102000000')
  })
  it('round-trips through parseMlsxTime', () => {
    const date = utc('1999-12-31T23:59:58Z')
    expect(parseMlsxTime(formatMlsxTime(date))).toStrictEqual(date)
  })
  it('throws RangeError for invalid dates and years past 9999', () => {
    expect(() => formatMlsxTime(new Date(Number.NaN))).toThrow(RangeError)
    expect(() => formatMlsxTime(utc('+010000-01-01T00:00:00Z'))).toThrow(RangeError)
  })
})
