/**
 * Authorization header parsing: HTTP Basic (RFC 7617) and Bearer (RFC 6750). Everything that could
 * not become a safe FTP login is refused here, before any I/O: the user name and password end up in
 * USER/PASS commands, which must never carry CR, LF or NUL.
 */
import { AuthError } from './errors.js'

/** A user name and password as a client sent them. */
export interface Credentials {
  user: string
  password: string
}

/** What an Authorization header asks for. */
export type ParsedAuthorization = ({ scheme: 'basic' } & Credentials) | { scheme: 'bearer'; token: string }

/** Longest user name accepted, in UTF-8 bytes. */
export const MAX_USER_BYTES = 256
/** Longest password accepted, in UTF-8 bytes. */
export const MAX_PASSWORD_BYTES = 1024
// A token68 longer than this is not one of ours nor a sane credential; refuse before decoding.
const MAX_CREDENTIAL_CHARS = 4096

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/
const FORBIDDEN_CHARS = /[\r\n\0]/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function bad(message: string): AuthError {
  return new AuthError('AUTH_ERR_BAD_HEADER', message)
}

/**
 * Refuses a user name or password that cannot be sent to an FTP server: empty user, CR/LF/NUL,
 * or longer than the byte limits. Shared by Basic headers and POST /sessions bodies.
 */
export function checkCredentials(user: string, password: string): void {
  if (user.length === 0) throw bad('the user name is empty')
  if (FORBIDDEN_CHARS.test(user)) throw bad('the user name contains CR, LF or NUL')
  if (FORBIDDEN_CHARS.test(password)) throw bad('the password contains CR, LF or NUL')
  if (Buffer.byteLength(user, 'utf8') > MAX_USER_BYTES)
    throw bad(`the user name is over ${MAX_USER_BYTES} bytes`)
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw bad(`the password is over ${MAX_PASSWORD_BYTES} bytes`)
  }
}

/** Decodes strict base64 (standard alphabet; padding optional but, when present, correct). */
function decodeBase64(text: string): Buffer {
  if (!BASE64.test(text)) throw bad('Basic credentials are not valid base64')
  const padded = text.endsWith('=')
  // Unpadded base64 can never leave a single character over; padded base64 comes in whole quads.
  if (padded ? text.length % 4 !== 0 : text.length % 4 === 1) {
    throw bad('Basic credentials are not valid base64')
  }
  return Buffer.from(text, 'base64')
}

/**
 * Decodes the credentials part of a Basic header (`base64(user:password)`). The user name ends at
 * the first ':' (RFC 7617 forbids ':' in it), so a password may contain ':'. Text is UTF-8.
 */
export function parseBasic(credentials: string): Credentials {
  const bytes = decodeBase64(credentials)
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw bad('Basic credentials are not valid UTF-8')
  }
  const colon = text.indexOf(':')
  if (colon < 0) throw bad('Basic credentials have no ":" between user name and password')
  const user = text.slice(0, colon)
  const password = text.slice(colon + 1)
  checkCredentials(user, password)
  return { user, password }
}

/**
 * Splits an Authorization header into its scheme and credentials. Schemes are case-insensitive;
 * anything but Basic and Bearer, or a credential that is not a token68, is AUTH_ERR_BAD_HEADER.
 * A well-formed but unknown bearer token is for the token store to refuse.
 */
export function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim()
  const space = trimmed.search(/[ \t]/)
  if (space < 0) throw bad('the Authorization header has no credentials after the scheme')
  const scheme = trimmed.slice(0, space).toLowerCase()
  const value = trimmed.slice(space).trim()
  if (value.length > MAX_CREDENTIAL_CHARS) throw bad('the Authorization header is too long')
  if (scheme === 'basic') return { scheme: 'basic', ...parseBasic(value) }
  if (scheme === 'bearer') {
    if (!TOKEN68.test(value)) throw bad('the bearer token is malformed')
    return { scheme: 'bearer', token: value }
  }
  throw bad('unsupported authorization scheme (use Basic or Bearer)')
}

/** The token of a Bearer header; AUTH_ERR_MISSING when there is no header or it is not Bearer. */
export function bearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === '')
    throw new AuthError('AUTH_ERR_MISSING', 'a bearer token is required')
  const parsed = parseAuthorization(header)
  if (parsed.scheme !== 'bearer') throw new AuthError('AUTH_ERR_MISSING', 'a bearer token is required')
  return parsed.token
}
