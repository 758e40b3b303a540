import { createHash } from 'node:crypto'
import type { FileInfo } from '../ftp/index.js'
import type { FileStat, RelPath } from './types.js'

/**
 * A strong ETag from what the server says about the file: size and modification time, plus the
 * MLSx `unique` fact where offered. FTP gives no content hash cheaply, so two writes of the same
 * size within one second of server clock can share an ETag; that is the limit of FTP metadata.
 */
export function etagOf(info: Pick<FileInfo, 'size' | 'modified' | 'unique' | 'type'>): string {
  const size = (info.size ?? 0).toString(16)
  const time = (info.modified?.getTime() ?? 0).toString(16)
  const unique = info.unique ? `-${createHash('sha1').update(info.unique).digest('hex').slice(0, 8)}` : ''
  return `"${info.type === 'dir' ? 'd' : ''}${size}-${time}${unique}"`
}

/**
 * What MLSx `perm` facts (RFC 3659 §7.5.5) say about writing: `w` (STOR) on a file; `c` (create
 * file), `m` (make folder) or `p` (purge contents) on a folder. `a` alone does not count: ProFTPD
 * grants it on files the user cannot write (it looks at the folder). Undefined when the
 * permissions are a Unix mode string (`-rw-r--r--`, from LIST or `unix.mode`), which describes
 * the owner rather than the logged-in user, or when there are none.
 */
export function writableOf(permissions: string | undefined, type: FileInfo['type']): boolean | undefined {
  if (permissions === undefined || !/^[acdeflmprw]*$/i.test(permissions)) return undefined
  if (type === 'file') return /w/i.test(permissions)
  if (type === 'dir') return /[cmp]/i.test(permissions)
  return undefined
}

/** A FileStat for `rel` from an engine FileInfo. */
export function toFileStat(rel: RelPath, info: FileInfo): FileStat {
  const stat: FileStat = {
    path: rel,
    name: rel === '' ? '' : rel.slice(rel.lastIndexOf('/') + 1),
    type: info.type,
    size: info.type === 'dir' ? undefined : info.size,
    modified: info.modified,
    etag: etagOf(info),
  }
  const writable = writableOf(info.permissions, info.type)
  if (writable !== undefined) stat.writable = writable
  return stat
}

/** The stat of the root, which FTP cannot stat: always a directory. */
export function rootStat(): FileStat {
  return { path: '', name: '', type: 'dir', size: undefined, modified: undefined, etag: '"d-root"' }
}
