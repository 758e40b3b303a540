/**
 * Typed errors of the FTP engine. Every failure the engine reports is an FtpError with a stable
 * `code` (FTP_ERR_*) and a `kind` that the file layer translates; the FTP reply code is kept when
 * there was one. Messages never contain credentials.
 */

/** What went wrong, in terms the layers above can act on. */
export type FtpErrorKind =
  | 'not-found' // 550/450 on a path
  | 'permission' // 550 on an existing path, 553 permission, 532
  | 'auth' // 530: login refused
  | 'bad-name' // 553/501 on an argument, or an argument refused before sending
  | 'storage-full' // 452/552
  | 'transient' // 421, 4xx the server says will pass
  | 'data' // 425/426/451: data connection could not open or broke
  | 'protocol' // a reply we cannot make sense of, or out of order
  | 'connection' // control connection refused, reset or closed
  | 'timeout' // inactivity timeout on control or data
  | 'tls' // TLS refused or certificate rejected
  | 'aborted' // the caller aborted the operation
  | 'unsupported' // the server lacks the command

/** Stable error codes, one per kind. */
export const FtpErrorCodes: Readonly<Record<FtpErrorKind, string>> = Object.freeze({
  'not-found': 'FTP_ERR_NOT_FOUND',
  permission: 'FTP_ERR_PERMISSION',
  auth: 'FTP_ERR_AUTH',
  'bad-name': 'FTP_ERR_BAD_NAME',
  'storage-full': 'FTP_ERR_STORAGE_FULL',
  transient: 'FTP_ERR_TRANSIENT',
  data: 'FTP_ERR_DATA',
  protocol: 'FTP_ERR_PROTOCOL',
  connection: 'FTP_ERR_CONNECTION',
  timeout: 'FTP_ERR_TIMEOUT',
  tls: 'FTP_ERR_TLS',
  aborted: 'FTP_ERR_ABORTED',
  unsupported: 'FTP_ERR_UNSUPPORTED',
})

/** Options for an FtpError. */
export interface FtpErrorOptions {
  /** The FTP reply code, when the error came from a reply. */
  replyCode?: number | undefined
  /** The underlying error (a socket error, a TLS error). */
  cause?: unknown
}

/** The one error type the FTP engine throws or emits. */
export class FtpError extends Error {
  override readonly name = 'FtpError'
  readonly code: string
  readonly kind: FtpErrorKind
  readonly replyCode: number | undefined

  constructor(kind: FtpErrorKind, message: string, options: FtpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.kind = kind
    this.code = FtpErrorCodes[kind]
    this.replyCode = options.replyCode
  }
}

/** True for an FtpError of the given kind (or any kind when none is given). */
export function isFtpError(err: unknown, kind?: FtpErrorKind): err is FtpError {
  return err instanceof FtpError && (kind === undefined || err.kind === kind)
}
