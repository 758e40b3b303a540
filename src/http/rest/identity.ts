/**
 * Authentication of API requests: an `onRequest` hook asks the Authenticator for the identity
 * behind the Authorization header and keeps it for the handlers. Running at onRequest (before
 * body parsing and schema validation) means an anonymous client learns nothing about the request
 * shape and never gets a body parsed.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { Authenticator } from '../../auth/types.js'
import type { Identity } from '../../files/types.js'

// A WeakMap rather than a request decoration: the auth plugin's routes may decorate requests too,
// and two decorations of one name would clash at start.
const identities = new WeakMap<FastifyRequest, Identity>()

/** The onRequest hook that authenticates every request of the context it is added to. */
export function authenticateHook(auth: Authenticator): onRequestAsyncHookHandler {
  return async (request) => {
    identities.set(request, await auth.authenticate(request.headers.authorization, request.ip))
  }
}

/** The identity the request was authenticated as (set by authenticateHook). */
export function requestIdentity(request: FastifyRequest): Identity {
  const who = identities.get(request)
  if (who === undefined) throw new Error('route is missing the authentication hook')
  return who
}
