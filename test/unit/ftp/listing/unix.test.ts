import { describe, expect, it } from 'vitest'
import type { FileInfo } from '../../../../src/ftp/file-info.js'
import { parseUnixLine } from '../../../../src/ftp/listing/unix.js'

const utc = (iso: string) => new Date(iso)
/** A fixed "now" in mid-year, so year inference is not in play unless a test wants it. */
const now = utc('2024-06-15T12:00:00Z')

describe('parseUnixLine: columns and names', () => {
  const cases: Array<[string, string, FileInfo | undefined]> = [
    [
      'directory, vsftpd style',
      'drwxr-xr-x    2 user     group        4096 Jan  5 12:34 name',
      {
        name: 'name',
        type: 'dir',
        size: 4096,
        modified: utc('2024-01-05T12:34:00Z'),
        permissions: 'drwxr-xr-x',
      },
    ],
    [
      'no group column, year instead of time',
      '-rw-r--r-- 1 owner 1234 Jan 5 2023 file',
      {
        name: 'file',
        type: 'file',
        size: 1234,
        modified: utc('2023-01-05T00:00:00Z'),
        permissions: '-rw-r--r--',
      },
    ],
    [
      'numeric ids',
      '-rw-r--r--    1 1001     1001            5 Mar 10 08:00 hello.txt',
      {
        name: 'hello.txt',
        type: 'file',
        size: 5,
        modified: utc('2024-03-10T08:00:00Z'),
        permissions: '-rw-r--r--',
      },
    ],
    [
      'numeric owner, no group',
      '-rw-r--r-- 1 1001 5 Mar 10 08:00 x',
      { name: 'x', type: 'file', size: 5, modified: utc('2024-03-10T08:00:00Z'), permissions: '-rw-r--r--' },
    ],
    [
      'group with a space (Cygwin "Domain Users")',
      '-rw-r--r-- 1 me Domain Users 77 Feb 2 2021 f',
      { name: 'f', type: 'file', size: 77, modified: utc('2021-02-02T00:00:00Z'), permissions: '-rw-r--r--' },
    ],
    [
      'group named like a month',
      '-rw-r--r-- 1 500 May 5 May 1 10:00 f',
      { name: 'f', type: 'file', size: 5, modified: utc('2024-05-01T10:00:00Z'), permissions: '-rw-r--r--' },
    ],
    [
      'name with inner spaces',
      '-rw-r--r-- 1 u g 11 Jun 1 09:15 name with spaces.txt',
      {
        name: 'name with spaces.txt',
        type: 'file',
        size: 11,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: '-rw-r--r--',
      },
    ],
    [
      'leading and trailing spaces (one separator consumed)',
      '-rw-r--r-- 1 u g 1 Jun 1 09:15   lead trail  ',
      {
        name: '  lead trail  ',
        type: 'file',
        size: 1,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: '-rw-r--r--',
      },
    ],
    [
      'leading space after a year column',
      '-rw-r--r-- 1 u g 1 Jun 1  2020  x',
      { name: ' x', type: 'file', size: 1, modified: utc('2020-06-01T00:00:00Z'), permissions: '-rw-r--r--' },
    ],
    [
      'name that looks like a date',
      '-rw-r--r-- 1 u g 1 Jun 1 09:15 2 Jan 3 2020 x',
      {
        name: '2 Jan 3 2020 x',
        type: 'file',
        size: 1,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: '-rw-r--r--',
      },
    ],
    [
      'symlink',
      'lrwxrwxrwx 1 u g 9 Jun 1 09:15 link-to-hello -> hello.txt',
      {
        name: 'link-to-hello',
        type: 'symlink',
        target: 'hello.txt',
        size: 9,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: 'lrwxrwxrwx',
      },
    ],
    [
      'symlink with spaces on both sides',
      'lrwxrwxrwx 1 u g 9 Jun 1 09:15 my link -> ../a b',
      {
        name: 'my link',
        type: 'symlink',
        target: '../a b',
        size: 9,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: 'lrwxrwxrwx',
      },
    ],
    [
      'symlink without a target shown',
      'lrwxrwxrwx 1 u g 9 Jun 1 09:15 dangling',
      {
        name: 'dangling',
        type: 'symlink',
        size: 9,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: 'lrwxrwxrwx',
      },
    ],
    [
      '"->" in a regular file name is kept',
      '-rw-r--r-- 1 u g 1 Jun 1 09:15 a -> b',
      {
        name: 'a -> b',
        type: 'file',
        size: 1,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: '-rw-r--r--',
      },
    ],
    [
      'character device: major, minor is not a size',
      'crw-rw-rw- 1 root root 1, 3 Jun 1 09:15 null',
      { name: 'null', type: 'unknown', modified: utc('2024-06-01T09:15:00Z'), permissions: 'crw-rw-rw-' },
    ],
    [
      'block device',
      'brw-rw---- 1 root disk 8, 0 Jun 1 09:15 sda',
      { name: 'sda', type: 'unknown', modified: utc('2024-06-01T09:15:00Z'), permissions: 'brw-rw----' },
    ],
    [
      'fifo',
      'prw-r--r-- 1 u g 0 Jun 1 09:15 pipe',
      {
        name: 'pipe',
        type: 'unknown',
        size: 0,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: 'prw-r--r--',
      },
    ],
    [
      'socket',
      'srwxr-xr-x 1 u g 0 Jun 1 09:15 sock',
      {
        name: 'sock',
        type: 'unknown',
        size: 0,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: 'srwxr-xr-x',
      },
    ],
    [
      'ACL marker +',
      '-rw-r--r--+ 1 u g 3 Jun 1 09:15 acl',
      {
        name: 'acl',
        type: 'file',
        size: 3,
        modified: utc('2024-06-01T09:15:00Z'),
        permissions: '-rw-r--r--',
      },
    ],
    [
      'SELinux marker .',
      'drwxr-xr-x. 2 u g 6 Jun 1 09:15 d',
      { name: 'd', type: 'dir', size: 6, modified: utc('2024-06-01T09:15:00Z'), permissions: 'drwxr-xr-x' },
    ],
    [
      'macOS xattr marker @ and setuid/sticky bits',
      '-rwsr-xr-t@ 1 u g 3 Jun 1 09:15 x',
      { name: 'x', type: 'file', size: 3, modified: utc('2024-06-01T09:15:00Z'), permissions: '-rwsr-xr-t' },
    ],
    [
      'time with seconds',
      '-rw-r--r-- 1 u g 3 Jun 1 09:15:42 s',
      { name: 's', type: 'file', size: 3, modified: utc('2024-06-01T09:15:42Z'), permissions: '-rw-r--r--' },
    ],
    [
      'size 2^53',
      `-rw-r--r-- 1 u g ${2 ** 53} Jun 1 2020 huge`,
      {
        name: 'huge',
        type: 'file',
        size: 2 ** 53,
        modified: utc('2020-06-01T00:00:00Z'),
        permissions: '-rw-r--r--',
      },
    ],
    [
      'size above 2^53 is dropped',
      '-rw-r--r-- 1 u g 99999999999999999999 Jun 1 2020 huge',
      { name: 'huge', type: 'file', modified: utc('2020-06-01T00:00:00Z'), permissions: '-rw-r--r--' },
    ],
    [
      'impossible date is dropped, entry kept',
      '-rw-r--r-- 1 u g 1 Feb 30 2020 f',
      { name: 'f', type: 'file', size: 1, permissions: '-rw-r--r--' },
    ],
    [
      'CRLF stripped',
      '-rw-r--r-- 1 u g 1 Jun 1 2020 f \r\n',
      { name: 'f ', type: 'file', size: 1, modified: utc('2020-06-01T00:00:00Z'), permissions: '-rw-r--r--' },
    ],
    ['total line', 'total 12', undefined],
    ['no name', '-rw-r--r-- 1 u g 1 Jun 1 2020 ', undefined],
    ['unknown month', '-rw-r--r-- 1 u g 1 Foo 1 2020 f', undefined],
    ['bad mode char', '-rw-r--r-Q 1 u g 1 Jun 1 2020 f', undefined],
    ['garbage', 'hello world', undefined],
  ]
  it.each(cases)('%s', (_label, line, expected) => {
    expect(parseUnixLine(line, { now })).toStrictEqual(expected)
  })
})
