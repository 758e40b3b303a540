/**
 * The rate limiter counts in the gateway store's Redis, over a connection duplicated from the
 * store's (same server and fail-fast settings), and lets requests through while that Redis is
 * unreachable. The limit shared by two instances is tested against a real Redis in
 * test/integration/production/rate-limit.test.ts.
 */
import type { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { RedisStore } from '../../../src/store/index.js'
import { buildTestApp, testConfig } from '../../helpers/http-app.js'

const stores: RedisStore[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()))
})

describe('RedisStore.duplicateClient', () => {
  it("is a new connection with the store's server and fail-fast settings", async () => {
    const store = new RedisStore({
      url: 'redis://:pw@127.0.0.1:1/3',
      commandTimeoutMs: 700,
      connectTimeoutMs: 600,
      lazyConnect: true,
    })
    stores.push(store)
    const copy = store.duplicateClient() as Redis
    try {
      expect(copy).not.toBe(store.client)
      const own = (store.client as Redis).options
      expect(copy.options).toMatchObject({
        host: '127.0.0.1',
        port: 1,
        password: 'pw',
        db: 3,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: 700,
        connectTimeout: 600,
      })
      expect(copy.options.retryStrategy).toBe(own.retryStrategy)
    } finally {
      copy.disconnect()
    }
  })
})

describe('the rate limit on a RedisStore', () => {
  it('lets requests through while Redis cannot be reached (the limit is protection, not a dependency)', async () => {
    // Nothing listens on port 1: every count fails at once and skipOnError admits the request.
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 500 })
    stores.push(store)
    const t = await buildTestApp({
      config: testConfig({ rateLimitMax: 1, rateLimitWindowMs: 60_000 }),
      store,
    })
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) statuses.push((await t.app.inject({ url: '/api/v1/dirs/' })).statusCode)
    expect(statuses).toEqual([401, 401, 401])
  })
})
