/**
 * File-level errors: what went wrong in terms of files, whatever protocol is behind them. The HTTP
 * layer maps each code to a status (http/errors.ts) without knowing FTP.
 */
export type FileErrorCode =
  | 'FILE_ERR_BAD_PATH' // 400: path refused before any I/O
  | 'FILE_ERR_BAD_REQUEST' // 400: an option or header value that cannot work
  | 'FILE_ERR_UNAUTHORIZED' // 401: login refused
  | 'FILE_ERR_FORBIDDEN' // 403: the server refused on an existing path
  | 'FILE_ERR_READ_ONLY' // 403: the gateway refuses the write (a read-only mount, no write rule, a mount point)
  | 'FILE_ERR_NOT_FOUND' // 404
  | 'FILE_ERR_CONFLICT' // 409: parent missing, or a type clash (file where a dir is needed); see ConflictReason
  | 'FILE_ERR_EXISTS' // 412 for overwrite=false / If-None-Match: *
  | 'FILE_ERR_PRECONDITION' // 412: If-Match failed
  | 'FILE_ERR_RANGE' // 416
  | 'FILE_ERR_DIGEST_MISMATCH' // 400: body did not match Content-MD5 / Repr-Digest
  | 'FILE_ERR_INCOMPLETE_BODY' // 400: body shorter than declared
  | 'FILE_ERR_NOT_EMPTY' // 409: rmdir of a non-empty directory without recursive
  | 'FILE_ERR_OVERLAP' // 403: move/copy onto itself, into itself or onto an ancestor
  | 'FILE_ERR_STORAGE_FULL' // 507
  | 'FILE_ERR_NOT_SUPPORTED' // 501: the server lacks the operation
  | 'FILE_ERR_UNAVAILABLE' // 503 + Retry-After: 421, pool exhausted, upstream down
  | 'FILE_ERR_UPSTREAM' // 502: data connection failed, protocol trouble
  | 'FILE_ERR_TIMEOUT' // 504
  | 'FILE_ERR_ABORTED' // 499-ish: the client went away

/**
 * Which conflict a FILE_ERR_CONFLICT is, for callers that answer the cases differently (WebDAV's
 * PUT onto a collection is 405, a missing parent 409): set where the error is raised, so nothing
 * reads the message to tell them apart.
 */
export type ConflictReason =
  | 'is-directory' // a file was expected and a directory has that name
  | 'parent-missing' // the parent directory does not exist

/** Options for a FileError. */
export interface FileErrorOptions {
  cause?: unknown
  /** For FILE_ERR_CONFLICT: which conflict. */
  reason?: ConflictReason | undefined
  /** Seconds a client should wait before retrying (503). */
  retryAfterSeconds?: number | undefined
  /** For FILE_ERR_RANGE: the file size, for `Content-Range: bytes * /size`. */
  size?: number
}

/** The error every FileService operation throws. */
export class FileError extends Error {
  override readonly name = 'FileError'
  readonly code: FileErrorCode
  readonly retryAfterSeconds: number | undefined
  readonly size: number | undefined
  readonly reason: ConflictReason | undefined

  constructor(code: FileErrorCode, message: string, options: FileErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryAfterSeconds = options.retryAfterSeconds
    this.size = options.size
    this.reason = options.reason
  }
}

/** True for a FILE_ERR_CONFLICT of one reason. */
export function isConflict(err: unknown, reason: ConflictReason): err is FileError {
  return isFileError(err, 'FILE_ERR_CONFLICT') && err.reason === reason
}

/** True for a FileError, optionally of one code. */
export function isFileError(err: unknown, code?: FileErrorCode): err is FileError {
  return err instanceof FileError && (code === undefined || err.code === code)
}
