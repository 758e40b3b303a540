/**
 * ftpgw_store_errors_total counts the StoreErrors its own store publishes on the store's
 * diagnostics channel: a rejected call of either implementation counts once, errors of other
 * kinds (a bad argument) and other stores' errors do not, and a closed metrics object stops.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { GatewayMetrics } from '../../../src/http/metrics.js'
import { isStoreError, MemoryStore, RedisStore, type Store } from '../../../src/store/index.js'

const open: Array<{ close(): unknown }> = []
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close()
})

function metricsFor(store: Store): GatewayMetrics {
  const metrics = new GatewayMetrics({ store, processMetrics: false })
  open.push(metrics)
  return metrics
}

async function storeErrors(metrics: GatewayMetrics): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('ftpgw_store_errors_total')?.get()
  return metric?.values[0]?.value ?? Number.NaN
}

describe('ftpgw_store_errors_total', () => {
  it('counts each StoreError a MemoryStore raises, not other errors', async () => {
    const store = new MemoryStore()
    const metrics = metricsFor(store)
    expect(await storeErrors(metrics)).toBe(0)

    await store.hset('h', 'f', 'v')
    // WRONGTYPE: a StoreError (STORE_ERR_COMMAND).
    await expect(store.get('h')).rejects.toSatisfy((err) => isStoreError(err, 'STORE_ERR_COMMAND'))
    expect(await storeErrors(metrics)).toBe(1)
    // A bad argument is a TypeError, the caller's bug rather than a store failure: not counted.
    await expect(store.incr('n', 0.5)).rejects.toBeInstanceOf(TypeError)
    await expect(store.expire('n', Number.NaN)).rejects.toBeInstanceOf(TypeError)
    expect(await storeErrors(metrics)).toBe(1)
    // Successful calls are not counted either.
    expect(await store.incr('n')).toBe(1)

    await store.close()
    await expect(store.get('k')).rejects.toSatisfy((err) => isStoreError(err, 'STORE_ERR_CLOSED'))
    await expect(store.subscribe('c', () => undefined)).rejects.toSatisfy((err) => isStoreError(err))
    expect(await storeErrors(metrics)).toBe(3)
  })

  it('counts a RedisStore that cannot reach Redis, once per failed call', async () => {
    // Nothing listens on port 1: the connection is refused and each call fails fast.
    const store = new RedisStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 500, lazyConnect: true })
    open.push(store)
    const metrics = metricsFor(store)
    await expect(store.get('k')).rejects.toSatisfy((err) => isStoreError(err, 'STORE_ERR_UNAVAILABLE'))
    await expect(store.incr('k', 0.5)).rejects.toBeInstanceOf(TypeError)
    expect(await storeErrors(metrics)).toBe(1)
    await store.close()
    await expect(store.ping()).rejects.toSatisfy((err) => isStoreError(err, 'STORE_ERR_CLOSED'))
    expect(await storeErrors(metrics)).toBe(2)
  })

  it("counts only its own store's errors, and nothing once closed", async () => {
    const mine = new MemoryStore()
    const other = new MemoryStore()
    const metrics = metricsFor(mine)
    await other.close()
    await other.get('k').catch(() => undefined)
    expect(await storeErrors(metrics)).toBe(0)

    await mine.close()
    await mine.get('k').catch(() => undefined)
    expect(await storeErrors(metrics)).toBe(1)
    metrics.close()
    await mine.get('k').catch(() => undefined)
    expect(await storeErrors(metrics)).toBe(1)
  })

  it('is 0 without a store', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false })
    open.push(metrics)
    await new MemoryStore().ping()
    expect(await storeErrors(metrics)).toBe(0)
  })
})
