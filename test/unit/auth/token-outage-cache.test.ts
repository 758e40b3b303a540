/**
 * Bearer tokens while the store cannot be read (token-cache.ts): a token the store confirmed within
 * the cache's age bound is still accepted, anything else still fails with the StoreError; a
 * revocation on another instance reaches this one through the store's pub/sub; the cache is only
 * ever a fallback (while the store answers, its word wins at once), and it is bounded in size.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TokenCache } from '../../../src/auth/token-cache.js'
import { SessionTokens } from '../../../src/auth/tokens.js'
import { StoreError } from '../../../src/store/errors.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import type { Store } from '../../../src/store/store.js'
import { waitFor } from '../../helpers/wait-for.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2030, 0, 1)
const CACHE_MS = 120_000

/** A view of `store` whose reads and writes fail like an unreachable Redis while `down` is set; pub/sub still works. */
function flaky(store: MemoryStore): Store & { down: boolean } {
  const view = Object.create(store) as Store & { down: boolean }
  view.down = false
  const fail = () => Promise.reject(new StoreError('STORE_ERR_UNAVAILABLE', 'redis unavailable (test)'))
  for (const m of ['get', 'mget', 'set', 'del', 'publish'] as const) {
    const real = store[m].bind(store) as (...args: unknown[]) => Promise<unknown>
    ;(view as unknown as Record<string, unknown>)[m] = (...args: unknown[]) =>
      view.down ? fail() : real(...args)
  }
  return view
}

describe('bearer tokens through a store outage', () => {
  let shared: MemoryStore
  const key = randomBytes(32)

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    shared = new MemoryStore()
  })
  afterEach(async () => {
    vi.useRealTimers()
    await shared.close()
  })

  const instance = (store: Store, outageCacheMs = CACHE_MS) =>
    new SessionTokens({ store, key, ttlMs: HOUR, mode: 'passthrough', outageCacheMs })

  it('accepts a token confirmed within the bound, refuses to guess about others', async () => {
    const store = flaky(shared)
    const tokens = instance(store)
    const used = await tokens.create('alice', 'pw')
    const neverUsed = await tokens.create('bob', 'pw')
    expect((await tokens.resolve(used.token))?.username).toBe('alice')

    store.down = true
    // Even the expiry push (a write) failing does not fail the request.
    vi.setSystemTime(T0 + 90_000)
    expect((await tokens.resolve(used.token))?.password).toBe('pw')
    // Never seen by this instance: nothing to fall back on, the store's error stands (503 above).
    await expect(tokens.resolve(neverUsed.token)).rejects.toBeInstanceOf(StoreError)
    // A malformed token is refused without any store call, outage or not.
    expect(await tokens.resolve('not-a-token')).toBeUndefined()
    // Past the bound since the store last confirmed it: no longer accepted from memory.
    vi.setSystemTime(T0 + CACHE_MS + 1)
    await expect(tokens.resolve(used.token)).rejects.toBeInstanceOf(StoreError)

    store.down = false
    expect((await tokens.resolve(used.token))?.username).toBe('alice')
  })

  it('never outlives the token itself', async () => {
    const store = flaky(shared)
    const tokens = new SessionTokens({
      store,
      key,
      ttlMs: 60_000,
      mode: 'passthrough',
      outageCacheMs: CACHE_MS,
    })
    const { token } = await tokens.create('alice', 'pw')
    await tokens.resolve(token)
    store.down = true
    vi.setSystemTime(T0 + 60_001)
    // Expired is expired: refused (401) from the cached record itself, no store needed.
    expect(await tokens.resolve(token)).toBeUndefined()
  })

  it('a revocation on another instance reaches this one through pub/sub', async () => {
    const storeA = flaky(shared)
    const storeB = flaky(shared)
    const a = instance(storeA)
    const b = instance(storeB)
    await Promise.all([a.listening, b.listening])
    const { token } = await a.create('alice', 'pw')
    expect(await b.resolve(token)).toBeDefined()
    storeB.down = true
    // Cut off from the store, B still accepts the token it confirmed…
    expect(await b.resolve(token)).toBeDefined()
    expect(await a.revoke(token)).toBe(true)
    // …until the revocation arrives on the pub/sub (delivered asynchronously, as Redis does).
    const refused = await waitFor(
      () =>
        b.resolve(token).then(
          () => false,
          (err) => err instanceof StoreError,
        ),
      5000,
    )
    expect(refused).toBe(true)
  })

  it('while the store answers, its word wins over the cache at once', async () => {
    const store = flaky(shared)
    const a = instance(store)
    const b = instance(shared, 0)
    const { token } = await a.create('alice', 'pw')
    await a.resolve(token)
    // Revoked by an instance without pub/sub delivery to a (its own, uncached store view).
    await shared.del(
      `session:${(await import('node:crypto')).createHash('sha256').update(token).digest('hex')}`,
    )
    expect(await a.resolve(token)).toBeUndefined()
    store.down = true
    // The refusal also emptied the cache: still refused (no fallback to the old record).
    await expect(a.resolve(token)).rejects.toBeInstanceOf(StoreError)
    expect(await b.resolve(token)).toBeUndefined()
  })

  it('without a cache (TOKEN_CACHE_TTL_MS=0) every use needs the store', async () => {
    const store = flaky(shared)
    const tokens = instance(store, 0)
    const { token } = await tokens.create('alice', 'pw')
    await tokens.resolve(token)
    store.down = true
    await expect(tokens.resolve(token)).rejects.toBeInstanceOf(StoreError)
  })
})

describe('TokenCache', () => {
  it('keeps at most maxEntries, dropping the least recently confirmed', () => {
    let now = 0
    const cache = new TokenCache<string>({ maxAgeMs: 1000, maxEntries: 3, now: () => now })
    for (const id of ['a', 'b', 'c']) cache.confirm(id, id.toUpperCase())
    cache.confirm('a', 'A2')
    cache.confirm('d', 'D')
    expect(cache.size).toBe(3)
    expect(cache.recall('b')).toBeUndefined()
    expect([cache.recall('a'), cache.recall('c'), cache.recall('d')]).toEqual(['A2', 'C', 'D'])
    now = 1001
    expect(cache.recall('a')).toBeUndefined()
    expect(cache.size).toBe(2)
  })
})
