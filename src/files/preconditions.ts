import { isFtpError } from '../ftp/index.js'
import { FileError, isFileError } from './errors.js'
import type { ByteRange, FileStat, WriteOptions } from './types.js'

/** Turns a not-found error into undefined ("does not exist"); anything else is rethrown. */
export function notFoundAsUndefined(err: unknown): undefined {
  if (isFtpError(err, 'not-found') || isFileError(err, 'FILE_ERR_NOT_FOUND')) return undefined
  throw err
}

/** Evaluates If-None-Match: * and If-Match against the current file. */
export function checkPreconditions(existing: FileStat | undefined, o: WriteOptions): void {
  if (o.ifNoneMatch === '*' && existing)
    // A failed conditional header is 412 (RFC 9110 §13.1.2), unlike an existing mkdir/move target.
    throw new FileError('FILE_ERR_PRECONDITION', 'The file already exists (If-None-Match: *).')
  if (o.ifMatch !== undefined) {
    if (!existing) throw new FileError('FILE_ERR_PRECONDITION', 'The file does not exist (If-Match).')
    const tags = o.ifMatch.split(',').map((t) => t.trim())
    if (!tags.includes('*') && !tags.includes(existing.etag))
      throw new FileError('FILE_ERR_PRECONDITION', 'The file has changed: its ETag does not match If-Match.')
  }
}

/** Validates a requested range against the size; clamps an end past EOF (RFC 9110 §14.1.2). */
export function resolveRange(range: { start?: number; end?: number }, size: number): ByteRange {
  let start: number
  let end: number
  if (range.start === undefined) {
    const suffix = range.end ?? 0
    if (suffix <= 0 || size === 0) throw new FileError('FILE_ERR_RANGE', 'Range not satisfiable', { size })
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = range.start
    end = Math.min(range.end ?? size - 1, size - 1)
  }
  if (!(start >= 0 && start < size && end >= start))
    throw new FileError('FILE_ERR_RANGE', 'Range not satisfiable', { size })
  return { start, end }
}
