import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { StoreError } from '../../../src/store/errors.js'
import { RedisStore } from '../../../src/store/redis-store.js'
import { waitFor } from '../../helpers/wait-for.js'
import { describeStoreContract } from '../../unit/store/store-contract.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// One prefix per run: parallel and repeated runs never touch each other's (or production) keys.
const prefix = `ftpgw-test-${randomUUID().slice(0, 8)}:`

/** Deletes every key under `keyPrefix`, so a run leaves the shared Redis as it found it. */
async function deleteKeys(url: string, keyPrefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true })
  await redis.connect()
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

describeStoreContract('RedisStore', async () => new RedisStore({ url: REDIS_URL, keyPrefix: prefix }), {
  shared: true,
  cleanup: () => deleteKeys(REDIS_URL, prefix),
})

/**
 * Stops the clock for timers only (sockets still work): a call that settles while it is stopped
 * waited for no timer, neither a reconnection delay nor a command timeout.
 */
function stopTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
}

describe('RedisStore on a real Redis', () => {
  const stores: RedisStore[] = []
  const make = (options: ConstructorParameters<typeof RedisStore>[0] = {}): RedisStore => {
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix, ...options })
    stores.push(store)
    return store
  }
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(stores.splice(0).map((s) => s.close()))
  })
  afterAll(() => deleteKeys(REDIS_URL, prefix))

  it('stores keys under its prefix, lease sets with an expiry', async () => {
    const store = make()
    await store.set('visible', 'v')
    await store.acquireLease('budget', 'h', 2, 5000)
    const raw = new Redis(REDIS_URL)
    try {
      expect(await raw.get(`${prefix}visible`)).toBe('v')
      expect(await raw.type(`${prefix}budget`)).toBe('zset')
      const pttl = await raw.pttl(`${prefix}budget`)
      expect(pttl).toBeGreaterThan(0)
      expect(pttl).toBeLessThanOrEqual(5000)
    } finally {
      raw.disconnect()
    }
  })

  it('two stores with different prefixes do not see each other', async () => {
    const a = make()
    const b = make({ keyPrefix: `${prefix}other:` })
    await a.set('k', 'a')
    expect(await b.get('k')).toBeNull()
    const got: string[] = []
    await b.subscribe('ch', (m) => got.push(m))
    await a.publish('ch', 'x')
    await sleep(100)
    expect(got).toEqual([])
  })

  it('the lease budget is shared by two instances and survives their racing', async () => {
    const a = make()
    const b = make()
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? a : b).acquireLease('cluster-budget', `h${i}`, 9, 10_000),
      ),
    )
    expect(results.filter(Boolean)).toHaveLength(9)
    const holder = `h${results.indexOf(true)}`
    await (results.indexOf(true) % 2 ? b : a).releaseLease('cluster-budget', holder)
    expect(await a.countLeases('cluster-budget')).toBe(8)
    expect(await b.acquireLease('cluster-budget', 'late', 9, 10_000)).toBe(true)
    expect(await a.acquireLease('cluster-budget', 'later', 9, 10_000)).toBe(false)
  })

  it('fails fast with STORE_ERR_UNAVAILABLE when nothing listens', async () => {
    const port = await freePort()
    stopTimers()
    const store = make({ url: `redis://127.0.0.1:${port}` })
    const err = await store.get('k').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect(err).toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
    await expect(store.subscribe('c', () => {})).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
    expect(store.status).toBe('down')
    vi.useRealTimers()
  })

  it('logs the outage through the logger instead of throwing error events', async () => {
    const port = await freePort()
    const lines: string[] = []
    const log = (_obj: object, msg?: string): void => {
      lines.push(msg ?? '')
    }
    const store = make({ url: `redis://127.0.0.1:${port}`, logger: { debug: log, info: log, warn: log } })
    await store.ping().catch(() => {})
    await sleep(300)
    // Reconnect attempts keep failing, but the outage is reported once, not per attempt.
    expect(lines.filter((l) => l.includes('unavailable'))).toHaveLength(1)
  })

  it('a Redis that stops answering (SIGSTOP) makes calls time out, not hang', async () => {
    const port = await freePort()
    const server = await startRedis(port)
    try {
      const store = make({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 300 })
      await store.set('k', 'v')
      server.kill('SIGSTOP')
      stopTimers()
      let outcome: unknown
      const pending = store.get('k').catch((e: unknown) => (outcome = e))
      // Nothing answers, so only the command timeout can end the call, exactly when it is due.
      await vi.advanceTimersByTimeAsync(299)
      expect(outcome).toBeUndefined()
      await vi.advanceTimersByTimeAsync(1)
      await pending
      vi.useRealTimers()
      expect(outcome).toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
      server.kill('SIGCONT')
      expect(await waitFor(() => store.status === 'ready', 3000), 'ready after SIGCONT').toBe(true)
      expect(await store.get('k')).toBe('v')
    } finally {
      server.kill('SIGCONT')
      await stopRedis(server)
    }
  })

  it('recovers after Redis restarts: commands, scripts and subscriptions work again', async () => {
    const port = await freePort()
    let server = await startRedis(port)
    try {
      const store = make({ url: `redis://127.0.0.1:${port}`, maxReconnectDelayMs: 100 })
      const got: string[] = []
      await store.subscribe('events', (m) => got.push(m))
      await store.set('k', 'before')
      expect(await store.acquireLease('budget', 'a', 1, 10_000)).toBe(true)
      await store.publish('events', 'one')
      expect(await waitFor(() => got.length === 1, 2000), 'message before the outage').toBe(true)

      await stopRedis(server)
      expect(await waitFor(() => store.status === 'down', 2000), 'status down').toBe(true)
      // Refused while down, without waiting for the reconnection (its timer is stopped).
      stopTimers()
      await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
      await expect(store.acquireLease('budget', 'b', 1, 1000)).rejects.toMatchObject({
        code: 'STORE_ERR_UNAVAILABLE',
      })
      vi.useRealTimers()

      server = await startRedis(port)
      expect(await waitFor(() => store.status === 'ready', 5000), 'reconnect').toBe(true)
      // The restarted server is empty (no persistence) and has no scripts cached: EVAL fallback.
      expect(await store.get('k')).toBeNull()
      expect(await store.acquireLease('budget', 'b', 1, 10_000)).toBe(true)
      expect(await store.incr('n', 1, 10_000)).toBe(1)
      // The subscriber connection renews its channels on its own, a moment after reconnecting.
      const deadline = Date.now() + 5000
      while (got.length < 2 && Date.now() < deadline) {
        await store.publish('events', 'two')
        await sleep(50)
      }
      expect(got.slice(0, 2)).toEqual(['one', 'two'])
    } finally {
      await stopRedis(server)
    }
  })
})

/** A TCP port nobody listens on right now (bound then released). */
async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A throwaway redis-server without persistence, ready once it accepts a PING. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
    {
      stdio: 'ignore',
    },
  )
  const deadline = Date.now() + 5000
  for (;;) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      return child
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) throw err
      await sleep(50)
    } finally {
      probe.disconnect()
    }
  }
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}
