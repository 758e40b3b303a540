import { type FtpError, isFtpError } from '../ftp/index.js'
import { isPoolError } from '../pool/index.js'
import { FileError, type FileErrorCode, isFileError } from './errors.js'

/** The one mapping from FTP kinds to file error codes; http/ maps these to statuses. */
const byKind: Record<FtpError['kind'], FileErrorCode> = {
  'not-found': 'FILE_ERR_NOT_FOUND',
  permission: 'FILE_ERR_FORBIDDEN',
  auth: 'FILE_ERR_UNAUTHORIZED',
  'bad-name': 'FILE_ERR_BAD_PATH',
  'storage-full': 'FILE_ERR_STORAGE_FULL',
  transient: 'FILE_ERR_UNAVAILABLE',
  data: 'FILE_ERR_UPSTREAM',
  protocol: 'FILE_ERR_UPSTREAM',
  connection: 'FILE_ERR_UPSTREAM',
  timeout: 'FILE_ERR_TIMEOUT',
  tls: 'FILE_ERR_UPSTREAM',
  aborted: 'FILE_ERR_ABORTED',
  unsupported: 'FILE_ERR_NOT_SUPPORTED',
}

/**
 * What each translated failure says to people. The FTP server's reply ("MLST: 550 No such file or
 * directory") is jargon to them and is kept apart, in `upstreamReply`, for operators.
 */
const plainWords: Record<FileErrorCode, string> = {
  FILE_ERR_BAD_PATH: 'The file server does not accept this name.',
  FILE_ERR_BAD_REQUEST: 'The file server cannot do this with these options.',
  FILE_ERR_UNAUTHORIZED: 'The file server did not accept the user name or password.',
  FILE_ERR_FORBIDDEN: 'You do not have permission to do this here.',
  FILE_ERR_READ_ONLY: 'This folder is read-only for you.',
  FILE_ERR_NOT_FOUND: 'There is no file or folder with this name.',
  FILE_ERR_CONFLICT: 'This clashes with what is already there.',
  FILE_ERR_EXISTS: 'Something with this name already exists.',
  FILE_ERR_PRECONDITION: 'The file has changed since you last saw it.',
  FILE_ERR_RANGE: 'The requested part of the file is outside the file.',
  FILE_ERR_DIGEST_MISMATCH: 'The uploaded data does not match its checksum.',
  FILE_ERR_INCOMPLETE_BODY: 'The upload ended before all of the file arrived.',
  FILE_ERR_NOT_EMPTY: 'The folder is not empty.',
  FILE_ERR_OVERLAP: 'The destination is the source itself, inside it or above it.',
  FILE_ERR_STORAGE_FULL: 'There is no space left on the file server.',
  FILE_ERR_NOT_SUPPORTED: 'The file server does not support this operation.',
  FILE_ERR_UNAVAILABLE: 'The file server is busy or unavailable; try again in a moment.',
  FILE_ERR_UPSTREAM: 'The file server failed while handling this request.',
  FILE_ERR_TIMEOUT: 'The file server did not answer in time.',
  FILE_ERR_ABORTED: 'The request was cancelled.',
}

/** The plain-words message of a file error code (for people; never an FTP reply). */
export function plainMessage(code: FileErrorCode): string {
  return plainWords[code]
}

/** Seconds a client should wait after a 421 before retrying. */
const TRANSIENT_RETRY_AFTER = 5

/** Turns any error from below (FTP engine, pool) into a FileError; FileErrors pass through. */
export function toFileError(err: unknown): FileError {
  if (isFileError(err)) return err
  if (isFtpError(err)) {
    // A server that cannot be reached at all is down, not misbehaving: 503, come back later.
    const code = unreachable(err) ? 'FILE_ERR_UNAVAILABLE' : byKind[err.kind]
    return new FileError(code, plainWords[code], {
      cause: err,
      upstreamReply: err.message,
      retryAfterSeconds: code === 'FILE_ERR_UNAVAILABLE' ? TRANSIENT_RETRY_AFTER : undefined,
    })
  }
  if (isPoolError(err)) {
    if (err.code === 'POOL_ERR_ABORTED')
      return new FileError('FILE_ERR_ABORTED', plainWords.FILE_ERR_ABORTED, { cause: err })
    const retry =
      'retryAfterSeconds' in err ? Number((err as { retryAfterSeconds: number }).retryAfterSeconds) : 2
    return new FileError('FILE_ERR_UNAVAILABLE', plainWords.FILE_ERR_UNAVAILABLE, {
      cause: err,
      retryAfterSeconds: retry,
    })
  }
  return new FileError('FILE_ERR_UPSTREAM', plainWords.FILE_ERR_UPSTREAM, { cause: err })
}

// Socket errors of a connect that found nobody listening (or no route to anybody).
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

function unreachable(err: FtpError): boolean {
  const code = (err.cause as { code?: unknown } | undefined)?.code
  return err.kind === 'connection' && typeof code === 'string' && UNREACHABLE.has(code)
}

/** An error worth one retry on a fresh session: the pooled one died (idle-closed, 421, reset). */
export function isStaleSessionError(err: unknown): boolean {
  return isFtpError(err) && (err.kind === 'connection' || (err.kind === 'transient' && err.replyCode === 421))
}
