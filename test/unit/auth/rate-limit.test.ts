import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  isRefusal,
  type LoginAttempt,
  LoginRateLimiter,
  type LoginRateLimiterOptions,
  type LoginRefusal,
} from '../../../src/auth/rate-limit.js'
import { StoreError } from '../../../src/store/errors.js'
import { MemoryStore } from '../../../src/store/memory-store.js'

const WINDOW = 60_000
// Ten seconds into a window, so 50 s of it remain.
const T0 = Date.UTC(2030, 0, 1) + 10_000

describe('LoginRateLimiter', () => {
  let store: MemoryStore
  let clock: number

  beforeEach(() => {
    // The store's lease expiry reads Date; the limiter's windows read the injected clock: one time.
    vi.useFakeTimers({ toFake: ['Date'] })
    clock = T0
    vi.setSystemTime(T0)
    store = new MemoryStore()
  })
  afterEach(async () => {
    vi.useRealTimers()
    await store.close()
  })

  let waits: number
  function limiter(options: Partial<LoginRateLimiterOptions> = {}): LoginRateLimiter {
    waits = 0
    // Waiting is counted, not timed: each wait yields to let the attempts in flight settle.
    const sleep = async () => {
      waits++
      await new Promise((r) => setImmediate(r))
    }
    return new LoginRateLimiter({ store, limit: 3, windowMs: WINDOW, now: () => clock, sleep, ...options })
  }

  /** Reserves and records a failure (a wrong password), as the authenticator does. */
  async function failure(l: LoginRateLimiter, address: string, user: string): Promise<void> {
    await l.failed(await attempt(l, address, user))
  }

  function setTime(t: number): void {
    clock = t
    vi.setSystemTime(t)
  }

  async function attempt(l: LoginRateLimiter, address: string, user: string): Promise<LoginAttempt> {
    const result = await l.reserve(address, user)
    if (isRefusal(result)) throw new Error(`refused by ${result.scope}`)
    return result
  }

  async function refusal(l: LoginRateLimiter, address: string, user: string): Promise<LoginRefusal> {
    const result = await l.reserve(address, user)
    if (!isRefusal(result)) throw new Error('not refused')
    return result
  }

  it('allows `limit` failures, then refuses with the time left in the window', async () => {
    const l = limiter()
    for (let i = 0; i < 3; i++) await failure(l, '10.0.0.1', 'alice')
    const refused = await refusal(l, '10.0.0.1', 'alice')
    expect(refused).toEqual({ scope: 'address+user', retryAfterSeconds: 50 })
    setTime(T0 + 49_500)
    expect((await refusal(l, '10.0.0.1', 'alice')).retryAfterSeconds).toBe(1)
    // The next window starts clean.
    setTime(T0 + 50_000)
    await attempt(l, '10.0.0.1', 'alice')
  })

  it('reserves before the login: of 60 concurrent wrong guesses exactly `limit` get through', async () => {
    const l = limiter({ limit: 10 })
    let passed = 0
    const results = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const r = await l.reserve('10.0.0.1', 'bob')
        if (isRefusal(r)) return r
        passed++
        await l.failed(r)
        return r
      }),
    )
    expect(passed).toBe(10)
    const refused = results.filter(isRefusal)
    expect(refused).toHaveLength(50)
    expect(refused.every((r) => r.scope === 'address+user' && r.retryAfterSeconds === 50)).toBe(true)
  })

  it('attempts in flight are not failures: a burst of correct logins waits, none is refused', async () => {
    const l = limiter({ limit: 3, perAddress: 5 })
    let inFlight = 0
    let most = 0
    const results = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const r = await l.reserve('10.0.0.1', 'alice')
        if (isRefusal(r)) return r
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setImmediate(resolve))
        inFlight--
        await l.succeeded(r)
        return r
      }),
    )
    expect(results.filter(isRefusal)).toEqual([])
    expect(most).toBeLessThanOrEqual(3)
    expect(waits).toBeGreaterThan(0)
  })

  it('a wait that never ends is refused after maxWaits', async () => {
    const l = limiter({ limit: 1, maxWaits: 4 })
    await attempt(l, '10.0.0.1', 'alice') // in flight forever
    expect(await refusal(l, '10.0.0.1', 'alice')).toEqual({ scope: 'address+user', retryAfterSeconds: 1 })
    expect(waits).toBe(4)
  })

  it('counts per address and user', async () => {
    const l = limiter()
    for (let i = 0; i < 3; i++) await failure(l, '10.0.0.1', 'alice')
    await refusal(l, '10.0.0.1', 'alice')
    await attempt(l, '10.0.0.2', 'alice')
    await attempt(l, '10.0.0.1', 'bob')
  })

  it('a success gives its attempt back and clears only its own address and user', async () => {
    const l = limiter({ perAddress: 6 })
    await failure(l, '10.0.0.1', 'alice')
    await failure(l, '10.0.0.1', 'alice')
    await failure(l, '10.0.0.1', 'carol')
    await failure(l, '10.0.0.2', 'alice')
    await failure(l, '10.0.0.2', 'alice')
    await l.succeeded(await attempt(l, '10.0.0.1', 'alice'))
    // alice from 10.0.0.1 starts again at 0 of 3; 10.0.0.2 keeps its two failures.
    for (let i = 0; i < 3; i++) await failure(l, '10.0.0.1', 'alice')
    expect((await refusal(l, '10.0.0.1', 'alice')).scope).toBe('address+user')
    await failure(l, '10.0.0.2', 'alice')
    expect((await refusal(l, '10.0.0.2', 'alice')).scope).toBe('address+user')
    // The address keeps its failures with other users (6 of 6): a valid account does not launder a spray.
    expect((await refusal(l, '10.0.0.1', 'dave')).scope).toBe('address')
  })

  it('an attempt released (not the client’s fault) is not counted', async () => {
    const l = limiter()
    for (let i = 0; i < 10; i++) await l.release(await attempt(l, '10.0.0.1', 'alice'))
    expect(await store.countLeases(`login-fail-all:${Math.floor(T0 / WINDOW)}`)).toBe(0)
  })

  it('limits spraying: failures per address across user names', async () => {
    const l = limiter({ perAddress: 5 })
    for (let i = 0; i < 5; i++) await failure(l, '10.0.0.1', `user${i}`)
    expect(await refusal(l, '10.0.0.1', 'someone-else')).toEqual({ scope: 'address', retryAfterSeconds: 50 })
    await attempt(l, '10.0.0.2', 'someone-else')
  })

  it('per user across addresses: attackers are stopped, an address without failures still gets in', async () => {
    const l = limiter({ perUser: 6 })
    // Three attacking addresses use up bob's allowance, then a fourth attempt of theirs is refused.
    for (const a of ['10.0.0.1', '10.0.0.2']) for (let i = 0; i < 3; i++) await failure(l, a, 'bob')
    expect((await refusal(l, '10.0.0.1', 'bob')).scope).toBe('address+user') // own pair spent
    await failure(l, '10.0.0.3', 'bob') // its first attempt: exempt
    expect((await refusal(l, '10.0.0.3', 'bob')).scope).toBe('user')
    // The real bob, from an address that has not failed: let through, and kept in after success.
    const first = await attempt(l, '192.168.1.5', 'bob')
    expect(first.exempted).toBe(true)
    await l.succeeded(first)
    for (let i = 0; i < 5; i++) await l.succeeded(await attempt(l, '192.168.1.5', 'bob'))
    // Concurrent requests of the signed-in client are let in too (the address is good for bob).
    const burst = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const r = await l.reserve('192.168.1.5', 'bob')
        if (!isRefusal(r)) await l.succeeded(r)
        return r
      }),
    )
    expect(burst.filter(isRefusal)).toEqual([])
    // Alice, and other users of the attackers' addresses, are unaffected.
    await attempt(l, '10.0.0.3', 'alice')
  })

  it('a global ceiling stops addresses that have failed, not fresh ones', async () => {
    const l = limiter({ global: 4, limit: 10 })
    for (let i = 0; i < 4; i++) await failure(l, '10.0.0.1', `u${i}`)
    expect((await refusal(l, '10.0.0.1', 'u9')).scope).toBe('global')
    // Concurrent wrong guesses from a fresh address: one at a time, and after its failure none.
    let passed = 0
    const burst = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const r = await l.reserve('10.0.0.3', `v${i}`)
        if (!isRefusal(r)) {
          passed++
          await l.failed(r)
        }
        return r
      }),
    )
    expect(passed).toBe(1)
    expect(burst.filter(isRefusal).every((r) => r.scope === 'global')).toBe(true)
  })

  it('keeps user names and addresses out of the store keys, with the window as TTL', async () => {
    const acquire = vi.spyOn(store, 'acquireLease')
    await attempt(limiter(), '10.0.0.1', 'alice')
    const keys = acquire.mock.calls.map((c) => c[0])
    expect(keys).toHaveLength(4)
    const incr = vi.spyOn(store, 'incr')
    await failure(limiter(), '10.0.0.1', 'alice')
    keys.push(...incr.mock.calls.map((c) => c[0]))
    for (const key of keys) {
      expect(key).not.toMatch(/alice|10\.0\.0\.1/)
      expect(key).toMatch(/^login-fail(ed)?(-addr|-user|-all)?:([0-9a-f]{64}:)?\d+$/)
    }
    expect(acquire.mock.calls.every((c) => c[3] === 50_000)).toBe(true)
    expect(incr.mock.calls.every((c) => c[2] === 50_000)).toBe(true)
  })

  it('a store failure halfway gives back what was reserved and propagates', async () => {
    const l = limiter()
    const real = store.acquireLease.bind(store)
    let calls = 0
    vi.spyOn(store, 'acquireLease').mockImplementation(async (...args) => {
      if (++calls === 3) throw new StoreError('STORE_ERR_UNAVAILABLE', 'redis unavailable')
      return real(...args)
    })
    await expect(l.reserve('10.0.0.1', 'alice')).rejects.toThrow(StoreError)
    vi.restoreAllMocks()
    expect(await store.countLeases(`login-fail-all:${Math.floor(T0 / WINDOW)}`)).toBe(0)
    for (let i = 0; i < 3; i++) await failure(l, '10.0.0.1', 'alice')
    await refusal(l, '10.0.0.1', 'alice')
  })
})
