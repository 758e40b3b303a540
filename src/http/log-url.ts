/**
 * Request URLs as the log shows them. The OpenID sign-in's callback carries the authorization code
 * and state in its query, and the provider's logout URL the ID token: whoever reads the log must
 * not be able to finish a sign-in or replay a token with them. Fastify logs every request's URL
 * ("incoming request"), so its `req` serializer is replaced, per request, with one that masks the
 * values of those parameters (on any path: a client may send them anywhere).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'

// OAuth/OpenID parameters that are credentials or bind one (RFC 6749, OpenID Connect Core).
const SECRET_PARAMS =
  /([?&](?:code|state|session_state|id_token|id_token_hint|access_token|refresh_token)=)[^&#]*/gi

/** `url` with the values of credential-like query parameters replaced by `[redacted]`. */
export function urlForLog(url: string): string {
  return url.includes('?') ? url.replace(SECRET_PARAMS, '$1[redacted]') : url
}

/** Fastify's own `req` log fields, with the URL masked. */
function requestForLog(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: urlForLog(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}

/** Makes every request's logger serialize `req` with the masked URL. */
export function maskRequestUrls(app: FastifyInstance): void {
  app.setChildLoggerFactory((logger, bindings, options) =>
    logger.child(bindings, {
      ...options,
      serializers: { ...options.serializers, req: requestForLog as never },
    }),
  )
}
