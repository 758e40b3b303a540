/**
 * The caller's identity, shared by every face: REST's `onRequest` hook asks the Authenticator for
 * the identity behind the Authorization header and keeps it for the handlers; WebDAV, which serves
 * hijacked requests, records the identity it authenticated the same way. Kept per Node request (the
 * `IncomingMessage`), so the audit hook reads it whichever face served the request. Running at
 * onRequest (before body parsing and schema validation) means an anonymous client learns nothing
 * about the request shape and never gets a body parsed.
 */
import type { IncomingMessage } from 'node:http'
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { Authenticator } from '../auth/types.js'
import type { Identity } from '../files/types.js'
import { viaSessionCookie } from './session-cookie.js'

// A WeakMap rather than a request decoration: the auth plugin's routes may decorate requests too,
// and two decorations of one name would clash at start.
const identities = new WeakMap<IncomingMessage, Identity>()

/** Records who a request was authenticated as (any face). */
export function setCallerIdentity(raw: IncomingMessage, who: Identity): void {
  identities.set(raw, who)
}

/** Who the request was authenticated as; undefined when authentication failed or never ran. */
export function callerIdentity(raw: IncomingMessage): Identity | undefined {
  return identities.get(raw)
}

/** The onRequest hook that authenticates every request of the context it is added to. */
export function authenticateHook(auth: Authenticator): onRequestAsyncHookHandler {
  return async (request) => {
    const who = await auth.authenticate(request.headers.authorization, request.ip)
    // The authenticator saw a Bearer token; the person signed in through the browse page's cookie.
    // An OpenID sign-in session stays `oidc` whichever way its token arrives (it says more).
    const viaCookie = viaSessionCookie(request.raw) && who.method === 'token'
    setCallerIdentity(request.raw, viaCookie ? { ...who, method: 'cookie' } : who)
  }
}

/** The identity the request was authenticated as (set by authenticateHook). */
export function requestIdentity(request: FastifyRequest): Identity {
  const who = identities.get(request.raw)
  if (who === undefined) throw new Error('route is missing the authentication hook')
  return who
}
