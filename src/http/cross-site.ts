/**
 * Cross-site request refusal, for every face. Browsers cache Basic credentials and send them (and
 * the session cookie, within a site) with requests other pages make, so a page on another origin
 * could write through the gateway as the person reading it. Two rules, checked before any route:
 *
 * 1. A request with an unsafe method (anything but GET, HEAD, OPTIONS and the read-only PROPFIND;
 *    POST, PUT, DELETE, PATCH and every WebDAV write included) is refused with 403
 *    GW_ERR_CROSS_SITE when the browser says it comes from elsewhere: `Sec-Fetch-Site` is
 *    `cross-site` or `same-site`, or an `Origin` is present and is not this request's own origin
 *    (scheme and host as the app sees them: X-Forwarded-Proto/Host count only when TRUST_PROXY
 *    already makes Fastify trust them). `Origin: null` (sandboxed documents, file: pages) is
 *    never this origin.
 * 2. A POST to the JSON API (`/api/v1/dirs`, `move`, `copy`) with a content type an HTML form or a CORS-free fetch can
 *    send (text/plain, application/x-www-form-urlencoded, multipart/form-data) is refused with 415
 *    GW_ERR_MEDIA_TYPE: those routes take JSON or no body, and only the "simple" types reach a
 *    server without a CORS preflight the gateway never approves.
 *
 * Clients that are not browsers (curl, rclone, cadaver, davfs) send neither header, so rule 1
 * never touches them; the browse page's own forms and scripts are same-origin.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { GatewayError } from './errors.js'

// Methods that change nothing (RFC 9110 §9.2.1; PROPFIND per RFC 4918 §9.1).
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND'])
// The request content types that need no CORS preflight (Fetch standard, "CORS-safelisted").
const SIMPLE_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'])

/** This request's own origin (`scheme://host[:port]`, lower case), as the browser would write it. */
export function ownOrigin(request: FastifyRequest): string | undefined {
  try {
    return new URL(`${request.protocol}://${request.host}`).origin
  } catch {
    return undefined
  }
}

/**
 * True when the browser says this request was made by a page of another origin: `Sec-Fetch-Site`
 * cross-site or same-site, or an `Origin` other than the request's own.
 */
export function isCrossOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') return true
  const origin = request.headers.origin
  if (origin === undefined) return false
  if (origin === 'null') return true
  let given: string
  try {
    given = new URL(origin).origin
  } catch {
    return true
  }
  return given !== ownOrigin(request)
}

function mediaType(request: FastifyRequest): string | undefined {
  const raw = request.headers['content-type']
  return raw === undefined ? undefined : raw.split(';')[0]!.trim().toLowerCase()
}

/** The onRequest hook of rule 1 (register on the root, before the faces). */
export function crossSiteHook(): onRequestAsyncHookHandler {
  return async (request) => {
    if (SAFE_METHODS.has(request.method)) return
    if (isCrossOrigin(request)) {
      throw new GatewayError(
        'GW_ERR_CROSS_SITE',
        `A ${request.method} from a page of another site is refused; use this site's own pages or a client that is not a browser`,
      )
    }
  }
}

/**
 * The onRequest hook of rule 2, for the API routes that take JSON or no body (registered in their
 * context before authentication, so a refused request costs no FTP login; the 405 answers of
 * other paths stay 405).
 */
export function simpleBodyHook(): onRequestAsyncHookHandler {
  return async (request) => {
    if (request.method !== 'POST') return
    const type = mediaType(request)
    if (type !== undefined && SIMPLE_TYPES.has(type)) {
      throw new GatewayError('GW_ERR_MEDIA_TYPE', `POST here takes application/json or no body, not ${type}`)
    }
  }
}
