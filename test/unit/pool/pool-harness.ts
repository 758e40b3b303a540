/** A fake upstream, a pool over it, and the leak check every pool test ends with. */
import { afterEach, expect, vi } from 'vitest'
import { budgetKey, SessionPool, type SessionPoolOptions } from '../../../src/pool/index.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { type FakeResource, FakeUpstream } from './fake-resource.js'

let cleanups: (() => Promise<void>)[] = []

/** A pool over a fresh fake upstream; drained (and checked for leaks) after the test. */
export function setup(options: Partial<SessionPoolOptions<FakeResource>> = {}) {
  const upstream = new FakeUpstream()
  const store = options.store ?? new MemoryStore()
  const pool = new SessionPool<FakeResource>({ create: upstream.create, store, upstreamId: 'up', ...options })
  cleanups.push(async () => {
    await pool.drain(100)
    // Never leak: everything created is closed and its lease is back.
    expect(upstream.alive).toBe(0)
    expect(await store.countLeases(budgetKey('up'))).toBe(0)
    expect(pool.stats().size).toBe(0)
  })
  return { upstream, store, pool }
}

/** Registers the cleanup in the calling test file. */
export function drainAfterEach(): void {
  afterEach(async () => {
    vi.useRealTimers()
    const list = cleanups
    cleanups = []
    for (const c of list) await c()
  })
}
