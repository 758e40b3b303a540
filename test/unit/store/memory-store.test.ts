import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { describeStoreContract } from './store-contract.js'

describeStoreContract('MemoryStore', async () => new MemoryStore())

describe('MemoryStore specifics', () => {
  it('is kind memory', async () => {
    const store = new MemoryStore()
    expect(store.kind).toBe('memory')
    await store.close()
  })

  it('delivers messages after publish returns, not inside it', async () => {
    const store = new MemoryStore()
    const got: string[] = []
    await store.subscribe('c', (m) => got.push(m))
    const publishing = store.publish('c', 'm')
    expect(got).toEqual([])
    await publishing
    expect(got).toEqual([])
    await sleep(5)
    expect(got).toEqual(['m'])
    await store.close()
  })

  it('does not deliver to a handler that unsubscribed before delivery', async () => {
    const store = new MemoryStore()
    const got: string[] = []
    const off = await store.subscribe('c', (m) => got.push(m))
    await store.publish('c', 'm')
    await off()
    await sleep(5)
    expect(got).toEqual([])
    await store.close()
  })

  it('the sweep frees expired keys nobody reads', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 20 })
    await store.set('a', 'v', { ttlMs: 10 })
    await store.acquireLease('l', 'h', 1, 10)
    const entries = (store as unknown as { entries: Map<string, unknown> }).entries
    expect(entries.size).toBe(2)
    await sleep(80)
    expect(entries.size).toBe(0)
    await store.close()
  })

  it('keeps lease and hash types apart from strings', async () => {
    const store = new MemoryStore()
    await store.acquireLease('l', 'h', 1, 1000)
    await expect(store.get('l')).rejects.toMatchObject({ code: 'STORE_ERR_COMMAND' })
    expect(await store.mget(['l'])).toEqual([null])
    await store.hset('h', 'f', 'v')
    await expect(store.acquireLease('h', 'x', 1, 1000)).rejects.toMatchObject({ code: 'STORE_ERR_COMMAND' })
    await store.close()
  })

  it('reads of an absent lease key leave nothing behind', async () => {
    const store = new MemoryStore()
    expect(await store.countLeases('l')).toBe(0)
    expect(await store.renewLease('l', 'h', 100)).toBe(false)
    expect(await store.acquireLease('l', 'h', 0, 100)).toBe(false)
    expect(await store.set('l', 'v', { onlyIfAbsent: true })).toBe(true)
    await store.close()
  })
})
