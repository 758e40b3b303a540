import { Cluster, Redis } from 'ioredis'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { createStore, MemoryStore, RedisStore, type StoreLogger } from '../../../src/store/index.js'

// Construction only: lazyConnect keeps these from dialling anything.
describe('RedisStore construction', () => {
  it('builds a plain ioredis client from a URL, with the fail-fast settings', async () => {
    const store = new RedisStore({ url: 'redis://127.0.0.1:1/3', lazyConnect: true, commandTimeoutMs: 700 })
    const client = store.client
    expect(client).toBeInstanceOf(Redis)
    const options = (client as Redis).options
    expect(options.port).toBe(1)
    expect(options.db).toBe(3)
    expect(options.enableOfflineQueue).toBe(false)
    expect(options.commandTimeout).toBe(700)
    expect(options.retryStrategy?.(100)).toBe(2000)
    expect(store.kind).toBe('redis')
    expect(store.keyPrefix).toBe('ftpgw:')
    expect(store.status).toBe('connecting')
    await store.close()
    expect(store.status).toBe('down')
  })

  it('builds a Sentinel-backed client from sentinels and a master name', async () => {
    const store = new RedisStore({
      sentinels: [{ host: '127.0.0.1', port: 26379 }],
      name: 'mymaster',
      lazyConnect: true,
    })
    expect(store.client).toBeInstanceOf(Redis)
    const options = (store.client as Redis).options
    expect(options.sentinels).toEqual([{ host: '127.0.0.1', port: 26379 }])
    expect(options.name).toBe('mymaster')
    expect(options.enableOfflineQueue).toBe(false)
    await store.close()
  })

  it('builds an ioredis Cluster from cluster seed nodes', async () => {
    const store = new RedisStore({
      cluster: [{ host: '127.0.0.1', port: 7000 }],
      redis: { password: 'pw' },
      keyPrefix: 'x:',
      lazyConnect: true,
    })
    expect(store.client).toBeInstanceOf(Cluster)
    const options = (store.client as Cluster).options
    expect(options.enableOfflineQueue).toBe(false)
    expect(options.redisOptions?.password).toBe('pw')
    expect(options.redisOptions?.commandTimeout).toBe(2000)
    expect(store.keyPrefix).toBe('x:')
    await store.close()
  })

  it('rejects bad arguments before any I/O', async () => {
    const store = new RedisStore({ lazyConnect: true })
    await expect(store.incr('k', 0.5)).rejects.toBeInstanceOf(TypeError)
    await expect(store.set('k', 'v', { ttlMs: Number.NaN })).rejects.toBeInstanceOf(TypeError)
    await expect(store.acquireLease('k', 'h', -1, 100)).rejects.toBeInstanceOf(TypeError)
    await store.close()
  })
})

describe('createStore', () => {
  it('gives a MemoryStore without a Redis URL', async () => {
    const store = createStore({})
    expect(store).toBeInstanceOf(MemoryStore)
    expect(store.kind).toBe('memory')
    await store.close()
  })

  it('gives a RedisStore with one, using the key prefix and a pino logger', async () => {
    // Also a compile-time check: a pino logger satisfies StoreLogger.
    const logger: StoreLogger = pino({ enabled: false })
    const store = createStore({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'p:', logger })
    expect(store).toBeInstanceOf(RedisStore)
    expect((store as RedisStore).keyPrefix).toBe('p:')
    await store.close()
  })
})
