/**
 * The per-client rate limit on a real Redis, over the connection the limiter duplicates from the
 * gateway's store: two instances sharing a store's Redis share one limit, counted under the store's
 * key prefix.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { RedisStore } from '../../../src/store/index.js'
import { buildTestApp, testConfig } from '../../helpers/http-app.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// One prefix per run: parallel and repeated runs never share a counter.
const prefix = `ftpgw-test-${randomUUID().slice(0, 8)}:`

const stores: RedisStore[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()))
  const redis = new Redis(REDIS_URL)
  try {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
  } finally {
    redis.disconnect()
  }
})

describe('rate limit in the store’s Redis', () => {
  it('holds across two instances and counts under the store’s key prefix', async () => {
    const config = testConfig({ rateLimitMax: 3, rateLimitWindowMs: 60_000 })
    const instances = []
    for (let i = 0; i < 2; i++) {
      const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix })
      stores.push(store)
      instances.push(await buildTestApp({ config, store }))
    }
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]]
    const statuses: number[] = []
    for (const t of [a, b, a, b]) statuses.push((await t.app.inject({ url: '/api/v1/dirs/' })).statusCode)
    expect(statuses).toEqual([401, 401, 401, 429])

    const redis = new Redis(REDIS_URL)
    try {
      expect(await redis.keys(`${prefix}ratelimit:*`)).toHaveLength(1)
    } finally {
      redis.disconnect()
    }
  })
})
