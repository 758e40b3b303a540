/**
 * Listings captured from real servers (raw LIST/MLSD bytes, decoded as UTF-8). Each comes from
 * a directory holding hello.txt (5 bytes, mtime 2023-05-06 07:08:09 UTC), "name with spaces.txt"
 * (11), ünïcödé.bin (3), a directory "sub dir" and a symlink link-to-hello → hello.txt.
 * The files must exist: a missing capture fails the test rather than skipping it.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { FileInfo } from '../../../../src/ftp/file-info.js'
import { parseListing } from '../../../../src/ftp/listing/index.js'

interface Capture {
  file: string
  kind: 'list' | 'mlsd'
  /** hello.txt's time as the listing shows it: LIST drops the time of day for old files. */
  helloModified: string
  /** How the server shows link-to-hello (as seen in the captures). */
  link: Pick<FileInfo, 'type' | 'target'>
  /** hello.txt's `permissions`: the mode column, ProFTPD's `perm` fact, or Pure-FTPd's UNIX.mode. */
  helloPermissions: string
}

const LIST_LINK = { type: 'symlink', target: 'hello.txt' } as const
const CAPTURES: Capture[] = [
  {
    file: 'vsftpd-list.txt',
    kind: 'list',
    helloModified: '2023-05-06T00:00:00Z',
    link: LIST_LINK,
    helloPermissions: '-rw-r--r--',
  },
  {
    file: 'pureftpd-list.txt',
    kind: 'list',
    helloModified: '2023-05-06T00:00:00Z',
    link: LIST_LINK,
    helloPermissions: '-rw-r--r--',
  },
  {
    file: 'proftpd-list.txt',
    kind: 'list',
    helloModified: '2023-05-06T00:00:00Z',
    link: LIST_LINK,
    helloPermissions: '-rw-r--r--',
  },
  // Pure-FTPd writes `type=OS.unix=slink:` with an empty target.
  {
    file: 'pureftpd-mlsd.txt',
    kind: 'mlsd',
    helloModified: '2023-05-06T07:08:09Z',
    link: { type: 'symlink' },
    helloPermissions: '-rw-r--r--',
  },
  // ProFTPD writes `type=OS.unix=symlink` and no target at all.
  {
    file: 'proftpd-mlsd.txt',
    kind: 'mlsd',
    helloModified: '2023-05-06T07:08:09Z',
    link: { type: 'symlink' },
    helloPermissions: 'adfrw',
  },
]

const EXPECTED: ReadonlyArray<Pick<FileInfo, 'name' | 'type' | 'size'>> = [
  { name: 'hello.txt', type: 'file', size: 5 },
  { name: 'name with spaces.txt', type: 'file', size: 11 },
  // Precomposed (NFC) as the servers sent it; compared byte for byte, not normalised.
  { name: '\u00fcn\u00efc\u00f6d\u00e9.bin', type: 'file', size: 3 },
  { name: 'sub dir', type: 'dir' },
]
const LINK = 'link-to-hello'

function load(file: string): string {
  const url = new URL(`../../../fixtures/listings/real/${file}`, import.meta.url)
  // Raw bytes from the data connection; the servers were set to UTF-8.
  return readFileSync(url).toString('utf8')
}

describe.each(CAPTURES)('$file', (capture) => {
  const entries = () => parseListing(load(capture.file), capture.kind)
  const find = (name: string) => entries().find((e) => e.name === name)

  it('has exactly the expected names (no ".", "..", cdir/pdir)', () => {
    const names = entries()
      .map((e) => e.name)
      .sort()
    expect(names).toStrictEqual([...EXPECTED.map((e) => e.name), LINK].sort())
  })

  it.each(EXPECTED)('$name: type, size and a valid time', (want) => {
    const got = find(want.name)
    expect(got).toMatchObject(want)
    expect(Number.isNaN(got?.modified?.getTime() ?? Number.NaN)).toBe(false)
  })

  it('hello.txt: time and permissions', () => {
    const hello = find('hello.txt')
    expect(hello?.modified).toStrictEqual(new Date(capture.helloModified))
    expect(hello?.permissions).toBe(capture.helloPermissions)
    if (capture.kind === 'mlsd') expect(hello?.unique).toMatch(/^[0-9a-z]+$/i)
  })

  it('link-to-hello is a symlink', () => {
    const link = find(LINK)
    expect(link?.type).toBe(capture.link.type)
    expect(link?.target).toBe(capture.link.target)
  })
})
