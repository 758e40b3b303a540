import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AuthError } from '../../../src/auth/errors.js'
import { LoginRateLimiter } from '../../../src/auth/rate-limit.js'
import { MemoryStore } from '../../../src/store/memory-store.js'

const WINDOW = 60_000
// Ten seconds into a window, so 50 s of it remain.
const T0 = Date.UTC(2030, 0, 1) + 10_000

describe('LoginRateLimiter', () => {
  let store: MemoryStore
  let limiter: LoginRateLimiter

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    store = new MemoryStore()
    limiter = new LoginRateLimiter({ store, limit: 3, windowMs: WINDOW })
  })
  afterEach(async () => {
    vi.useRealTimers()
    await store.close()
  })

  async function rejection(p: Promise<unknown>): Promise<AuthError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(AuthError)
    return err as AuthError
  }

  it('allows `limit` failures, then refuses with the time left in the window', async () => {
    for (let i = 1; i <= 3; i++) {
      expect(await limiter.check('10.0.0.1', 'alice')).toBe(i - 1)
      expect(await limiter.failed('10.0.0.1', 'alice')).toBe(i)
    }
    const err = await rejection(limiter.check('10.0.0.1', 'alice'))
    expect(err.code).toBe('AUTH_ERR_RATE_LIMITED')
    expect(err.retryAfterSeconds).toBe(50)
    vi.setSystemTime(T0 + 49_500)
    expect((await rejection(limiter.check('10.0.0.1', 'alice'))).retryAfterSeconds).toBe(1)
    // The next window starts clean.
    vi.setSystemTime(T0 + 50_000)
    expect(await limiter.check('10.0.0.1', 'alice')).toBe(0)
  })

  it('counts per address and user', async () => {
    for (let i = 0; i < 3; i++) await limiter.failed('10.0.0.1', 'alice')
    await expect(limiter.check('10.0.0.1', 'alice')).rejects.toThrow(AuthError)
    expect(await limiter.check('10.0.0.2', 'alice')).toBe(0)
    expect(await limiter.check('10.0.0.1', 'bob')).toBe(0)
  })

  it('a success clears only its own address', async () => {
    await limiter.failed('10.0.0.1', 'alice')
    await limiter.failed('10.0.0.2', 'alice')
    await limiter.failed('10.0.0.2', 'alice')
    await limiter.succeeded('10.0.0.1', 'alice', await limiter.check('10.0.0.1', 'alice'))
    expect(await limiter.check('10.0.0.1', 'alice')).toBe(0)
    expect(await limiter.check('10.0.0.2', 'alice')).toBe(2)
  })

  it('a success with no failures writes nothing', async () => {
    const del = vi.spyOn(store, 'del')
    await limiter.succeeded('10.0.0.1', 'alice', 0)
    expect(del).not.toHaveBeenCalled()
  })

  it('keeps user names out of the store keys and sets a TTL', async () => {
    const incr = vi.spyOn(store, 'incr')
    await limiter.failed('10.0.0.1', 'alice')
    const [key, by, ttl] = incr.mock.calls[0]!
    expect(key).toMatch(/^login-fail:[0-9a-f]{64}:\d+$/)
    expect(key).not.toContain('alice')
    expect(by).toBe(1)
    expect(ttl).toBe(50_000)
  })
})
