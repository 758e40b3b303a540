/**
 * The HTTP error catalogue: every problem `code` the gateway can answer with, its status and title,
 * in ONE table. File errors (files/errors.ts) and auth errors (auth/errors.ts) map here by code;
 * the gateway's own request errors are `GW_ERR_*`. `classifyError` turns anything thrown into a
 * problem description; problem.ts writes it out as `application/problem+json` (RFC 9457).
 */
import { isAuthError } from '../auth/types.js'
import { FileError, type FileErrorCode } from '../files/errors.js'
import { isStoreError } from '../store/errors.js'

/** Errors the HTTP layer raises itself (request shape, routing, framework limits). */
export type GatewayErrorCode =
  | 'GW_ERR_BAD_JSON'
  | 'GW_ERR_VALIDATION'
  | 'GW_ERR_BAD_HEADER'
  | 'GW_ERR_BAD_RANGE'
  | 'GW_ERR_BAD_REQUEST'
  | 'GW_ERR_BAD_XML'
  | 'GW_ERR_XML_LIMIT'
  | 'GW_ERR_NOT_FOUND'
  | 'GW_ERR_METHOD'
  | 'GW_ERR_NOT_ADMIN'
  | 'GW_ERR_REQUEST_TIMEOUT'
  | 'GW_ERR_BODY_TOO_LARGE'
  | 'GW_ERR_MEDIA_TYPE'
  | 'GW_ERR_HEADERS_TOO_LARGE'
  | 'GW_ERR_UNAVAILABLE'
  | 'GW_ERR_RATE_LIMITED'
  | 'GW_ERR_CROSS_SITE'
  | 'GW_ERR_TUS_VERSION'
  | 'GW_ERR_UPLOAD_NOT_FOUND'
  | 'GW_ERR_UPLOAD_EXPIRED'
  | 'GW_ERR_UPLOAD_OFFSET'
  | 'GW_ERR_UPLOAD_LOCKED'
  | 'GW_ERR_UPLOAD_TOO_LARGE'
  | 'GW_ERR_CHECKSUM_MISMATCH'
  | 'GW_ERR_ZIP_TOO_LARGE'
  | 'GW_ERR_SHARE_NOT_FOUND'
  | 'GW_ERR_NO_BAN'
  | 'GW_ERR_NO_CONFIG_FILE'
  | 'GW_ERR_CONFIG_INVALID'
  | 'GW_ERR_SHARE_EXPIRED'
  | 'GW_ERR_SHARE_USED_UP'
  | 'GW_ERR_SHARE_PASSWORD'
  | 'GW_ERR_SHARE_ADDRESS'
  | 'GW_ERR_SHARE_KIND'
  | 'GW_ERR_INTERNAL'

type AuthCode =
  | 'AUTH_ERR_MISSING'
  | 'AUTH_ERR_INVALID'
  | 'AUTH_ERR_BAD_HEADER'
  | 'AUTH_ERR_RATE_LIMITED'
  | 'AUTH_ERR_TOKEN_EXPIRED'
  | 'AUTH_ERR_PROVIDER_UNAVAILABLE'
  | 'AUTH_ERR_NO_UPSTREAM_ACCOUNT'
  | 'AUTH_ERR_BANNED'
  | 'AUTH_ERR_SIGNIN_FAILED'
  | 'AUTH_ERR_NOT_LINKED'
  | 'AUTH_ERR_LINK_REFUSED'
  | 'AUTH_ERR_UNKNOWN_UPSTREAM'
  | 'AUTH_ERR_NOT_MAPPED'
  | 'AUTH_ERR_APP_PASSWORD_NOT_FOUND'
  | 'AUTH_ERR_APP_PASSWORD_FORBIDDEN'
  | 'AUTH_ERR_APP_PASSWORD_LIMIT'

/** Every `code` a problem response can carry. */
export type ProblemCode = FileErrorCode | AuthCode | GatewayErrorCode

/** Status and human title of one problem code. */
export interface ProblemSpec {
  status: number
  title: string
}

/** The catalogue. The OpenAPI problem schema's `code` enum is built from its keys (tested). */
export const PROBLEM_CATALOGUE = {
  FILE_ERR_BAD_PATH: { status: 400, title: 'Invalid name or path' },
  FILE_ERR_BAD_REQUEST: { status: 400, title: 'Invalid request for this file operation' },
  FILE_ERR_UNAUTHORIZED: { status: 401, title: 'The file server refused the login' },
  FILE_ERR_FORBIDDEN: { status: 403, title: 'Permission denied' },
  // Decided by the gateway's mount rules before any FTP command (type …/problems/forbidden-read-only).
  FILE_ERR_READ_ONLY: { status: 403, title: 'Read-only for you' },
  FILE_ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  // A type clash or a missing parent folder; the problem's `reason` says which (files/errors.ts).
  FILE_ERR_CONFLICT: { status: 409, title: 'Conflicts with what is there' },
  // An existing target the operation may not replace (mkdir, move/copy without overwrite). A
  // failed conditional header is FILE_ERR_PRECONDITION (412); WebDAV's `Overwrite: F` is 412 too.
  FILE_ERR_EXISTS: { status: 409, title: 'Already exists' },
  FILE_ERR_PRECONDITION: { status: 412, title: 'A condition of the request is not met' },
  FILE_ERR_RANGE: { status: 416, title: 'Range not satisfiable' },
  FILE_ERR_DIGEST_MISMATCH: { status: 400, title: 'The body does not match its checksum' },
  FILE_ERR_INCOMPLETE_BODY: { status: 400, title: 'The body is shorter than declared' },
  FILE_ERR_NOT_EMPTY: { status: 409, title: 'Folder not empty' },
  FILE_ERR_OVERLAP: { status: 403, title: 'The destination is the source, inside it or above it' },
  FILE_ERR_STORAGE_FULL: { status: 507, title: 'No space left on the file server' },
  FILE_ERR_NOT_SUPPORTED: { status: 501, title: 'The file server does not support this operation' },
  FILE_ERR_UNAVAILABLE: { status: 503, title: 'The file server is busy or unavailable' },
  FILE_ERR_UPSTREAM: { status: 502, title: 'The file server failed' },
  FILE_ERR_TIMEOUT: { status: 504, title: 'The file server did not answer in time' },
  // Only logged in practice: the client that would read it has gone.
  FILE_ERR_ABORTED: { status: 499, title: 'The client closed the request' },
  AUTH_ERR_MISSING: { status: 401, title: 'Authentication required' },
  AUTH_ERR_INVALID: { status: 401, title: 'Invalid credentials' },
  AUTH_ERR_BAD_HEADER: { status: 400, title: 'Malformed Authorization header' },
  AUTH_ERR_RATE_LIMITED: { status: 429, title: 'Too many failed logins' },
  // Bearer JWTs (auth/jwt.ts): an expired one is told apart so that clients refresh rather than re-ask.
  AUTH_ERR_TOKEN_EXPIRED: { status: 401, title: 'The token has expired' },
  // The OpenID provider cannot be reached for keys the gateway lacks: fail closed, try again later.
  AUTH_ERR_PROVIDER_UNAVAILABLE: { status: 503, title: 'The sign-in provider is unavailable' },
  // A JWT names a person, not an FTP login: an upstream without a service account has no way in.
  AUTH_ERR_NO_UPSTREAM_ACCOUNT: { status: 403, title: 'No FTP account for you on this server' },
  AUTH_ERR_BANNED: { status: 429, title: 'Banned after too many failed logins' },
  // The browser sign-in's callback (auth/oidc-signin.ts): a stale, forged or replayed answer.
  AUTH_ERR_SIGNIN_FAILED: { status: 400, title: 'The sign-in did not complete' },
  // A `mapped` upstream: the person links their own FTP account there once (PUT /me/credentials/…).
  AUTH_ERR_NOT_LINKED: { status: 403, title: 'Link your FTP account for this server first' },
  AUTH_ERR_LINK_REFUSED: { status: 422, title: 'The FTP server refused that user name and password' },
  AUTH_ERR_UNKNOWN_UPSTREAM: { status: 404, title: 'No such upstream' },
  AUTH_ERR_NOT_MAPPED: { status: 409, title: 'This upstream does not take linked accounts' },
  AUTH_ERR_APP_PASSWORD_NOT_FOUND: { status: 404, title: 'No such app password' },
  AUTH_ERR_APP_PASSWORD_FORBIDDEN: { status: 403, title: 'App passwords cannot manage app passwords' },
  AUTH_ERR_APP_PASSWORD_LIMIT: { status: 409, title: 'Too many app passwords' },
  GW_ERR_BAD_JSON: { status: 400, title: 'The body is not valid JSON' },
  GW_ERR_VALIDATION: { status: 400, title: 'The request does not match the schema' },
  GW_ERR_BAD_HEADER: { status: 400, title: 'A request header is malformed' },
  GW_ERR_BAD_RANGE: { status: 400, title: 'Malformed Range header' },
  GW_ERR_BAD_REQUEST: { status: 400, title: 'Bad request' },
  // WebDAV request bodies (PROPFIND, PROPPATCH, LOCK): src/http/webdav/xml.ts.
  GW_ERR_BAD_XML: { status: 400, title: 'The XML body is not well-formed or not namespace-valid' },
  GW_ERR_XML_LIMIT: { status: 400, title: 'The XML body exceeds the element, depth or namespace limits' },
  GW_ERR_NOT_FOUND: { status: 404, title: 'No such route' },
  GW_ERR_METHOD: { status: 405, title: 'Method not allowed' },
  GW_ERR_NOT_ADMIN: { status: 403, title: 'Only administrators may do this' },
  GW_ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  GW_ERR_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  GW_ERR_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  GW_ERR_HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  // The shared store (Redis) cannot be reached: tokens, locks and the like wait until it is back.
  GW_ERR_UNAVAILABLE: { status: 503, title: 'The shared state store is unavailable' },
  GW_ERR_RATE_LIMITED: { status: 429, title: 'Too many requests from this client' },
  // A browser said a page of another site made this write (cross-site.ts).
  GW_ERR_CROSS_SITE: { status: 403, title: 'Cross-site request refused' },
  // Resumable uploads (tus 1.0.0, src/http/rest/uploads/).
  GW_ERR_TUS_VERSION: { status: 412, title: 'Tus-Resumable 1.0.0 is required' },
  GW_ERR_UPLOAD_NOT_FOUND: { status: 404, title: 'No such upload' },
  GW_ERR_UPLOAD_EXPIRED: { status: 410, title: 'The upload has expired' },
  GW_ERR_UPLOAD_OFFSET: { status: 409, title: 'Upload-Offset does not match the bytes received' },
  GW_ERR_UPLOAD_LOCKED: { status: 423, title: 'Another request is writing to this upload' },
  GW_ERR_UPLOAD_TOO_LARGE: { status: 413, title: 'The upload is larger than allowed' },
  GW_ERR_CHECKSUM_MISMATCH: { status: 460, title: 'The body does not match Upload-Checksum' },
  // Folder zips (zip-download.ts): the listed sizes add up to more than ZIP_MAX_BYTES.
  GW_ERR_ZIP_TOO_LARGE: { status: 413, title: 'The folder is larger than a zip may be' },
  // Share links and drop boxes (issue 20, src/http/shares/): unknown and revoked look alike.
  GW_ERR_SHARE_NOT_FOUND: { status: 404, title: 'No such share link' },
  GW_ERR_NO_BAN: { status: 404, title: 'No such ban in force' },
  GW_ERR_NO_CONFIG_FILE: { status: 409, title: 'No config file to reload' },
  GW_ERR_CONFIG_INVALID: { status: 422, title: 'The config file is invalid; nothing changed' },
  GW_ERR_SHARE_EXPIRED: { status: 410, title: 'The share link has expired' },
  GW_ERR_SHARE_USED_UP: { status: 410, title: 'The share link has been used as often as allowed' },
  GW_ERR_SHARE_PASSWORD: { status: 401, title: 'The share link needs its password' },
  GW_ERR_SHARE_ADDRESS: { status: 403, title: 'The share link may not be used from this address' },
  // A drop box never lists or reads; a read share never writes.
  GW_ERR_SHARE_KIND: { status: 403, title: 'This share link does not allow that' },
  GW_ERR_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<ProblemCode, ProblemSpec>

/** All problem codes, in catalogue order. */
export const PROBLEM_CODES = Object.keys(PROBLEM_CATALOGUE) as ProblemCode[]

/** The realm in every Basic challenge. */
export const AUTH_CHALLENGE = 'Basic realm="ftp-gateway"'

/** Default Retry-After (seconds) for a 503 whose cause gave none. */
const DEFAULT_RETRY_AFTER_SECONDS = 5

/** An error raised by the HTTP layer itself; extra headers go out with the problem. */
export class GatewayError extends Error {
  // Widened so that subclasses (XmlError) can name themselves.
  override readonly name: string = 'GatewayError'
  readonly code: GatewayErrorCode
  readonly headers: Record<string, string>

  constructor(code: GatewayErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.code = code
    this.headers = headers
  }
}

/** Which conflict a 409 FILE_ERR_CONFLICT is (the file layer's ConflictReason). */
export type ProblemReason = NonNullable<FileError['reason']>

/** What to answer for an error: the code, status, client-safe detail and extra headers. */
export interface ProblemDescription {
  code: ProblemCode
  status: number
  /** Plain words, the same for every problem of this code. */
  title: string
  /** Plain words about this occurrence; never an FTP reply. */
  detail: string
  headers: Record<string, string>
  /** The FTP server's reply, for operators (4xx only: 5xx replies may name internal addresses). */
  upstreamReply?: string
  /** Which conflict a FILE_ERR_CONFLICT is. */
  reason?: ProblemReason
  /** For move/copy: which argument does not exist (`from`, or the folder of `to`). */
  missing?: 'from' | 'to'
}

function describe(
  code: ProblemCode,
  message: string,
  headers: Record<string, string> = {},
): ProblemDescription {
  const spec: ProblemSpec = PROBLEM_CATALOGUE[code]
  // 5xx messages may carry upstream internals (server replies, addresses): never shown.
  const detail = spec.status >= 500 || message === '' ? spec.title : message
  if (spec.status === 401) headers['www-authenticate'] = AUTH_CHALLENGE
  return { code, status: spec.status, title: spec.title, detail, headers }
}

/** A file error's extras (FTP reply, conflict reason, missing argument) on its description. */
function fileExtras(p: ProblemDescription, err: FileError): ProblemDescription {
  if (err.upstreamReply !== undefined && p.status < 500) p.upstreamReply = err.upstreamReply
  if (err.reason !== undefined) p.reason = err.reason
  if (err.argument !== undefined && (err.code === 'FILE_ERR_NOT_FOUND' || err.reason === 'parent-missing'))
    p.missing = err.argument
  return p
}

// Fastify's own request errors (by `code`) that have a gateway code of their own.
const FASTIFY_CODES: Record<string, GatewayErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'GW_ERR_BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'GW_ERR_BAD_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'GW_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'GW_ERR_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'GW_ERR_BAD_REQUEST',
}

/** Maps anything thrown while handling a request to the problem to answer with. */
export function classifyError(err: unknown): ProblemDescription {
  if (err instanceof FileError) {
    const headers: Record<string, string> = {}
    if (err.code === 'FILE_ERR_UNAVAILABLE') {
      headers['retry-after'] = String(err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)
    }
    if (err.code === 'FILE_ERR_RANGE' && err.size !== undefined)
      headers['content-range'] = `bytes */${err.size}`
    return fileExtras(describe(err.code, err.message, headers), err)
  }
  if (isAuthError(err)) {
    const headers: Record<string, string> = {}
    if (err.code === 'AUTH_ERR_RATE_LIMITED' || err.code === 'AUTH_ERR_BANNED')
      headers['retry-after'] = String(err.retryAfterSeconds ?? 60)
    if (err.code === 'AUTH_ERR_PROVIDER_UNAVAILABLE')
      headers['retry-after'] = String(DEFAULT_RETRY_AFTER_SECONDS)
    return describe(err.code, err.message, headers)
  }
  if (err instanceof GatewayError) return describe(err.code, err.message, { ...err.headers })
  // A store outage is temporary and not the client's fault: 503 with Retry-After, not a 500.
  if (isStoreError(err, 'STORE_ERR_UNAVAILABLE')) {
    return describe('GW_ERR_UNAVAILABLE', '', { 'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS) })
  }
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; statusCode?: unknown; validation?: unknown }
    if (e.validation !== undefined) return describe('GW_ERR_VALIDATION', e.message)
    // The router could not decode the URL (`%ff`, `%zz`): a bad path like any other.
    if (e.code === 'FST_ERR_BAD_URL')
      return describe('FILE_ERR_BAD_PATH', 'The URL path is not valid percent-encoded UTF-8')
    const mapped = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined
    if (mapped !== undefined) return describe(mapped, e.message)
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return describe('GW_ERR_BAD_REQUEST', e.message)
    }
  }
  return describe('GW_ERR_INTERNAL', '')
}
