/** Two gateway instances (two authenticators over two RedisStores) sharing one real Redis. */
import { randomBytes, randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Auth, createAuth } from '../../../src/auth/authenticator.js'
import { AuthError } from '../../../src/auth/errors.js'
import { identityOf } from '../../../src/auth/types.js'
import { RedisStore } from '../../../src/store/redis-store.js'
import { basic, type FakeFiles, fakeFiles, testConfig } from '../../unit/auth/auth-fixtures.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const prefix = `ftpgw-test-auth-${randomUUID().slice(0, 8)}:`
const IP = '198.51.100.20'

async function deleteKeys(): Promise<void> {
  const redis = new Redis(REDIS_URL)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return err instanceof AuthError ? err.code : `not an AuthError: ${String(err)}`
  }
  return undefined
}

describe('auth across instances on a real Redis', () => {
  const stores: RedisStore[] = []
  // Both instances are configured alike, as behind a load balancer: same SESSION_SECRET.
  const config = testConfig({ sessionKey: randomBytes(32), loginFailLimit: 3 })
  let files: FakeFiles
  let a: Auth
  let b: Auth

  beforeAll(() => {
    files = fakeFiles({ alice: 'alice:pw' })
  })

  const instance = (): Auth => {
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix })
    stores.push(store)
    return createAuth({ config, store, files })
  }

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()))
  })
  afterAll(deleteKeys)

  it('a token made on one instance works on the other', async () => {
    a = instance()
    b = instance()
    const { token } = await a.sessions.create('alice', 'alice:pw', IP)
    expect(await b.authenticator.authenticate(`Bearer ${token}`, IP)).toEqual({
      ...identityOf('alice', 'alice:pw'),
      method: 'token',
    })
    expect(await b.sessions.describe(token)).toMatchObject({ username: 'alice' })
  })

  it('stores only the token hash, and the password encrypted', async () => {
    a = instance()
    const { token } = await a.sessions.create('alice', 'alice:pw', IP)
    const redis = new Redis(REDIS_URL)
    try {
      const keys = await redis.keys(`${prefix}session:*`)
      expect(keys.length).toBeGreaterThan(0)
      for (const key of keys) {
        expect(key).not.toContain(token)
        const value = (await redis.get(key)) ?? ''
        expect(value).not.toContain('alice:pw')
        expect(value).not.toContain(token)
        const ttl = await redis.pttl(key)
        expect(ttl).toBeGreaterThan(0)
        expect(ttl).toBeLessThanOrEqual(config.sessionTtlMs)
      }
    } finally {
      redis.disconnect()
    }
  })

  it('a revoke on one instance is seen by the other at once', async () => {
    a = instance()
    b = instance()
    const { token } = await a.sessions.create('alice', 'alice:pw', IP)
    expect(await b.authenticator.authenticate(`Bearer ${token}`, IP)).toBeDefined()
    expect(await b.sessions.revoke(token)).toBe(true)
    expect(await codeOf(a.authenticator.authenticate(`Bearer ${token}`, IP))).toBe('AUTH_ERR_INVALID')
    expect(await a.sessions.describe(token)).toBeUndefined()
    expect(await a.sessions.revoke(token)).toBe(false)
  })

  it('failed-login counts are shared', async () => {
    a = instance()
    b = instance()
    const ip = `198.51.100.${Math.floor(Math.random() * 200) + 30}`
    expect(await codeOf(a.authenticator.authenticate(basic('alice', 'x1'), ip))).toBe('AUTH_ERR_INVALID')
    expect(await codeOf(b.authenticator.authenticate(basic('alice', 'x2'), ip))).toBe('AUTH_ERR_INVALID')
    expect(await codeOf(a.sessions.create('alice', 'x3', ip))).toBe('AUTH_ERR_INVALID')
    const calls = files.calls.length
    // The third failure reached the limit on A: the address is banned on B too (bans.ts), even for
    // the right password, and no FTP login is tried.
    expect(await codeOf(b.authenticator.authenticate(basic('alice', 'alice:pw'), ip))).toBe('AUTH_ERR_BANNED')
    expect(await codeOf(a.sessions.create('alice', 'alice:pw', ip))).toBe('AUTH_ERR_BANNED')
    expect(files.calls.length).toBe(calls)
    // Another address is unaffected.
    expect(await b.authenticator.authenticate(basic('alice', 'alice:pw'), IP)).toBeDefined()
  })
})
