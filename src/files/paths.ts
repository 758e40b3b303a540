import { escapedByteLength } from '../ftp/index.js'
import { FileError } from './errors.js'
import type { RelPath } from './types.js'

/** Longest name in bytes (most file systems' limit). */
export const MAX_NAME_BYTES = 255
/** Longest relative path in bytes. */
export const MAX_PATH_BYTES = 4096

// C0 controls and DEL: CR/LF/NUL would inject FTP commands; the rest have no place in a name.
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Validates and normalises a relative path (already percent-decoded): collapses duplicate slashes,
 * drops leading and trailing slashes, refuses `.`/`..` segments, control characters, backslashes
 * and overlong names. The files layer re-checks what http/ checked: a path that reaches FTP is safe
 * whoever called.
 */
export function normalizeRelPath(raw: string): RelPath {
  // One request's path passes here several times in a row (the tree, then the upstream's service,
  // then its reads), each time as the previous call's result: answered from the last call. The
  // function is pure and only successful results are kept, so the answer is the same either way.
  if (raw === lastNormal) return raw
  const rel = normalize(raw)
  lastNormal = rel
  return rel
}

/** The last path normalizeRelPath returned (a normal path is its own normal form). */
let lastNormal: RelPath | undefined

function normalize(raw: string): RelPath {
  if (CONTROL.test(raw)) throw new FileError('FILE_ERR_BAD_PATH', 'Path contains a control character')
  if (raw.includes('\\')) throw new FileError('FILE_ERR_BAD_PATH', 'Path contains a backslash')
  const segments = raw.split('/').filter((s) => s !== '')
  for (const s of segments) {
    if (s === '.' || s === '..') throw new FileError('FILE_ERR_BAD_PATH', 'Path contains a . or .. segment')
    // Limits are about the server's bytes: an escape (docs/names.md) is one byte, not three.
    if (Buffer.byteLength(s) > MAX_NAME_BYTES && escapedByteLength(s) > MAX_NAME_BYTES)
      throw new FileError('FILE_ERR_BAD_PATH', `A name is longer than ${MAX_NAME_BYTES} bytes`)
  }
  const rel = segments.join('/')
  if (Buffer.byteLength(rel) > MAX_PATH_BYTES && escapedByteLength(rel) > MAX_PATH_BYTES)
    throw new FileError('FILE_ERR_BAD_PATH', `Path is longer than ${MAX_PATH_BYTES} bytes`)
  return rel
}

/** The parent of a relative path ('' for top-level entries and the root). */
export function parentOf(rel: RelPath): RelPath {
  const i = rel.lastIndexOf('/')
  return i === -1 ? '' : rel.slice(0, i)
}

/** The last segment ('' for the root). */
export function nameOf(rel: RelPath): string {
  return rel.slice(rel.lastIndexOf('/') + 1)
}

/** Joins a directory and a child name. */
export function childOf(dir: RelPath, name: string): RelPath {
  return dir === '' ? name : `${dir}/${name}`
}

/** True when `rel` is `dir` itself or inside it. */
export function isWithin(rel: RelPath, dir: RelPath): boolean {
  return dir === '' || rel === dir || rel.startsWith(`${dir}/`)
}

/** The absolute server path of `rel` under the absolute server root. */
export function toServerPath(root: string, rel: RelPath): string {
  const base = root === '/' ? '' : root.replace(/\/+$/, '')
  return rel === '' ? base || '/' : `${base}/${rel}`
}
