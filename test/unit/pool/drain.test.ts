import { describe, expect, it, vi } from 'vitest'
import { budgetKey, PoolClosedError, SessionPool } from '../../../src/pool/index.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { type FakeResource, FakeUpstream, sleep } from './fake-resource.js'
import { drainAfterEach, setup } from './pool-harness.js'

drainAfterEach()

describe('SessionPool: drain', () => {
  it('waits for busy resources, closes everything, then rejects acquires', async () => {
    const { upstream, store, pool } = setup({ maxPerKey: 2 })
    const busy = await pool.acquire('a')
    await pool.use('b', async () => {})
    const waiter = pool.acquire('c')
    const blocked = pool.acquire('a')
    const blocked2 = pool.acquire('a')
    let drained = false
    const draining = pool.drain(5000).then(() => {
      drained = true
    })
    await expect(pool.acquire('a')).rejects.toBeInstanceOf(PoolClosedError)
    await expect(blocked2).rejects.toMatchObject({ code: 'POOL_ERR_CLOSED' })
    // Waiters at drain time either got a resource before it or are rejected now.
    for (const p of [waiter, blocked]) {
      const r = await p.then(
        (c) => {
          c.release()
          return 'ok'
        },
        (e: unknown) => e,
      )
      if (r !== 'ok') expect(r).toBeInstanceOf(PoolClosedError)
    }
    await sleep(20)
    expect(drained).toBe(false)
    busy.release()
    await draining
    expect(upstream.alive).toBe(0)
    expect(upstream.destroys).toBe(0)
    expect(await store.countLeases(budgetKey('up'))).toBe(0)
  })

  it('destroys resources still busy after the grace period', async () => {
    const { upstream, pool } = setup()
    const busy = await pool.acquire('a')
    vi.useFakeTimers()
    let drained = false
    const draining = pool.drain(50).then(() => {
      drained = true
    })
    // Not a millisecond before the grace period ends: the busy resource is left alone until then.
    await vi.advanceTimersByTimeAsync(49)
    expect(drained).toBe(false)
    expect(upstream.destroys).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    await draining
    vi.useRealTimers()
    expect(upstream.destroys).toBe(1)
    expect(upstream.alive).toBe(0)
    busy.release()
    expect(pool.stats().size).toBe(0)
  })

  it('stops its timers on drain', async () => {
    const store = new MemoryStore()
    vi.useFakeTimers()
    const upstream = new FakeUpstream()
    const pool = new SessionPool<FakeResource>({ create: upstream.create, store, upstreamId: 'up' })
    await pool.use('a', async () => {})
    expect(vi.getTimerCount()).toBeGreaterThanOrEqual(2) // sweep + lease renewal
    await pool.drain(100)
    expect(vi.getTimerCount()).toBe(0)
    expect(upstream.alive).toBe(0)
    await store.close()
  })

  it('closes a resource whose create finishes during the drain', async () => {
    const { upstream, pool } = setup()
    upstream.createDelayMs = 30
    const pending = pool.acquire('a').catch((e: unknown) => e)
    await sleep(5)
    await pool.drain(10)
    expect(await pending).toBeInstanceOf(PoolClosedError)
    expect(upstream.alive).toBe(0)
  })
})
