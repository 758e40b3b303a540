import { Cluster } from 'ioredis'
import { raised } from './diagnostics.js'
import { checkIncrement, checkLeaseLimit, normaliseTtl, StoreError } from './errors.js'
import {
  buildClient,
  type Client,
  Link,
  type RedisStoreOptions,
  type StoreLogger,
  type StoreStatus,
  shutdown,
} from './redis-connection.js'
import type { LeaseOptions, MessageHandler, SetOptions, Store } from './store.js'

export type { RedisStoreOptions, StoreLogger, StoreStatus } from './redis-connection.js'

/** Scripts registered with defineCommand; ioredis adds them as methods (EVALSHA, EVAL on NOSCRIPT). */
interface ScriptCommands {
  ftpgwIncr(key: string, by: number, ttlMs: number): Promise<number>
  ftpgwAcquire(
    key: string,
    holder: string,
    limit: number,
    ttlMs: number,
    graceMs: number,
    reclaim: number,
    ...witnesses: string[]
  ): Promise<number>
  ftpgwRenew(key: string, holder: string, ttlMs: number): Promise<number>
  ftpgwCount(key: string): Promise<number>
}

// Lease expiry is measured on the Redis clock (TIME), so instances with skewed clocks agree.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`
// A lease key lives as long as its longest holder, so an abandoned budget cleans itself up.
const EXTEND_KEY = `if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
`
// A lost budget's grace period: a member of the lease set (one key, so Redis Cluster can run the
// scripts), scored with its end like any lease, and never counted as a holder.
const GRACE = `local grace = redis.call('ZSCORE', KEYS[1], '~grace') and 1 or 0
`
const SCRIPTS: Record<keyof ScriptCommands, string> = {
  ftpgwIncr: `local isNew = redis.call('EXISTS', KEYS[1]) == 0
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if isNew then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`,
  ftpgwAcquire: `${NOW}local ttl = tonumber(ARGV[3])
local graceMs = tonumber(ARGV[4])
local reclaim = ARGV[5] == '1'
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lost = reclaim
for i = 6, #ARGV do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then lost = true end
end
if lost and graceMs > 0 then
  local until_ = now + graceMs
  local current = redis.call('ZSCORE', KEYS[1], '~grace')
  if not current or tonumber(current) < until_ then redis.call('ZADD', KEYS[1], until_, '~grace') end
  if redis.call('PTTL', KEYS[1]) < graceMs then redis.call('PEXPIRE', KEYS[1], graceMs) end
end
${GRACE}if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if grace == 1 and not reclaim then return 0 end
  if redis.call('ZCARD', KEYS[1]) - grace >= tonumber(ARGV[2]) then return 0 end
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
${EXTEND_KEY}return 1`,
  ftpgwRenew: `${NOW}local ttl = tonumber(ARGV[2])
local until_ = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not until_ or tonumber(until_) <= now then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
${EXTEND_KEY}return 1`,
  ftpgwCount: `${NOW}redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
${GRACE}return redis.call('ZCARD', KEYS[1]) - grace`,
}

/** Replies that mean "the service cannot serve right now", not "your command is wrong". */
const TRANSIENT_REPLY = /^(LOADING|CLUSTERDOWN|READONLY|MASTERDOWN|TRYAGAIN|BUSY|NOREPLICAS)\b/

interface Channel {
  handlers: Set<{ handler: MessageHandler }>
  subscribed: Promise<void>
}

/**
 * Store on Redis (single server, Sentinel or Cluster through ioredis), shared by every gateway
 * instance. Multi-step operations are Lua scripts so they stay atomic across instances; keys and
 * channels carry `keyPrefix`. Commands fail fast with STORE_ERR_UNAVAILABLE while Redis is
 * unreachable; the connections reconnect by themselves and subscriptions are renewed on return
 * (messages published during an outage are lost, as with any Redis pub/sub).
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const
  readonly keyPrefix: string

  private readonly link: Link
  private subscriber: Link | undefined
  private readonly channels = new Map<string, Channel>()
  private readonly connectTimeoutMs: number
  private readonly logger: StoreLogger | undefined
  private closed = false

  constructor(options: RedisStoreOptions = {}) {
    this.keyPrefix = options.keyPrefix ?? 'ftpgw:'
    this.logger = options.logger
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000
    const client = buildClient(options, this.connectTimeoutMs)
    for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua })
    this.link = new Link(client, 'command', this.logger)
  }

  /** The underlying ioredis client (for diagnostics and tests; do not issue commands on it). */
  get client(): Client {
    return this.link.client
  }

  /**
   * A new connection with this store's options (server or topology, credentials, the fail-fast
   * settings), without its scripts or subscriptions, for a component that speaks Redis itself (the
   * HTTP rate limiter). The caller owns it: it handles its 'error' events and disconnects it.
   */
  duplicateClient(): Client {
    const base = this.link.client
    return base instanceof Cluster ? base.duplicate() : base.duplicate()
  }

  /** 'ready', 'connecting' (first connect in progress) or 'down' (failed; reconnecting). */
  get status(): StoreStatus {
    return this.closed ? 'down' : this.link.status
  }

  async get(key: string): Promise<string | null> {
    return this.run((c) => c.get(this.k(key)))
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const args: (string | number)[] = [this.k(key), value]
    if (options.ttlMs !== undefined) args.push('PX', normaliseTtl(options.ttlMs))
    if (options.onlyIfAbsent) args.push('NX')
    return (await this.run((c) => c.call('SET', ...args))) === 'OK'
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0
    const full = [...new Set(keys)].map((key) => this.k(key))
    return this.run(async (c) => {
      // A cluster refuses multi-key commands across slots, so delete one key per command there.
      if (c instanceof Cluster) return sum(await Promise.all(full.map((key) => c.del(key))))
      return c.del(...full)
    })
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    const ttl = normaliseTtl(ttlMs)
    return (await this.run((c) => c.pexpire(this.k(key), ttl))) === 1
  }

  async incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    checkIncrement(by)
    if (ttlMs === undefined) return this.run((c) => c.incrby(this.k(key), by))
    const ttl = normaliseTtl(ttlMs)
    return this.run((c) => scripts(c).ftpgwIncr(this.k(key), by, ttl))
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return []
    const full = keys.map((key) => this.k(key))
    return this.run((c) => {
      if (c instanceof Cluster) return Promise.all(full.map((key) => c.get(key).catch(nullOnWrongType)))
      return c.mget(...full)
    })
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.run((c) => c.hget(this.k(key), field))
  }

  async hset(key: string, field: string, value: string): Promise<void> {
    await this.run((c) => c.hset(this.k(key), field, value))
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    if (fields.length === 0) return 0
    return this.run((c) => c.hdel(this.k(key), ...fields))
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return this.run((c) => c.hgetall(this.k(key)))
  }

  async acquireLease(
    key: string,
    holder: string,
    limit: number,
    ttlMs: number,
    options: LeaseOptions = {},
  ): Promise<boolean> {
    checkLeaseLimit(limit)
    const ttl = normaliseTtl(ttlMs)
    const grace = options.graceMs ? normaliseTtl(options.graceMs) : 0
    const witnesses = options.witnesses ?? []
    const reclaim = options.reclaim ? 1 : 0
    return (
      (await this.run((c) =>
        scripts(c).ftpgwAcquire(this.k(key), holder, limit, ttl, grace, reclaim, ...witnesses),
      )) === 1
    )
  }

  async renewLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const ttl = normaliseTtl(ttlMs)
    return (await this.run((c) => scripts(c).ftpgwRenew(this.k(key), holder, ttl))) === 1
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    await this.run((c) => c.zrem(this.k(key), holder))
  }

  async countLeases(key: string): Promise<number> {
    return this.run((c) => scripts(c).ftpgwCount(this.k(key)))
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run((c) => c.publish(this.k(channel), message))
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    if (this.closed) throw raised(this, closedError())
    const sub = { handler }
    for (;;) {
      let entry = this.channels.get(channel)
      if (!entry) {
        const created: Channel = { handlers: new Set(), subscribed: Promise.resolve() }
        created.subscribed = this.runOn(this.subscriberLink(), async (c) => {
          await c.subscribe(this.k(channel))
        }).catch((err: unknown) => {
          // Forget a failed subscription so the next call tries again.
          if (this.channels.get(channel) === created && created.handlers.size === 0) {
            this.channels.delete(channel)
          }
          throw err
        })
        this.channels.set(channel, created)
        entry = created
      }
      await entry.subscribed
      // The last handler may have left (and the channel been dropped) while this call waited.
      if (this.channels.get(channel) !== entry) continue
      entry.handlers.add(sub)
      const current = entry
      return async () => this.unsubscribe(channel, current, sub)
    }
  }

  async ping(): Promise<void> {
    await this.run((c) => c.ping())
  }

  /** Closes both connections; later calls reject with STORE_ERR_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.channels.clear()
    await Promise.all([this.link, this.subscriber].map((link) => link && shutdown(link)))
  }

  private async unsubscribe(
    channel: string,
    entry: Channel,
    sub: { handler: MessageHandler },
  ): Promise<void> {
    entry.handlers.delete(sub)
    if (entry.handlers.size > 0 || this.channels.get(channel) !== entry) return
    this.channels.delete(channel)
    const link = this.subscriber
    // While disconnected there is nothing to undo: only channels still listed are renewed on return.
    if (!link || this.closed || link.status !== 'ready') return
    await link.client.unsubscribe(this.k(channel)).catch(() => {})
  }

  /** The pub/sub connection, opened on first subscribe (a subscribed connection runs nothing else). */
  private subscriberLink(): Link {
    if (this.subscriber) return this.subscriber
    const base = this.link.client
    const overrides = { autoResubscribe: false, lazyConnect: false }
    const client =
      base instanceof Cluster
        ? base.duplicate([], {
            lazyConnect: false,
            redisOptions: { ...base.options.redisOptions, ...overrides },
          })
        : base.duplicate(overrides)
    // Renew every listed channel on each (re)connect; ioredis' own resubscribe is off so that the
    // list of channels has one owner.
    const link = new Link(client, 'subscriber', this.logger, () => {
      const names = [...this.channels.keys()].map((channel) => this.k(channel))
      if (names.length === 0) return
      client.subscribe(...names).catch((err: Error) => {
        this.logger?.warn({ err: err.message }, 'redis resubscribe failed')
      })
    })
    client.on('message', (fullChannel: string, message: string) => this.deliver(fullChannel, message))
    this.subscriber = link
    return link
  }

  private deliver(fullChannel: string, message: string): void {
    if (!fullChannel.startsWith(this.keyPrefix)) return
    const entry = this.channels.get(fullChannel.slice(this.keyPrefix.length))
    if (!entry) return
    for (const { handler } of [...entry.handlers]) {
      try {
        handler(message)
      } catch (err) {
        // One faulty handler must neither starve the others nor escape into ioredis' parser.
        this.logger?.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'store message handler threw',
        )
      }
    }
  }

  private k(key: string): string {
    return this.keyPrefix + key
  }

  private run<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    return this.runOn(this.link, fn)
  }

  /** Every command goes through here, so each failed call is translated and published once. */
  private async runOn<T>(link: Link, fn: (c: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw raised(this, closedError())
    try {
      await link.usable(this.connectTimeoutMs)
      this.checkOpen()
      return await fn(link.client)
    } catch (err) {
      throw raised(this, this.translate(err))
    }
  }

  private translate(err: unknown): StoreError {
    if (this.closed) return new StoreError('STORE_ERR_CLOSED', 'store is closed', { cause: err })
    if (err instanceof StoreError) return err
    const message = err instanceof Error ? err.message : String(err)
    // ReplyError: the server answered. Anything else (timeout, closed stream, retries exhausted)
    // means the reply never came, which is an availability problem.
    if (err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLY.test(message)) {
      return new StoreError('STORE_ERR_COMMAND', message, { cause: err })
    }
    return new StoreError('STORE_ERR_UNAVAILABLE', `redis unavailable (${message})`, { cause: err })
  }

  private checkOpen(): void {
    if (this.closed) throw closedError()
  }
}

function closedError(): StoreError {
  return new StoreError('STORE_ERR_CLOSED', 'store is closed')
}

function scripts(c: Client): ScriptCommands {
  return c as unknown as ScriptCommands
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}

/** MGET answers null for a key of another type; a per-key GET in cluster mode must do the same. */
function nullOnWrongType(err: unknown): null {
  if (err instanceof Error && err.message.startsWith('WRONGTYPE')) return null
  throw err
}
