/**
 * The per-client request limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS), counted in Redis when
 * the gateway has one so the limit holds across every instance, else in memory. It runs as an
 * app-level onRequest hook, before authentication, so a flood costs one counter increment per
 * request and no FTP work. A Redis outage lets requests through (the limit is protection, not a
 * dependency). Failed logins have their own, stricter limit in src/auth.
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { GatewayConfig } from '../config.js'
import { redisOptionsFor } from '../store/index.js'
import { buildClient, type Client } from '../store/redis-connection.js'
import { problemType } from './problem.js'

/** Routes the limit never applies to: probes and scrapes come often and from few addresses. */
const EXEMPT_ROUTES = new Set(['/healthz', '/readyz', '/metrics'])

/** Problem code of a 429 from this limit (failed logins answer AUTH_ERR_RATE_LIMITED instead). */
export const RATE_LIMITED_CODE = 'GW_ERR_RATE_LIMITED'

/**
 * Installs the limit on `app` (call before the routes are registered so every context inherits
 * the hook). `onLimited` is told about each refusal (for metrics). Does nothing when the limit is 0.
 */
export async function installRateLimit(
  app: FastifyInstance,
  config: GatewayConfig,
  onLimited: () => void,
): Promise<void> {
  const max = config.rateLimitMax
  if (max === 0) return
  const redisOptions = redisOptionsFor({
    redisUrl: config.redisUrl,
    sentinels: config.redisSentinels,
    sentinelName: config.redisSentinelName,
    clusterNodes: config.redisClusterNodes,
    keyPrefix: config.redisKeyPrefix,
  })
  let client: Client | undefined
  if (redisOptions) {
    // A connection of its own with the store's fail-fast settings: while Redis is down a command
    // rejects at once (skipOnError then lets the request through) instead of queueing.
    client = buildClient(redisOptions, 2000)
    // ioredis emits 'error' while reconnecting; the store already logs outages.
    client.on('error', () => undefined)
    app.addHook('onClose', async () => {
      client?.disconnect()
    })
  }
  await app.register(rateLimit, {
    global: false,
    max,
    timeWindow: config.rateLimitWindowMs,
    skipOnError: true,
    ...(client ? { redis: client, nameSpace: `${config.redisKeyPrefix}ratelimit:` } : {}),
  })
  const check = app.createRateLimit()
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (EXEMPT_ROUTES.has(request.routeOptions.url ?? '')) return
    const result = await check(request)
    if (result.isAllowed || !result.isExceeded) return
    onLimited()
    const retryAfter = Math.max(1, result.ttlInSeconds)
    const q = (request.raw.url ?? '').indexOf('?')
    reply
      .code(429)
      .header('retry-after', String(retryAfter))
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: problemType(RATE_LIMITED_CODE as never),
          title: 'Too many requests',
          status: 429,
          detail: `More than ${result.max} requests in ${Math.round(result.timeWindow / 1000)} s from this client; retry in ${retryAfter} s`,
          code: RATE_LIMITED_CODE,
          instance: q === -1 ? request.raw.url : request.raw.url?.slice(0, q),
          requestId: request.id,
        }),
      )
    return reply
  })
}
