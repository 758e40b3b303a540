/**
 * The per-client rate limit on a real Redis, over the connection the limiter duplicates from the
 * gateway's store: two instances sharing a store's Redis share one limit, counted under the store's
 * key prefix.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { RedisStore } from '../../../src/store/index.js'
import { buildTestApp, testConfig } from '../../helpers/http-app.js'
import { waitFor } from '../../helpers/wait-for.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// One prefix per run: parallel and repeated runs never share a counter.
const prefix = `ftpgw-test-${randomUUID().slice(0, 8)}:`

const stores: RedisStore[] = []
const redis = new Redis(REDIS_URL, { lazyConnect: true })
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()))
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
})
afterAll(() => redis.disconnect())

/**
 * Waits until `app`'s limiter counts in Redis, probing from an address of its own: its connection
 * comes up in the background, and until then the limit lets requests through uncounted.
 */
async function countingInRedis(app: FastifyInstance, probe: string): Promise<boolean> {
  return waitFor(async () => {
    await app.inject({ url: '/api/v1/dirs/', remoteAddress: probe })
    return (await redis.exists(`${prefix}ratelimit:${probe}`)) === 1
  }, 5000)
}

describe('rate limit in the store’s Redis', () => {
  it('holds across two instances and counts under the store’s key prefix', async () => {
    const config = testConfig({ rateLimitMax: 3, rateLimitWindowMs: 60_000 })
    const apps: FastifyInstance[] = []
    for (let i = 0; i < 2; i++) {
      const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix })
      stores.push(store)
      const { app } = await buildTestApp({ config, store })
      expect(await countingInRedis(app, `192.0.2.${100 + i}`)).toBe(true)
      apps.push(app)
    }
    const [a, b] = apps as [FastifyInstance, FastifyInstance]
    const client = '192.0.2.7'
    const statuses: number[] = []
    for (const app of [a, b, a, b]) {
      statuses.push((await app.inject({ url: '/api/v1/dirs/', remoteAddress: client })).statusCode)
    }
    expect(statuses).toEqual([401, 401, 401, 429])
    expect(await redis.get(`${prefix}ratelimit:${client}`)).toBe('4')
  })
})
