/**
 * A warning for a gateway behind a load balancer that does not know it: requests arrive with
 * `X-Forwarded-For` (or `Forwarded`) while TRUST_PROXY is off. Every client then has the balancer's
 * address, so the login limits and the anonymous rate limit lump them together, logs show one
 * address, and `request.protocol` misses the balancer's TLS (the session cookie loses `Secure`).
 * Said once, at the first such request: there is nothing to know about it before one arrives.
 */
import type { FastifyInstance } from 'fastify'
import type { TrustProxy } from '../config.js'

/** The warning's text (tests and the README quote it). */
export const FORWARDED_WITHOUT_TRUST_PROXY =
  'requests arrive with X-Forwarded-For but TRUST_PROXY is off: behind a load balancer every client shares its address (login limits, rate limit, logs); set TRUST_PROXY to the hop count or the balancer addresses'

/** Installs the once-only check on `app` (no hook at all when TRUST_PROXY is set). */
export function warnOnUntrustedForwarding(app: FastifyInstance, trustProxy: TrustProxy): void {
  if (trustProxy !== false) return
  let warned = false
  // A callback hook: it runs on every request and has nothing to wait for, so no promise.
  app.addHook('onRequest', (request, _reply, done) => {
    if (!warned) {
      const headers = request.headers
      if (headers['x-forwarded-for'] !== undefined || headers.forwarded !== undefined) {
        warned = true
        request.log.warn({ peer: request.socket.remoteAddress }, FORWARDED_WITHOUT_TRUST_PROXY)
      }
    }
    done()
  })
}
