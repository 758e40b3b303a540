/**
 * Starts a whole gateway in-process (createGateway + listen on an ephemeral loopback port) against
 * a given FTP server, for end-to-end tests that need to look inside (pool stats, the store) while
 * talking real HTTP to it. Each gateway gets its own Redis key prefix so test files running in
 * parallel on the shared Redis never see each other's sessions, cache messages or pool budgets.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { Redis } from 'ioredis'
import pino from 'pino'
import { type GatewayConfig, loadConfig } from '../../src/config.js'
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js'

/** The Redis every integration test shares (a server already listens on 6379 on the development and CI machines; scripts/install-test-deps.sh starts one otherwise). */
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** What a gateway needs to know about its upstream. */
export interface UpstreamTarget {
  host: string
  port: number
}

/** A listening in-process gateway. */
export interface GatewayHandle {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string
  gateway: Gateway
  /** The Redis key prefix in use (undefined without Redis). */
  keyPrefix: string | undefined
  /** Closes the gateway (short grace) and deletes its Redis keys. Idempotent. */
  close(): Promise<void>
}

/** A fresh key prefix for one test gateway (or a group of gateways that must share state). */
export function testKeyPrefix(name: string): string {
  return `ftpgw-test-${name}-${randomUUID().slice(0, 8)}:`
}

/** `Authorization` value for HTTP Basic. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`
}

/**
 * Starts a gateway for `server`. `env` entries override the defaults (shared Redis, a fresh key
 * prefix, a fixed 32-character secret, silent logs); pass `REDIS_URL: ''` for in-memory state.
 */
export async function startGateway(
  server: UpstreamTarget,
  env: Record<string, string> = {},
  options: GatewayOptions & { logger?: pino.Logger } = {},
): Promise<GatewayHandle> {
  const merged: Record<string, string> = {
    FTP_URL: `ftp://${server.host}:${server.port}`,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_KEY_PREFIX: testKeyPrefix('gw'),
    SESSION_SECRET: 'e2e-test-secret-'.padEnd(32, 'x'),
    // GATEWAY_TEST_LOG=debug shows the gateway's logs when a test needs investigating.
    LOG_LEVEL: process.env.GATEWAY_TEST_LOG ?? 'silent',
    ...env,
  }
  return startGatewayWith(loadConfig(merged), options)
}

/** Test defaults every gateway gets (shared Redis, a fresh key prefix, a fixed secret, silent logs). */
export function testGatewayEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_KEY_PREFIX: testKeyPrefix('gw'),
    SESSION_SECRET: 'e2e-test-secret-'.padEnd(32, 'x'),
    LOG_LEVEL: process.env.GATEWAY_TEST_LOG ?? 'silent',
    ...env,
  }
}

/** Starts a gateway from a complete configuration (several upstreams and mounts, for instance). */
export async function startGatewayWith(
  config: GatewayConfig,
  options: GatewayOptions & { logger?: pino.Logger } = {},
): Promise<GatewayHandle> {
  const logger = options.logger ?? pino({ level: config.logLevel })
  const gateway = await createGateway(config, logger, options)
  await gateway.app.listen({ host: '127.0.0.1', port: 0 })
  const address = gateway.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('gateway has no TCP address')
  const keyPrefix = config.redisUrl ? (config.redisKeyPrefix ?? 'ftpgw:') : undefined
  let closing: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${address.port}`,
    gateway,
    keyPrefix,
    close() {
      closing ??= (async () => {
        await gateway.close(1000)
        if (config.redisUrl && keyPrefix?.startsWith('ftpgw-test-'))
          await deleteRedisKeys(config.redisUrl, keyPrefix)
      })()
      return closing
    },
  }
}

/** Deletes every key under `prefix` (best effort: a test's Redis may already be gone). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } catch {
    // Cleanup only; the keys carry TTLs or a random prefix nobody else uses.
  } finally {
    redis.disconnect()
  }
}

/** A whole HTTP response read with node:http (finer control than fetch: agents, sockets, aborts). */
export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** GET (or another bodiless method) through node:http; rejects when the body breaks off. */
export function httpGet(
  url: string,
  options: { headers?: http.OutgoingHttpHeaders; agent?: http.Agent; method?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        // 'aborted' fires when the server cut the response short; 'end' then never comes.
        res.on('aborted', () => reject(new Error('response aborted')))
        res.on('end', () => {
          if (!res.complete) reject(new Error('response incomplete'))
          else resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/**
 * Stops the gateway's readiness probe from dialling the upstream until the returned function is
 * called. The probe opens a short greeting-only connection every 2 s outside the session pool, so
 * server-side connection counts that must equal (or stay within) the pool would otherwise catch it
 * now and then.
 */
export function silenceReadinessProbe(handle: GatewayHandle): () => void {
  const upstream = handle.gateway.upstream
  const real = upstream.probe
  upstream.probe = async () => undefined
  return () => {
    upstream.probe = real
  }
}
