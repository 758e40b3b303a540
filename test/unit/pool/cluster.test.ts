import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  budgetKey,
  holderId,
  PoolExhaustedError,
  SessionPool,
  type SessionPoolOptions,
} from '../../../src/pool/index.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import type { Store } from '../../../src/store/store.js'
import { type FakeResource, FakeUpstream, sleep } from './fake-resource.js'

const KEY = budgetKey('up')
let pools: SessionPool<FakeResource>[] = []

function makePool(
  upstream: FakeUpstream,
  store: Store,
  options: Partial<SessionPoolOptions<FakeResource>> = {},
) {
  const pool = new SessionPool<FakeResource>({ create: upstream.create, store, upstreamId: 'up', ...options })
  pools.push(pool)
  return pool
}

afterEach(async () => {
  let done = false
  const drained = Promise.all(pools.map((p) => p.drain(100))).finally(() => {
    done = true
  })
  // Pools made under fake timers drain on their clock (grace period, store timeouts): move it on.
  for (let i = 0; !done && vi.isFakeTimers() && i < 100; i++) await vi.advanceTimersByTimeAsync(100)
  await drained
  vi.useRealTimers()
  pools = []
})

/** A store whose lease calls can be made to fail (outage) or to never answer (the instance died). */
function faultyStore(inner: Store): Store & { mode: 'ok' | 'fail' | 'dead' } {
  const wrapper = Object.create(inner) as Store & { mode: 'ok' | 'fail' | 'dead' }
  wrapper.mode = 'ok'
  for (const name of ['acquireLease', 'renewLease', 'releaseLease', 'countLeases'] as const) {
    const original = inner[name].bind(inner) as (...args: unknown[]) => Promise<unknown>
    Object.defineProperty(wrapper, name, {
      value: (...args: unknown[]) => {
        if (wrapper.mode === 'fail') return Promise.reject(new Error('ECONNREFUSED redis'))
        if (wrapper.mode === 'dead') return new Promise(() => {})
        return original(...args)
      },
    })
  }
  return wrapper
}

describe('SessionPool: cluster budget', () => {
  // 4 keys fit the budget; 9 keys do not, so idle resources of other keys get closed to make room.
  it.each([4, 9])(
    'keeps two instances within maxTotal under 500 concurrent uses (%i keys)',
    async (keys) => {
      const store = new MemoryStore()
      const upstream = new FakeUpstream()
      upstream.createDelayMs = 2
      const options = { maxTotal: 5, maxPerKey: 3, idleTimeoutMs: 20, acquireTimeoutMs: 20_000 }
      const a = makePool(upstream, store, options)
      const b = makePool(upstream, store, options)
      let peakLeases = 0
      const results = await Promise.allSettled(
        Array.from({ length: 500 }, (_, i) =>
          (i % 2 ? a : b).use(`user${i % keys}`, async (r) => {
            expect(r.dead).toBe(false)
            peakLeases = Math.max(peakLeases, await store.countLeases(KEY))
            await sleep(Math.random() * 3)
            return i
          }),
        ),
      )
      const failed = results.filter((r) => r.status === 'rejected')
      expect(failed).toEqual([])
      expect(upstream.maxAlive).toBeLessThanOrEqual(5)
      expect(peakLeases).toBeLessThanOrEqual(5)
      await Promise.all([a.drain(1000), b.drain(1000)])
      expect(upstream.alive).toBe(0)
      expect(await store.countLeases(KEY)).toBe(0)
    },
    30_000,
  )

  it('never leaks under random faults, aborts and discards', async () => {
    const store = new MemoryStore()
    const upstream = new FakeUpstream()
    upstream.createDelayMs = 1
    upstream.failCreate = () => (Math.random() < 0.05 ? new Error('ECONNRESET') : undefined)
    const options = {
      maxTotal: 4,
      maxPerKey: 2,
      idleTimeoutMs: 15,
      checkAfterIdleMs: 5,
      acquireTimeoutMs: 200,
    }
    const a = makePool(upstream, store, options)
    const b = makePool(upstream, store, options)
    const outcomes = await Promise.allSettled(
      Array.from({ length: 300 }, async (_, i) => {
        const ac = new AbortController()
        if (i % 7 === 0) setTimeout(() => ac.abort(), Math.random() * 20)
        const c = await (i % 2 ? a : b).acquire(`k${i % 6}`, { signal: ac.signal })
        await sleep(Math.random() * 3)
        const roll = Math.random()
        if (roll < 0.1) c.resource.usable = false
        upstream.failCheck = roll > 0.9
        c.release(roll < 0.2 ? { error: new Error('550') } : roll < 0.3 ? { discard: true } : undefined)
      }),
    )
    for (const o of outcomes) {
      if (o.status === 'rejected')
        expect((o.reason as { code?: string; message: string }).code ?? o.reason.message).toMatch(
          /POOL_ERR_(ABORTED|EXHAUSTED)|ECONNRESET/,
        )
    }
    expect(upstream.maxAlive).toBeLessThanOrEqual(4)
    await Promise.all([a.drain(1000), b.drain(1000)])
    expect(upstream.alive).toBe(0)
    expect(await store.countLeases(KEY)).toBe(0)
    expect([a.stats().size, b.stats().size]).toEqual([0, 0])
  })

  it('closes the least recently used idle resource of another key when the budget is full', async () => {
    const store = new MemoryStore()
    const upstream = new FakeUpstream()
    const pool = makePool(upstream, store, { maxTotal: 2 })
    await pool.use('old', async () => {})
    await pool.use('recent', async () => {})
    const old = upstream.resources[0]!
    await pool.use('new', async () => {})
    expect(old.dead).toBe(true)
    expect(upstream.resources[1]!.dead).toBe(false)
    expect(upstream.maxAlive).toBe(2)
    expect(pool.stats().perKey).toMatchObject({ recent: { idle: 1 }, new: { idle: 1 } })
  })

  it('waits for budget held by another instance and fails with PoolExhaustedError', async () => {
    vi.useFakeTimers()
    const store = new MemoryStore()
    const upstream = new FakeUpstream()
    const a = makePool(upstream, store, { maxTotal: 1 })
    const b = makePool(upstream, store, { maxTotal: 1, acquireTimeoutMs: 300 })
    const held = await a.acquire('x')
    const refused = b.acquire('y').catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(300)
    expect(await refused).toBeInstanceOf(PoolExhaustedError)
    // Budget freed on another instance is found by the retry timer (every 100–250 ms), before
    // b's 300 ms deadline.
    let got: Awaited<ReturnType<typeof b.acquire>> | undefined
    const waiting = b.acquire('y').then((c) => (got = c))
    await vi.advanceTimersByTimeAsync(20)
    expect(got).toBeUndefined()
    held.release({ discard: true })
    await vi.advanceTimersByTimeAsync(250)
    expect(got).toBeDefined()
    ;(await waiting).release()
    expect(upstream.maxAlive).toBe(1)
  })

  it('runs a connection outside the pool (a probe) under a lease, and not at all when the budget is full', async () => {
    const store = new MemoryStore()
    const upstream = new FakeUpstream()
    const a = makePool(upstream, store, { maxTotal: 2, acquireTimeoutMs: 100 })
    const b = makePool(upstream, store, { maxTotal: 2 })
    const held = [await a.acquire('x'), await a.acquire('y')]
    let ran = 0
    expect(await b.withLease(async () => ++ran)).toBeUndefined()
    expect(ran).toBe(0)
    held[1]!.release({ discard: true })
    await sleep(10)
    // While the probe runs it holds the last lease: a session wanting it must wait.
    const during = await b.withLease(async () => {
      ran++
      const leases = await store.countLeases(KEY)
      const refused = await a.acquire('z').catch((e: unknown) => e)
      return { leases, refused }
    })
    expect(ran).toBe(1)
    expect(during?.leases).toBe(2)
    expect(during?.refused).toBeInstanceOf(PoolExhaustedError)
    // Given back afterwards, also when the probe throws.
    expect(await store.countLeases(KEY)).toBe(1)
    await expect(b.withLease(() => Promise.reject(new Error('probe failed')))).rejects.toThrow('probe failed')
    expect(await store.countLeases(KEY)).toBe(1)
    held[0]!.release()
  })

  it('asks other instances for budget: their least recently used idle session is closed', async () => {
    const store = new MemoryStore()
    const upstream = new FakeUpstream()
    const a = makePool(upstream, store, { maxTotal: 2, idleTimeoutMs: 60_000 })
    const b = makePool(upstream, store, { maxTotal: 2, idleTimeoutMs: 60_000, acquireTimeoutMs: 3000 })
    // Instance a fills the cluster budget and goes idle: nothing would free it for a minute.
    const [x1, x2] = await Promise.all([a.acquire('x'), a.acquire('x')])
    x1.release()
    x2.release()
    expect(a.stats().idle).toBe(2)
    // On a stopped clock moved by hand: the budget comes back within 2 s, long before a's idle
    // sessions would time out (60 s) and before b's deadline (3 s).
    vi.useFakeTimers()
    let got: Awaited<ReturnType<typeof b.acquire>> | undefined
    const acquiring = b.acquire('y').then((c) => (got = c))
    await vi.advanceTimersByTimeAsync(1999)
    expect(got).toBeDefined()
    ;(await acquiring).release()
    expect(a.stats().idle).toBe(1)
    expect(upstream.maxAlive).toBeLessThanOrEqual(2)
  })

  it('gets the budget back after the TTL when an instance dies', async () => {
    vi.useFakeTimers()
    const store = new MemoryStore()
    const upstream = new FakeUpstream()
    const dying = faultyStore(store)
    const a = makePool(upstream, dying, { maxTotal: 2, leaseTtlMs: 300, storeTimeoutMs: 50 })
    const b = makePool(upstream, store, { maxTotal: 2, leaseTtlMs: 300, acquireTimeoutMs: 3000 })
    await a.acquire('x')
    await a.acquire('x')
    await vi.advanceTimersByTimeAsync(400) // renewed meanwhile: still held
    expect(await store.countLeases(KEY)).toBe(2)
    dying.mode = 'dead'
    let got: Awaited<ReturnType<typeof b.acquire>> | undefined
    const acquiring = b.acquire('y').then((c) => (got = c))
    // The dead instance's leases hold until their TTL runs out, not a moment less.
    await vi.advanceTimersByTimeAsync(149)
    expect(got).toBeUndefined()
    await vi.advanceTimersByTimeAsync(3000 - 149)
    expect(got).toBeDefined()
    expect(await store.countLeases(KEY)).toBe(1)
    ;(await acquiring).release()
    // The dead instance's resources are gone with it.
    for (const r of upstream.resources.slice(0, 2)) r.destroy()
  })

  it('retires a resource whose lease expired and was taken by someone else', async () => {
    const store = new MemoryStore()
    const upstream = new FakeUpstream()
    const pool = makePool(upstream, store, { maxTotal: 1, leaseTtlMs: 60, instanceId: 'me' })
    const c = await pool.acquire('a')
    await store.releaseLease(KEY, holderId('me', 1))
    expect(await store.acquireLease(KEY, 'intruder', 1, 10_000)).toBe(true)
    await sleep(60)
    expect(c.resource.dead).toBe(false)
    c.release()
    await sleep(5)
    expect(c.resource.dead).toBe(true)
    expect(upstream.alive).toBe(0)
    await store.releaseLease(KEY, 'intruder')
  })

  it('re-acquires an expired lease when there is room and keeps the resource', async () => {
    const store = new MemoryStore()
    const upstream = new FakeUpstream()
    const pool = makePool(upstream, store, { maxTotal: 1, leaseTtlMs: 60, instanceId: 'me' })
    await pool.use('a', async () => {})
    await store.releaseLease(KEY, holderId('me', 1))
    await sleep(60)
    expect(await store.countLeases(KEY)).toBe(1)
    await pool.use('a', async () => {})
    expect(upstream.creates).toBe(1)
  })

  it('fails open on store errors by default, within a local cap of maxTotal', async () => {
    const store = faultyStore(new MemoryStore())
    const upstream = new FakeUpstream()
    const pool = makePool(upstream, store, { maxTotal: 2, maxPerKey: 4, acquireTimeoutMs: 100 })
    store.mode = 'fail'
    const c1 = await pool.acquire('a')
    const c2 = await pool.acquire('a')
    await expect(pool.acquire('a')).rejects.toBeInstanceOf(PoolExhaustedError)
    expect(upstream.maxAlive).toBe(2)
    c1.release()
    c2.release()
    store.mode = 'ok'
  })

  it("fails closed on store errors with onStoreError: 'closed'", async () => {
    const store = faultyStore(new MemoryStore())
    const upstream = new FakeUpstream()
    const pool = makePool(upstream, store, { onStoreError: 'closed', acquireTimeoutMs: 100 })
    store.mode = 'fail'
    await expect(pool.acquire('a')).rejects.toBeInstanceOf(PoolExhaustedError)
    expect(upstream.creates).toBe(0)
    store.mode = 'ok'
    await pool.use('a', async () => {})
  })
})
