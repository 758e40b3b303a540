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

/** Seconds a client should wait after a 421 before retrying. */
const TRANSIENT_RETRY_AFTER = 5

/** Turns any error from below (FTP engine, pool) into a FileError; FileErrors pass through. */
export function toFileError(err: unknown): FileError {
  if (isFileError(err)) return err
  if (isFtpError(err)) {
    // A server that cannot be reached at all is down, not misbehaving: 503, come back later.
    const code = unreachable(err) ? 'FILE_ERR_UNAVAILABLE' : byKind[err.kind]
    return new FileError(code, err.message, {
      cause: err,
      retryAfterSeconds: code === 'FILE_ERR_UNAVAILABLE' ? TRANSIENT_RETRY_AFTER : undefined,
    })
  }
  if (isPoolError(err)) {
    if (err.code === 'POOL_ERR_ABORTED') return new FileError('FILE_ERR_ABORTED', err.message, { cause: err })
    const retry =
      'retryAfterSeconds' in err ? Number((err as { retryAfterSeconds: number }).retryAfterSeconds) : 2
    return new FileError('FILE_ERR_UNAVAILABLE', err.message, { cause: err, retryAfterSeconds: retry })
  }
  return new FileError('FILE_ERR_UPSTREAM', err instanceof Error ? err.message : String(err), { cause: err })
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
