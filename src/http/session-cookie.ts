/**
 * The browse page's session cookie and its CSRF rules.
 *
 * The cookie `ftpgw_session` carries an API session token (from SessionApi.create), HttpOnly so
 * page scripts never see it, SameSite=Strict so other sites' requests do not carry it, Secure when
 * the request came over TLS. Because "same-site" still includes sibling subdomains, the cookie
 * alone is never enough for a request that changes something: unsafe methods must also carry
 * `X-Requested-With: ftp-gateway`, a header a cross-site form cannot send and a cross-origin
 * script can only send after a CORS preflight the gateway never approves.
 *
 * The browse page's own form posts (sign-in, sign-out) cannot set headers; the app's cross-site
 * hook (../cross-site.ts) checks every unsafe request's `Origin` / `Sec-Fetch-Site` instead.
 */
import type { IncomingMessage } from 'node:http'
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { FileError } from '../files/errors.js'

/** Name of the session cookie. */
export const SESSION_COOKIE = 'ftpgw_session'
/** The anti-CSRF header (name and value) the page's script sends with every API call. */
export const CSRF_HEADER = 'x-requested-with'
export const CSRF_VALUE = 'ftp-gateway'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
// Tokens are base64url (auth/tokens.ts); anything else in the cookie is not ours and is ignored.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,512}$/

/** The value of one cookie in a Cookie header (the first one of that name), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() !== name) continue
    let value = part.slice(eq + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
    return value
  }
  return undefined
}

/** The session token from the request's cookie, when it has the shape of one. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const value = readCookie(request.headers.cookie, SESSION_COOKIE)
  return value !== undefined && TOKEN_SHAPE.test(value) ? value : undefined
}

/** The Set-Cookie value that stores `token` until `expiresAt`. */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean, now = Date.now()): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now) / 1000))
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
}

/** Whether the request came over TLS (directly, or per X-Forwarded-Proto with TRUST_PROXY). */
export function isSecure(request: FastifyRequest): boolean {
  return request.protocol === 'https'
}

/** Sets the session cookie on a reply. */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  expiresAt: Date,
): void {
  reply.header('set-cookie', sessionCookie(token, expiresAt, isSecure(request)))
}

/**
 * The Authorization header to authenticate a request with: its own, or a Bearer header made from
 * the session cookie. An explicit Authorization header always wins (Basic clients, API clients).
 */
export function authorizationFor(request: FastifyRequest): string | undefined {
  if (request.headers.authorization !== undefined) return request.headers.authorization
  const token = sessionToken(request)
  return token === undefined ? undefined : `Bearer ${token}`
}

/**
 * An onRequest hook for the API (added before its authentication hook): a request with the
 * session cookie and no Authorization header is authenticated as that token's Bearer header, but
 * an unsafe method (PUT, POST, DELETE…) is refused with 403 unless it also carries the anti-CSRF
 * header. GET downloads by plain links need no header: SameSite=Strict already keeps other sites'
 * links from carrying the cookie, and reading is not a state change.
 */
export function cookieAuthHook(): onRequestAsyncHookHandler {
  return async (request) => {
    if (request.headers.authorization !== undefined) return
    const token = sessionToken(request)
    if (token === undefined) return
    if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== CSRF_VALUE) {
      throw new FileError(
        'FILE_ERR_FORBIDDEN',
        `Cookie-authenticated ${request.method} requests need the header X-Requested-With: ${CSRF_VALUE}`,
      )
    }
    request.headers.authorization = `Bearer ${token}`
    cookieAuthenticated.add(request.raw)
  }
}

// Requests whose Authorization header cookieAuthHook made: their identity's method is 'cookie'.
const cookieAuthenticated = new WeakSet<IncomingMessage>()

/** Whether the request's credentials came from the session cookie (cookieAuthHook). */
export function viaSessionCookie(raw: IncomingMessage): boolean {
  return cookieAuthenticated.has(raw)
}
