import { FileError } from './errors.js'
import type { FileStat, ListPage, RelPath } from './types.js'

/** Largest page a client may ask for. */
export const MAX_PAGE = 10_000

/** The cursor is the last name of the previous page, base64url-encoded (names are sorted). */
export function encodeCursor(lastName: string): string {
  return Buffer.from(lastName, 'utf8').toString('base64url')
}

/** Decodes a cursor; anything that is not one is a bad request, not a crash. */
export function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(cursor)) throw new FileError('FILE_ERR_BAD_REQUEST', 'Invalid cursor')
  const name = Buffer.from(cursor, 'base64url').toString('utf8')
  if (name === '' || name.includes('\uFFFD') || name.includes('/'))
    throw new FileError('FILE_ERR_BAD_REQUEST', 'Invalid cursor')
  return name
}

/** One page of sorted entries, starting after `after`. */
export function pageOf(
  path: RelPath,
  sorted: FileStat[],
  limit: number,
  after: string | undefined,
): ListPage {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new FileError('FILE_ERR_BAD_REQUEST', `limit must be 1-${MAX_PAGE}`)
  }
  let start = 0
  if (after !== undefined) {
    // Binary search: the first entry whose name sorts after the cursor.
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (sorted[mid]!.name <= after) lo = mid + 1
      else hi = mid
    }
    start = lo
  }
  const entries = sorted.slice(start, start + limit)
  const more = start + limit < sorted.length
  return {
    path,
    entries,
    next: more && entries.length > 0 ? encodeCursor(entries[entries.length - 1]!.name) : null,
  }
}
