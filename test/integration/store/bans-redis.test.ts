/**
 * Bans on the real Redis (127.0.0.1:6379, a key prefix of its own): two BanLists and limiters over
 * two RedisStores stand for two gateway instances. What one issues the other honours, lists and
 * lifts; the records carry the TTL that is their memory; bad ids reach no key. The ban logic reads
 * an injected clock (a ban's end is reached by setting it), the TTLs are Redis' own.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BanList } from '../../../src/auth/bans.js'
import { isRefusal, LoginRateLimiter, type LoginRefusal } from '../../../src/auth/rate-limit.js'
import { RedisStore } from '../../../src/store/redis-store.js'
import { deleteRedisKeys, SHARED_REDIS_URL, testKeyPrefix } from '../../helpers/gateway.js'

const prefix = testKeyPrefix('bans-redis')
const BASE = 600
const MEMORY = 3600

interface Instance {
  store: RedisStore
  bans: BanList
  limiter: LoginRateLimiter
}

let clock = Date.now()
let a: Instance
let b: Instance
let raw: Redis

function instance(): Instance {
  const store = new RedisStore({ url: SHARED_REDIS_URL, keyPrefix: prefix })
  const bans = new BanList({
    store,
    baseSeconds: BASE,
    memorySeconds: MEMORY,
    maxSeconds: 86_400,
    now: () => clock,
  })
  const sleep = () => new Promise<void>((r) => setImmediate(r))
  const limiter = new LoginRateLimiter({
    store,
    limit: 3,
    perUser: 8,
    windowMs: 3_600_000,
    now: () => clock,
    sleep,
    bans,
  })
  return { store, bans, limiter }
}

async function fail(on: Instance, address: string, user: string): Promise<void> {
  const r = await on.limiter.reserve(address, user)
  if (isRefusal(r)) throw new Error(`refused by ${r.scope}`)
  await on.limiter.failed(r)
}

async function refused(on: Instance, address: string, user: string): Promise<LoginRefusal | undefined> {
  const r = await on.limiter.reserve(address, user)
  if (isRefusal(r)) return r
  await on.limiter.release(r)
  return undefined
}

async function keysUnderPrefix(): Promise<string[]> {
  return (await raw.keys(`${prefix}*`)).sort()
}

beforeAll(async () => {
  raw = new Redis(SHARED_REDIS_URL)
  a = instance()
  b = instance()
})

afterAll(async () => {
  await Promise.all([a?.store.close(), b?.store.close()])
  raw?.disconnect()
  await deleteRedisKeys(SHARED_REDIS_URL, prefix)
})

describe('bans shared through Redis', () => {
  it('a ban issued through one instance holds on the other, and its record lives for the ban plus the memory', async () => {
    // Failures land on both instances, as a balancer spreads them.
    await fail(a, '192.0.2.1', 'alice')
    await fail(b, '192.0.2.1', 'alice')
    await fail(a, '192.0.2.1', 'alice')
    const onB = await refused(b, '192.0.2.1', 'alice')
    expect(onB?.ban).toMatchObject({ kind: 'address', subject: '192.0.2.1', strikes: 1 })
    expect(onB?.retryAfterSeconds).toBe(BASE)
    expect((await b.limiter.knownMayPass('192.0.2.1', 'alice')).pass).toBe(false)
    expect(await refused(b, '192.0.2.2', 'alice')).toBeUndefined()
    const [listed] = await b.bans.list()
    const ttl = await raw.pttl(`${prefix}ban:${listed?.id}`)
    expect(ttl).toBeGreaterThan(BASE * 1000)
    expect(ttl).toBeLessThanOrEqual((BASE + MEMORY) * 1000)
    // The window's counts were cleared when the ban took over from them.
    expect(await raw.keys(`${prefix}login-failed:*`)).toEqual([])
  })

  it('the repeat after the ban doubles it on whichever instance it happens', async () => {
    clock += BASE * 1000
    expect(await refused(a, '192.0.2.1', 'alice')).toBeUndefined()
    for (let i = 0; i < 3; i++) await fail(i % 2 === 0 ? b : a, '192.0.2.1', 'alice')
    const again = await refused(a, '192.0.2.1', 'alice')
    expect(again?.ban?.strikes).toBe(2)
    expect(again?.retryAfterSeconds).toBe(2 * BASE)
  })

  it('a user ban: listed on both, lifted through one, gone on the other', async () => {
    // Eight addresses, one failure each, fill carol's per-user count of 8.
    for (let i = 1; i <= 8; i++) await fail(i % 2 === 0 ? a : b, `198.51.100.${i}`, 'carol')
    const userBan = (await a.bans.list()).find((ban) => ban.kind === 'user')
    expect(userBan).toMatchObject({ subject: 'carol', strikes: 1, reason: 'LOGIN_FAIL_LIMIT_PER_USER' })
    expect((await refused(b, '198.51.100.1', 'carol'))?.ban?.kind).toBe('user')
    // A fresh address is not held by it.
    expect(await refused(b, '198.51.100.99', 'carol')).toBeUndefined()
    expect((await b.bans.list()).map((ban) => ban.id)).toContain(userBan?.id)
    expect(await b.bans.lift(userBan?.id ?? '', 'root')).toBeDefined()
    expect((await a.bans.list()).map((ban) => ban.id)).not.toContain(userBan?.id)
    expect(await refused(a, '198.51.100.1', 'carol')).toBeUndefined()
    expect(await raw.exists(`${prefix}ban:${userBan?.id}`)).toBe(0)
  })

  it('malformed and unknown ids change nothing in Redis', async () => {
    const before = await keysUnderPrefix()
    const index = await raw.hgetall(`${prefix}ban-index`)
    for (const id of [
      '',
      '*',
      'ban-index',
      `a${'f'.repeat(31)}`,
      `u${'0'.repeat(32)}`,
      `a${'0'.repeat(32)}:x`,
      '\u0000',
    ]) {
      expect(await a.bans.lift(id, 'root')).toBeUndefined()
    }
    expect(await keysUnderPrefix()).toEqual(before)
    expect(await raw.hgetall(`${prefix}ban-index`)).toEqual(index)
  })
})
