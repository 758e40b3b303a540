/** Two lock managers on two RedisStores (two instances) racing for the same exclusive lock. */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { LockConflictError, LockManager } from '../../../src/http/webdav/locks.js'
import { RedisStore } from '../../../src/store/redis-store.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const prefix = `ftpgw-test-davlocks-${randomUUID().slice(0, 8)}:`

describe('lock conflicts across instances on a real Redis', () => {
  const stores = [
    new RedisStore({ url: REDIS_URL, keyPrefix: prefix }),
    new RedisStore({ url: REDIS_URL, keyPrefix: prefix }),
  ]
  const [a, b] = stores.map((s) => new LockManager(s, 'race')) as [LockManager, LockManager]

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()))
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })

  it('grants exactly one of many simultaneous exclusive locks on one resource', async () => {
    for (let round = 0; round < 5; round++) {
      const path = `race/${round}`
      const attempts = Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? a : b).create({
          path,
          scope: 'exclusive',
          depth: 0,
          owner: '',
          principal: 'p',
          timeoutSec: 60,
        }),
      )
      const results = await Promise.allSettled(attempts)
      const won = results.filter((r) => r.status === 'fulfilled')
      expect(won).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockConflictError)
    }
  })

  it('refuses a depth-infinity lock racing a lock on a member', async () => {
    const [parent, member] = await Promise.allSettled([
      a.create({
        path: 'tree',
        scope: 'exclusive',
        depth: 'infinity',
        owner: '',
        principal: 'p',
        timeoutSec: 60,
      }),
      b.create({
        path: 'tree/leaf',
        scope: 'exclusive',
        depth: 0,
        owner: '',
        principal: 'p',
        timeoutSec: 60,
      }),
    ])
    expect([parent.status, member.status].filter((s) => s === 'fulfilled')).toHaveLength(1)
    // Both instances see the winner.
    expect(await a.all()).toEqual(await b.all())
  })
})
