/**
 * The per-client request limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS), counted in the Redis of
 * the gateway's store when it has one so the limit holds across every instance, else in memory. It runs as an
 * app-level onRequest hook, before authentication, so a flood costs one counter increment per
 * request and no FTP work. A Redis outage lets requests through (the limit is protection, not a
 * dependency). Failed logins have their own, stricter limit in src/auth.
 *
 * By default (RATE_LIMIT_SCOPE=anonymous) only requests without credentials are counted. A
 * per-address limit on signed-in traffic throttled real users: behind a load balancer without
 * TRUST_PROXY every client shares its address, and one sync client (rclone, 16 transfers of small
 * files) passes 100 requests per second on its own. What a request with credentials can cost is
 * bounded elsewhere: a wrong Basic password by the LOGIN_FAIL_* limits and the unverified-login
 * budget (no FTP login beyond them), a made-up bearer token or cookie by one store lookup, the
 * price of this limit's own counter.
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { GatewayConfig } from '../config.js'
import { RedisStore, type Store } from '../store/index.js'
import { classifyError, GatewayError, type GatewayErrorCode } from './errors.js'
import { writeProblem } from './problem.js'
import { SESSION_COOKIE } from './session-cookie.js'

/** Routes the limit never applies to: probes and scrapes come often and from few addresses. */
const EXEMPT_ROUTES = new Set(['/healthz', '/readyz', '/metrics'])

/** Problem code of a 429 from this limit (failed logins answer AUTH_ERR_RATE_LIMITED instead). */
export const RATE_LIMITED_CODE: GatewayErrorCode = 'GW_ERR_RATE_LIMITED'

/**
 * Installs the limit on `app` (call before the routes are registered so every context inherits
 * the hook), counting in `store`'s Redis when it has one. `onLimited` is told about each refusal
 * (for metrics). Does nothing when the limit is 0.
 */
export async function installRateLimit(
  app: FastifyInstance,
  config: GatewayConfig,
  store: Store,
  onLimited: () => void,
): Promise<void> {
  const max = config.rateLimitMax
  if (max === 0) return
  // A connection of its own, duplicated from the store's and so with its fail-fast settings: while
  // Redis is down a command rejects at once (skipOnError then lets the request through) instead of
  // queueing; and the store's connection never carries the limiter's script.
  const redis = store instanceof RedisStore ? { client: store.duplicateClient(), store } : undefined
  if (redis) {
    // ioredis emits 'error' while reconnecting; the store already logs outages.
    redis.client.on('error', () => undefined)
    app.addHook('onClose', async () => {
      redis.client.disconnect()
    })
  }
  await app.register(rateLimit, {
    global: false,
    max,
    timeWindow: config.rateLimitWindowMs,
    skipOnError: true,
    ...(redis ? { redis: redis.client, nameSpace: `${redis.store.keyPrefix}ratelimit:` } : {}),
  })
  const check = app.createRateLimit()
  const limit = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const result = await check(request)
    if (result.isAllowed || !result.isExceeded) return
    onLimited()
    const retryAfter = Math.max(1, result.ttlInSeconds)
    const detail = `More than ${result.max} requests in ${Math.round(result.timeWindow / 1000)} s from this client; retry in ${retryAfter} s`
    // Through the catalogue like every problem; counted by onLimited, not logged one by one.
    writeProblem(
      request,
      reply,
      classifyError(new GatewayError(RATE_LIMITED_CODE, detail, { 'retry-after': String(retryAfter) })),
    )
  }
  // A callback hook: the requests the limit does not count (by default every signed-in one) pass
  // without a promise of their own; the others wait for the counter.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (EXEMPT_ROUTES.has(request.routeOptions.url ?? '')) return done()
    if (config.rateLimitScope === 'anonymous' && carriesCredentials(request)) return done()
    limit(request, reply).then(() => done(), done)
  })
}

/**
 * Whether the request says who it is: an Authorization header (Basic or Bearer, any face) or the
 * browse page's session cookie. Checked before authentication, so a wrong credential counts as
 * one too; see the file comment for what bounds those.
 */
export function carriesCredentials(request: FastifyRequest): boolean {
  const auth = request.headers.authorization
  if (typeof auth === 'string' && auth.trim() !== '') return true
  const cookie = request.headers.cookie
  return typeof cookie === 'string' && cookie.includes(`${SESSION_COOKIE}=`)
}
