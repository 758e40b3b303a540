import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StoreError } from '../../../src/store/errors.js'
import type { Store } from '../../../src/store/store.js'
import { waitFor } from '../../helpers/wait-for.js'

/** How the contract suite gets and disposes of stores. */
export interface StoreContractOptions {
  /** Runs once after the whole suite (e.g. delete the run's Redis keys). */
  cleanup?: () => Promise<void>
  /** True when two stores from `make` share state (Redis); enables the cross-store tests. */
  shared?: boolean
}

/**
 * The behaviour every Store must show. Each test uses fresh key names, so stores may share a
 * backing service (one Redis prefix per run).
 */
export function describeStoreContract(
  name: string,
  make: () => Promise<Store>,
  options: StoreContractOptions = {},
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store
    const extra: Store[] = []
    let n = 0
    // Unique per test and per run, so reruns and parallel suites never see each other's keys.
    const run = randomUUID().slice(0, 8)
    const key = (label: string): string => `${run}:${label}:${++n}`

    beforeEach(async () => {
      store = await make()
    })
    afterEach(async () => {
      await Promise.all([store, ...extra.splice(0)].map((s) => s.close()))
    })
    if (options.cleanup) afterAll(options.cleanup)

    async function another(): Promise<Store> {
      const s = await make()
      extra.push(s)
      return s
    }

    describe('strings', () => {
      it('gets what was set, null for a missing key', async () => {
        const k = key('s')
        expect(await store.get(k)).toBeNull()
        expect(await store.set(k, 'v1')).toBe(true)
        expect(await store.get(k)).toBe('v1')
        expect(await store.set(k, 'v2')).toBe(true)
        expect(await store.get(k)).toBe('v2')
      })

      it('keeps values verbatim (unicode, empty, newlines)', async () => {
        const k = key('raw')
        for (const value of ['', 'line1\r\nline2', 'héllo ☃ 𝄞', JSON.stringify({ a: [1, 2] })]) {
          await store.set(k, value)
          expect(await store.get(k)).toBe(value)
        }
      })

      it('expires a key after its TTL', async () => {
        const k = key('ttl')
        await store.set(k, 'v', { ttlMs: 100 })
        expect(await store.get(k)).toBe('v')
        await sleep(180)
        expect(await store.get(k)).toBeNull()
      })

      it('a plain set clears a previous TTL', async () => {
        const k = key('ttl-clear')
        await store.set(k, 'a', { ttlMs: 80 })
        await store.set(k, 'b')
        await sleep(150)
        expect(await store.get(k)).toBe('b')
      })

      it('onlyIfAbsent sets only a missing (or expired) key', async () => {
        const k = key('nx')
        expect(await store.set(k, 'first', { onlyIfAbsent: true })).toBe(true)
        expect(await store.set(k, 'second', { onlyIfAbsent: true })).toBe(false)
        expect(await store.get(k)).toBe('first')
        const e = key('nx-ttl')
        expect(await store.set(e, 'a', { onlyIfAbsent: true, ttlMs: 60 })).toBe(true)
        await sleep(120)
        expect(await store.set(e, 'b', { onlyIfAbsent: true })).toBe(true)
        expect(await store.get(e)).toBe('b')
      })

      it('only one of many concurrent onlyIfAbsent sets wins', async () => {
        const k = key('nx-race')
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.set(k, `v${i}`, { onlyIfAbsent: true })),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('del counts the keys that existed', async () => {
        const [a, b, c] = [key('d'), key('d'), key('d')]
        await store.set(a, '1')
        await store.set(b, '2')
        expect(await store.del(a, b, c)).toBe(2)
        expect(await store.get(a)).toBeNull()
        expect(await store.del(a)).toBe(0)
        expect(await store.del()).toBe(0)
      })

      it('del does not count an expired key', async () => {
        const k = key('d-exp')
        await store.set(k, 'v', { ttlMs: 40 })
        await sleep(100)
        expect(await store.del(k)).toBe(0)
      })

      it('expire resets the lifetime, false for a missing key', async () => {
        const k = key('exp')
        expect(await store.expire(k, 100)).toBe(false)
        await store.set(k, 'v')
        expect(await store.expire(k, 80)).toBe(true)
        expect(await store.get(k)).toBe('v')
        await sleep(150)
        expect(await store.get(k)).toBeNull()
        // Extending: a short TTL pushed out keeps the key past its first deadline.
        const m = key('exp-extend')
        await store.set(m, 'v', { ttlMs: 200 })
        await sleep(20)
        expect(await store.expire(m, 600)).toBe(true)
        await sleep(280)
        expect(await store.get(m)).toBe('v')
      })

      it('mget returns values in order with nulls for missing keys', async () => {
        const [a, b, c] = [key('m'), key('m'), key('m')]
        await store.set(a, 'A')
        await store.set(c, 'C')
        expect(await store.mget([a, b, c])).toEqual(['A', null, 'C'])
        expect(await store.mget([])).toEqual([])
      })
    })

    describe('incr', () => {
      it('counts from zero, by 1 or by a given amount', async () => {
        const k = key('i')
        expect(await store.incr(k)).toBe(1)
        expect(await store.incr(k)).toBe(2)
        expect(await store.incr(k, 5)).toBe(7)
        expect(await store.incr(k, -10)).toBe(-3)
        expect(await store.get(k)).toBe('-3')
      })

      it('sets the TTL only when the key is created', async () => {
        const k = key('i-ttl')
        expect(await store.incr(k, 1, 300)).toBe(1)
        await sleep(50)
        // A later TTL is ignored: the window started with the first increment.
        expect(await store.incr(k, 1, 10_000)).toBe(2)
        await sleep(350)
        expect(await store.get(k)).toBeNull()
        expect(await store.incr(k, 1, 10_000)).toBe(1)
      })

      it('without a TTL leaves an existing TTL alone', async () => {
        const k = key('i-keep')
        await store.incr(k, 1, 150)
        await store.incr(k)
        await sleep(250)
        expect(await store.get(k)).toBeNull()
      })

      it('is atomic under concurrency', async () => {
        const k = key('i-race')
        const values = await Promise.all(Array.from({ length: 50 }, () => store.incr(k)))
        expect(new Set(values).size).toBe(50)
        expect(await store.get(k)).toBe('50')
      })

      it('rejects a non-integer value or increment', async () => {
        const k = key('i-bad')
        await store.set(k, 'abc')
        await expect(store.incr(k)).rejects.toMatchObject({ code: 'STORE_ERR_COMMAND' })
        await expect(store.incr(key('i-frac'), 1.5)).rejects.toBeInstanceOf(TypeError)
      })
    })

    describe('hashes', () => {
      it('sets, gets, deletes fields and lists them all', async () => {
        const k = key('h')
        expect(await store.hget(k, 'a')).toBeNull()
        expect(await store.hgetall(k)).toEqual({})
        await store.hset(k, 'a', '1')
        await store.hset(k, 'b', '2')
        await store.hset(k, 'a', '3')
        expect(await store.hget(k, 'a')).toBe('3')
        expect(await store.hgetall(k)).toEqual({ a: '3', b: '2' })
        expect(await store.hdel(k, 'a', 'zz')).toBe(1)
        expect(await store.hdel(k)).toBe(0)
        expect(await store.hgetall(k)).toEqual({ b: '2' })
      })

      it('a hash whose last field is deleted no longer exists', async () => {
        const k = key('h-empty')
        await store.hset(k, 'only', 'x')
        expect(await store.hdel(k, 'only')).toBe(1)
        expect(await store.del(k)).toBe(0)
      })

      it('hashes can expire and be deleted like any key', async () => {
        const k = key('h-exp')
        await store.hset(k, 'f', 'v')
        expect(await store.expire(k, 60)).toBe(true)
        await sleep(120)
        expect(await store.hgetall(k)).toEqual({})
        await store.hset(k, 'f', 'v')
        expect(await store.del(k)).toBe(1)
      })

      it('using a string as a hash fails with STORE_ERR_COMMAND', async () => {
        const k = key('h-wrong')
        await store.set(k, 'v')
        await expect(store.hset(k, 'f', 'v')).rejects.toMatchObject({ code: 'STORE_ERR_COMMAND' })
        await store.hset(key('h-wrong2'), 'f', 'v')
      })
    })

    describe('leases', () => {
      it('admits exactly `limit` of 50 concurrent acquirers', async () => {
        const k = key('l-race')
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.acquireLease(k, `h${i}`, 7, 10_000)),
        )
        expect(results.filter(Boolean)).toHaveLength(7)
        expect(await store.countLeases(k)).toBe(7)
      })

      it('re-acquiring a held lease refreshes it rather than taking a second slot', async () => {
        const k = key('l-again')
        expect(await store.acquireLease(k, 'a', 1, 10_000)).toBe(true)
        expect(await store.acquireLease(k, 'a', 1, 10_000)).toBe(true)
        expect(await store.countLeases(k)).toBe(1)
        expect(await store.acquireLease(k, 'b', 1, 10_000)).toBe(false)
      })

      it('an expired holder frees its slot', async () => {
        const k = key('l-exp')
        expect(await store.acquireLease(k, 'a', 1, 150)).toBe(true)
        expect(await store.acquireLease(k, 'b', 1, 10_000)).toBe(false)
        await sleep(250)
        expect(await store.countLeases(k)).toBe(0)
        expect(await store.acquireLease(k, 'b', 1, 10_000)).toBe(true)
      })

      it('renew extends a held lease; false for an expired or unknown one', async () => {
        const k = key('l-renew')
        expect(await store.renewLease(k, 'nobody', 1000)).toBe(false)
        await store.acquireLease(k, 'a', 2, 200)
        await sleep(30)
        expect(await store.renewLease(k, 'a', 600)).toBe(true)
        await sleep(250)
        expect(await store.countLeases(k)).toBe(1)
        await store.acquireLease(k, 'b', 2, 40)
        await sleep(100)
        expect(await store.renewLease(k, 'b', 1000)).toBe(false)
        expect(await store.countLeases(k)).toBe(1)
      })

      it('release frees the slot; releasing twice or an unknown holder is harmless', async () => {
        const k = key('l-rel')
        await store.acquireLease(k, 'a', 1, 10_000)
        await store.releaseLease(k, 'a')
        await store.releaseLease(k, 'a')
        await store.releaseLease(key('l-none'), 'x')
        expect(await store.countLeases(k)).toBe(0)
        expect(await store.acquireLease(k, 'b', 1, 10_000)).toBe(true)
        expect(await store.renewLease(k, 'a', 1000)).toBe(false)
      })

      it('the lease key goes away once every holder expired', async () => {
        const k = key('l-gone')
        await store.acquireLease(k, 'a', 3, 60)
        await sleep(120)
        expect(await store.del(k)).toBe(0)
      })

      it('a limit of 0 admits nobody', async () => {
        expect(await store.acquireLease(key('l-zero'), 'a', 0, 1000)).toBe(false)
      })
    })

    describe('pub/sub', () => {
      it('delivers a published message to subscribers, asynchronously', async () => {
        const ch = key('c')
        const got: string[] = []
        const got2: string[] = []
        await store.subscribe(ch, (m) => got.push(m))
        await store.subscribe(ch, (m) => got2.push(m))
        await store.publish(ch, 'hello')
        await store.publish(key('other'), 'not for you')
        expect(await waitFor(() => got.length === 1 && got2.length === 1, 2000), 'delivery').toBe(true)
        expect(got).toEqual(['hello'])
        expect(got2).toEqual(['hello'])
      })

      it('keeps the order of messages on a channel', async () => {
        const ch = key('c-order')
        const got: string[] = []
        await store.subscribe(ch, (m) => got.push(m))
        for (let i = 0; i < 20; i++) await store.publish(ch, String(i))
        expect(await waitFor(() => got.length === 20, 2000), 'twenty messages').toBe(true)
        expect(got).toEqual(Array.from({ length: 20 }, (_, i) => String(i)))
      })

      it('unsubscribe stops delivery to that handler only', async () => {
        const ch = key('c-unsub')
        const a: string[] = []
        const b: string[] = []
        const offA = await store.subscribe(ch, (m) => a.push(m))
        await store.subscribe(ch, (m) => b.push(m))
        await store.publish(ch, '1')
        expect(await waitFor(() => a.length === 1 && b.length === 1, 2000), 'first message').toBe(true)
        await offA()
        await offA()
        await store.publish(ch, '2')
        expect(await waitFor(() => b.length === 2, 2000), 'second message').toBe(true)
        await sleep(30)
        expect(a).toEqual(['1'])
      })

      it('a throwing handler does not stop delivery to the others', async () => {
        const ch = key('c-throw')
        const got: string[] = []
        await store.subscribe(ch, () => {
          throw new Error('handler bug')
        })
        await store.subscribe(ch, (m) => got.push(m))
        await store.publish(ch, 'x')
        expect(await waitFor(() => got.length === 1, 2000), 'delivery despite a throwing handler').toBe(true)
      })

      if (options.shared) {
        it('a message reaches subscribers on two stores (instances)', async () => {
          const other = await another()
          const ch = key('c-shared')
          const a: string[] = []
          const b: string[] = []
          await store.subscribe(ch, (m) => a.push(m))
          await other.subscribe(ch, (m) => b.push(m))
          await other.publish(ch, 'from other')
          expect(await waitFor(() => a.length === 1 && b.length === 1, 2000), 'delivery to both stores').toBe(
            true,
          )
          expect([a, b]).toEqual([['from other'], ['from other']])
        })

        it('two stores share keys and the lease budget', async () => {
          const other = await another()
          const k = key('shared')
          await store.set(k, 'v')
          expect(await other.get(k)).toBe('v')
          const l = key('l-shared')
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).acquireLease(l, `h${i}`, 5, 10_000)),
          )
          expect(results.filter(Boolean)).toHaveLength(5)
          expect(await other.countLeases(l)).toBe(5)
        })
      }
    })

    describe('lifecycle', () => {
      it('ping resolves while the store is up', async () => {
        await expect(store.ping()).resolves.toBeUndefined()
      })

      it('close is idempotent and later calls reject with STORE_ERR_CLOSED', async () => {
        const s = await another()
        await s.set(key('closing'), 'v')
        await s.close()
        await s.close()
        const err = await s.get(key('closing')).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(StoreError)
        expect(err).toMatchObject({ code: 'STORE_ERR_CLOSED' })
        await expect(s.ping()).rejects.toMatchObject({ code: 'STORE_ERR_CLOSED' })
        await expect(s.subscribe('x', () => {})).rejects.toMatchObject({ code: 'STORE_ERR_CLOSED' })
      })

      it('reports its kind', () => {
        expect(['memory', 'redis']).toContain(store.kind)
      })
    })
  })
}
