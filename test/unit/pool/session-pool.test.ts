import { describe, expect, it, vi } from 'vitest'
import { budgetKey, PoolAbortedError, PoolExhaustedError } from '../../../src/pool/index.js'
import { sleep } from './fake-resource.js'
import { drainAfterEach, setup } from './pool-harness.js'

drainAfterEach()

describe('SessionPool: reuse and limits', () => {
  it('reuses an idle resource instead of creating one', async () => {
    const { upstream, pool } = setup()
    const first = await pool.use('a', async (r) => r)
    const second = await pool.use('a', async (r) => r)
    expect(second).toBe(first)
    expect(upstream.creates).toBe(1)
    expect(pool.stats()).toMatchObject({ size: 1, idle: 1, busy: 0, created: 1 })
  })

  it('keeps separate resources per key', async () => {
    const { upstream, pool } = setup()
    const a = await pool.use('a', async (r) => r)
    const b = await pool.use('b', async (r) => r)
    expect(a).not.toBe(b)
    expect(upstream.creates).toBe(2)
    expect(pool.stats().perKey).toEqual({
      a: { idle: 1, busy: 0, waiting: 0 },
      b: { idle: 1, busy: 0, waiting: 0 },
    })
  })

  it('hands out the most recently used idle resource first (LIFO)', async () => {
    const { pool } = setup({ maxPerKey: 3 })
    const c1 = await pool.acquire('a')
    const c2 = await pool.acquire('a')
    const c3 = await pool.acquire('a')
    c1.release()
    c3.release()
    c2.release()
    const next = await pool.acquire('a')
    expect(next.resource).toBe(c2.resource)
    next.release()
  })

  it('never exceeds maxPerKey and serves waiters in FIFO order', async () => {
    const { upstream, pool } = setup({ maxPerKey: 2 })
    const c1 = await pool.acquire('a')
    const c2 = await pool.acquire('a')
    const order: number[] = []
    const w1 = pool.acquire('a').then((c) => {
      order.push(1)
      return c
    })
    const w2 = pool.acquire('a').then((c) => {
      order.push(2)
      return c
    })
    await sleep(5)
    expect(pool.stats()).toMatchObject({ busy: 2, waiting: 2 })
    c1.release()
    const got1 = await w1
    expect(got1.resource).toBe(c1.resource)
    c2.release()
    const got2 = await w2
    expect(order).toEqual([1, 2])
    expect(upstream.creates).toBe(2)
    got1.release()
    got2.release()
  })

  it('rejects with PoolExhaustedError and Retry-After when the deadline passes', async () => {
    const { pool } = setup({ maxPerKey: 1, acquireTimeoutMs: 30, retryAfterSeconds: 3 })
    const held = await pool.acquire('a')
    const err = await pool.acquire('a').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PoolExhaustedError)
    expect(err).toMatchObject({ code: 'POOL_ERR_EXHAUSTED', reason: 'timeout', retryAfterSeconds: 3 })
    expect(pool.stats().waiting).toBe(0)
    held.release()
  })

  it('rejects at once when the wait queue is full', async () => {
    const { pool } = setup({ maxPerKey: 1, maxWaiting: 2, acquireTimeoutMs: 5000 })
    const held = await pool.acquire('a')
    const w1 = pool.acquire('a')
    const w2 = pool.acquire('b-needs-budget-nothing-else')
    // With the clock stopped, a refusal that waited for any timer (the 5 s deadline, a retry)
    // could never come: "at once" means it settles while no time passes.
    vi.useFakeTimers()
    const err = await pool.acquire('a').catch((e: unknown) => e)
    vi.useRealTimers()
    expect(err).toMatchObject({ code: 'POOL_ERR_EXHAUSTED', reason: 'queue-full' })
    held.release()
    ;(await w1).release()
    ;(await w2).release()
  })

  it('removes a waiter whose signal aborts', async () => {
    const { pool } = setup({ maxPerKey: 1 })
    const held = await pool.acquire('a')
    const ac = new AbortController()
    const waiting = pool.acquire('a', { signal: ac.signal })
    await sleep(1)
    expect(pool.stats().waiting).toBe(1)
    ac.abort(new Error('client went away'))
    await expect(waiting).rejects.toBeInstanceOf(PoolAbortedError)
    expect(pool.stats().waiting).toBe(0)
    await expect(pool.acquire('a', { signal: ac.signal })).rejects.toMatchObject({ code: 'POOL_ERR_ABORTED' })
    held.release()
    // The released resource went idle rather than to the aborted waiter.
    expect(pool.stats()).toMatchObject({ idle: 1, busy: 0 })
  })

  it('release is idempotent', async () => {
    const { pool } = setup()
    const c = await pool.acquire('a')
    c.release()
    c.release({ discard: true })
    expect(pool.stats()).toMatchObject({ idle: 1, size: 1 })
  })
})

describe('SessionPool: health', () => {
  it('closes idle resources after idleTimeoutMs', async () => {
    vi.useFakeTimers()
    const { upstream, store, pool } = setup({ idleTimeoutMs: 1000 })
    await pool.use('a', async () => {})
    await vi.advanceTimersByTimeAsync(500)
    expect(upstream.closes).toBe(0)
    await vi.advanceTimersByTimeAsync(1000)
    expect(upstream.closes).toBe(1)
    expect(upstream.alive).toBe(0)
    expect(await store.countLeases(budgetKey('up'))).toBe(0)
    expect(pool.stats()).toMatchObject({ size: 0, evicted: 1 })
  })

  it('retires a resource past maxLifetimeMs when it is released', async () => {
    let clock = 1_000_000
    const { upstream, pool } = setup({ maxLifetimeMs: 1000, idleTimeoutMs: 60_000, now: () => clock })
    const c = await pool.acquire('a')
    clock += 2000
    c.release()
    await sleep(1)
    expect(upstream.closes).toBe(1)
    expect(upstream.alive).toBe(0)
    await pool.use('a', async () => {})
    expect(upstream.creates).toBe(2)
  })

  it('checks a resource before reuse after an error', async () => {
    const { upstream, pool } = setup()
    await expect(
      pool.use('a', async () => {
        throw new Error('550 no such file')
      }),
    ).rejects.toThrow('550')
    expect(upstream.checks).toBe(0)
    const r = await pool.use('a', async (res) => res)
    expect(upstream.checks).toBe(1)
    expect(upstream.creates).toBe(1)
    // Checked once is enough.
    expect(await pool.use('a', async (res) => res)).toBe(r)
    expect(upstream.checks).toBe(1)
  })

  it('checks a resource idle longer than checkAfterIdleMs', async () => {
    let clock = 1_000_000
    const { upstream, pool } = setup({ checkAfterIdleMs: 1000, now: () => clock })
    await pool.use('a', async () => {})
    clock += 500
    await pool.use('a', async () => {})
    expect(upstream.checks).toBe(0)
    clock += 1500
    await pool.use('a', async () => {})
    expect(upstream.checks).toBe(1)
  })

  it('checks a resource given back with an error only when needsCheckAfter says its state is uncertain', async () => {
    const ordinary = new Error('550 no such file')
    const { upstream, pool } = setup({ needsCheckAfter: (err) => err !== ordinary })
    const first = await pool.acquire('a')
    first.release({ error: ordinary })
    const second = await pool.acquire('a')
    expect(second.resource).toBe(first.resource)
    expect(upstream.checks).toBe(0)
    second.release({ error: new Error('timeout') })
    const third = await pool.acquire('a')
    expect(third.resource).toBe(first.resource)
    expect(upstream.checks).toBe(1)
    third.release()
  })

  it('destroys a resource whose check fails and creates a new one', async () => {
    const { upstream, pool } = setup()
    const first = await pool.acquire('a')
    first.release({ error: new Error('timeout') })
    upstream.failCheck = true
    const second = await pool.acquire('a')
    expect(second.resource).not.toBe(first.resource)
    expect(upstream.destroys).toBe(1)
    expect(upstream.creates).toBe(2)
    expect(first.resource.dead).toBe(true)
    second.release()
  })

  it('destroys a resource that became unusable, and closes one released with discard', async () => {
    const { upstream, pool } = setup()
    const c = await pool.acquire('a')
    c.resource.usable = false
    c.release()
    await sleep(1)
    expect(upstream.destroys).toBe(1)
    const d = await pool.acquire('a')
    d.release({ discard: true })
    await sleep(1)
    expect(upstream.closes).toBe(1)
    expect(upstream.alive).toBe(0)
    expect(pool.stats().size).toBe(0)
  })

  it('replaces a resource that died while idle (421, dead socket)', async () => {
    const { upstream, pool } = setup()
    const first = await pool.use('a', async (r) => r)
    first.usable = false
    const second = await pool.use('a', async (r) => r)
    expect(second).not.toBe(first)
    expect(upstream.destroys).toBe(1)
    expect(upstream.alive).toBe(1)
  })

  it('counts a create in progress as pending', async () => {
    const { upstream, pool } = setup()
    upstream.createDelayMs = 20
    const pending = pool.acquire('a')
    await sleep(5)
    expect(pool.stats()).toMatchObject({ size: 1, pending: 1, waiting: 1, idle: 0, busy: 0 })
    const c = await pending
    expect(pool.stats()).toMatchObject({ size: 1, pending: 0, waiting: 0, busy: 1, created: 1 })
    c.release()
  })

  it('caches a failed create for failureCacheMs, only for cached errors', async () => {
    let clock = 1_000_000
    const authError = Object.assign(new Error('530 login incorrect'), { auth: true })
    const { upstream, pool } = setup({
      failureCacheMs: 5000,
      now: () => clock,
      isCachedFailure: (e) => (e as { auth?: boolean }).auth === true,
    })
    upstream.failCreate = (key) =>
      key === 'bad' ? authError : key === 'down' ? new Error('ECONNREFUSED') : undefined
    await expect(pool.acquire('bad')).rejects.toBe(authError)
    await expect(pool.acquire('bad')).rejects.toBe(authError)
    expect(upstream.creates).toBe(1)
    // Other keys are not affected.
    await pool.use('good', async () => {})
    clock += 6000
    await expect(pool.acquire('bad')).rejects.toBe(authError)
    expect(upstream.creates).toBe(3)
    // Errors that are not cached are retried every time.
    await expect(pool.acquire('down')).rejects.toThrow('ECONNREFUSED')
    await expect(pool.acquire('down')).rejects.toThrow('ECONNREFUSED')
    expect(upstream.creates).toBe(5)
    expect(pool.stats().failedCreates).toBe(4)
  })

  it('rejects every waiter of a key with a cached failure', async () => {
    const authError = Object.assign(new Error('530'), { auth: true })
    const { upstream, pool } = setup({ maxPerKey: 1, isCachedFailure: (e) => e === authError })
    upstream.createDelayMs = 10
    upstream.failCreate = () => authError
    const all = await Promise.allSettled([pool.acquire('a'), pool.acquire('a'), pool.acquire('a')])
    expect(all.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(upstream.creates).toBe(1)
  })

  it('gives a non-cached create failure to the head waiter and retries for the next', async () => {
    const { upstream, pool } = setup({ maxPerKey: 1 })
    upstream.createDelayMs = 5
    let fail = 1
    upstream.failCreate = () => (fail-- > 0 ? new Error('ECONNRESET') : undefined)
    const [a, b] = await Promise.allSettled([pool.acquire('a'), pool.acquire('a')])
    expect(a.status).toBe('rejected')
    expect(b.status).toBe('fulfilled')
    if (b.status === 'fulfilled') b.value.release()
    expect(upstream.creates).toBe(2)
  })

  it('evictKey closes idle resources of that key and retires busy ones on release', async () => {
    const { upstream, pool } = setup({ maxPerKey: 2 })
    const busy = await pool.acquire('a')
    await pool.use('a', async () => {})
    await pool.use('b', async () => {})
    await pool.evictKey('a')
    expect(upstream.closes).toBe(1)
    busy.release()
    await sleep(1)
    expect(upstream.closes).toBe(2)
    expect(pool.stats().perKey.b).toEqual({ idle: 1, busy: 0, waiting: 0 })
  })

  it('cuts a hanging close short with destroy after closeTimeoutMs', async () => {
    const { upstream, store, pool } = setup({ closeTimeoutMs: 30 })
    await pool.use('a', async () => {})
    upstream.hangClose = true
    await pool.evictKey('a')
    expect(upstream.destroys).toBe(1)
    expect(upstream.alive).toBe(0)
    expect(await store.countLeases(budgetKey('up'))).toBe(0)
  })
})
