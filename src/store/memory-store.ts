import { raised } from './diagnostics.js'
import { checkIncrement, checkLeaseLimit, normaliseTtl, StoreError } from './errors.js'
import type { LeaseOptions, MessageHandler, SetOptions, Store } from './store.js'

/** A lost budget's grace period, kept among the holders as in RedisStore and never counted as one. */
const GRACE = '~grace'

/** A string value, a hash, or a lease set (holder → expiry in epoch ms), like Redis' three types. */
type Value =
  | { type: 'string'; value: string }
  | { type: 'hash'; fields: Map<string, string> }
  | { type: 'lease'; holders: Map<string, number> }

interface Entry {
  data: Value
  /** Epoch ms after which the key no longer exists; undefined = no TTL. */
  expiresAt: number | undefined
}

/** Options for MemoryStore; the defaults suit production, tests may shorten the sweep. */
export interface MemoryStoreOptions {
  /** How often expired keys are swept out of memory (reads expire lazily anyway). Default 1000 ms. */
  sweepIntervalMs?: number
}

/**
 * In-process Store for a single instance (no REDIS_URL). It mirrors RedisStore's semantics closely
 * (TTL rules, type errors, lease behaviour) so code tested against it behaves the same on Redis.
 * Every StoreError is thrown through `raised` (diagnostics.ts): no StoreError is caught inside, so
 * each one is exactly one rejected call.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const

  private readonly entries = new Map<string, Entry>()
  private readonly channels = new Map<string, Set<{ handler: MessageHandler }>>()
  private readonly sweepTimer: NodeJS.Timeout
  private closed = false

  constructor(options: MemoryStoreOptions = {}) {
    this.sweepTimer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 1000)
    // The sweep only reclaims memory; it must not keep the process alive.
    this.sweepTimer.unref()
  }

  async get(key: string): Promise<string | null> {
    return this.stringOf(key)
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    this.checkOpen()
    const ttl = options.ttlMs === undefined ? undefined : normaliseTtl(options.ttlMs)
    if (options.onlyIfAbsent && this.live(key)) return false
    // Like Redis SET, a plain set replaces any type and clears a previous TTL.
    this.entries.set(key, {
      data: { type: 'string', value },
      expiresAt: ttl === undefined ? undefined : Date.now() + ttl,
    })
    return true
  }

  async del(...keys: string[]): Promise<number> {
    this.checkOpen()
    let n = 0
    for (const key of new Set(keys)) {
      if (this.live(key)) {
        this.entries.delete(key)
        n++
      }
    }
    return n
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    this.checkOpen()
    const ttl = normaliseTtl(ttlMs)
    const entry = this.live(key)
    if (!entry) return false
    entry.expiresAt = Date.now() + ttl
    return true
  }

  async incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    this.checkOpen()
    checkIncrement(by)
    const ttl = ttlMs === undefined ? undefined : normaliseTtl(ttlMs)
    const entry = this.live(key)
    if (!entry) {
      this.entries.set(key, {
        data: { type: 'string', value: String(by) },
        expiresAt: ttl === undefined ? undefined : Date.now() + ttl,
      })
      return by
    }
    const current = this.asString(entry)
    // Same rule as INCRBY: the stored value must be a plain integer string.
    if (!/^-?\d+$/.test(current) || !Number.isSafeInteger(Number(current))) {
      throw raised(this, new StoreError('STORE_ERR_COMMAND', 'value is not an integer or out of range'))
    }
    const next = Number(current) + by
    if (!Number.isSafeInteger(next)) {
      throw raised(this, new StoreError('STORE_ERR_COMMAND', 'increment would overflow'))
    }
    // An existing key keeps its TTL: the TTL belongs to the window that created it.
    entry.data = { type: 'string', value: String(next) }
    return next
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    this.checkOpen()
    // MGET answers null for a key of another type rather than failing.
    return keys.map((key) => {
      const entry = this.live(key)
      return entry?.data.type === 'string' ? entry.data.value : null
    })
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.hashOf(key, false)?.get(field) ?? null
  }

  async hset(key: string, field: string, value: string): Promise<void> {
    this.hashOf(key, true)!.set(field, value)
  }

  async hdel(key: string, ...fields: string[]): Promise<number> {
    const hash = this.hashOf(key, false)
    if (!hash) return 0
    let n = 0
    for (const field of new Set(fields)) if (hash.delete(field)) n++
    // Redis removes a hash whose last field is gone.
    if (hash.size === 0) this.entries.delete(key)
    return n
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const hash = this.hashOf(key, false)
    return hash ? Object.fromEntries(hash) : {}
  }

  async acquireLease(
    key: string,
    holder: string,
    limit: number,
    ttlMs: number,
    options: LeaseOptions = {},
  ): Promise<boolean> {
    this.checkOpen()
    checkLeaseLimit(limit)
    const ttl = normaliseTtl(ttlMs)
    const graceMs = options.graceMs ? normaliseTtl(options.graceMs) : 0
    const now = Date.now()
    const holders = this.leasesOf(key, now, true)
    // The same steps as RedisStore's script: a missing witness or a reclaim opens a grace period.
    const lost = options.reclaim === true || (options.witnesses ?? []).some((w) => !holders.has(w))
    if (lost && graceMs > 0) {
      holders.set(GRACE, Math.max(holders.get(GRACE) ?? 0, now + graceMs))
      this.extendLeaseKey(key, now + graceMs)
    }
    const grace = holders.has(GRACE) ? 1 : 0
    // Re-acquiring a held lease refreshes it instead of consuming a second slot.
    if (!holders.has(holder) && ((grace && !options.reclaim) || holders.size - grace >= limit)) {
      if (holders.size === 0) this.entries.delete(key)
      return false
    }
    holders.set(holder, now + ttl)
    this.extendLeaseKey(key, now + ttl)
    return true
  }

  async renewLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    this.checkOpen()
    const ttl = normaliseTtl(ttlMs)
    const now = Date.now()
    const holders = this.leasesOf(key, now)
    if (!holders.has(holder)) return false
    holders.set(holder, now + ttl)
    this.extendLeaseKey(key, now + ttl)
    return true
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    this.checkOpen()
    const holders = this.leasesOf(key, Date.now())
    if (holders.delete(holder) && holders.size === 0) this.entries.delete(key)
  }

  async countLeases(key: string): Promise<number> {
    this.checkOpen()
    const holders = this.leasesOf(key, Date.now())
    return holders.size - (holders.has(GRACE) ? 1 : 0)
  }

  async publish(channel: string, message: string): Promise<void> {
    this.checkOpen()
    const subs = this.channels.get(channel)
    if (!subs) return
    // Snapshot now: who receives is decided at publish time, as in Redis. Delivery is deferred so a
    // handler never runs inside the publisher's call stack.
    for (const sub of [...subs]) {
      setImmediate(() => {
        if (this.closed || !this.channels.get(channel)?.has(sub)) return
        try {
          sub.handler(message)
        } catch {
          // A faulty handler must not break delivery to the others (nor crash the timer phase).
        }
      })
    }
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.checkOpen()
    // A fresh token per call, so the same function subscribed twice is two subscriptions.
    const sub = { handler }
    let subs = this.channels.get(channel)
    if (!subs) {
      subs = new Set()
      this.channels.set(channel, subs)
    }
    subs.add(sub)
    return async () => {
      const current = this.channels.get(channel)
      if (!current) return
      current.delete(sub)
      if (current.size === 0) this.channels.delete(channel)
    }
  }

  async ping(): Promise<void> {
    this.checkOpen()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.sweepTimer)
    this.entries.clear()
    this.channels.clear()
  }

  /** Returns the entry if it exists and has not expired, deleting it lazily when it has. */
  private live(key: string, now = Date.now()): Entry | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  private stringOf(key: string): string | null {
    this.checkOpen()
    const entry = this.live(key)
    return entry ? this.asString(entry) : null
  }

  private asString(entry: Entry): string {
    if (entry.data.type !== 'string') throw raised(this, wrongType())
    return entry.data.value
  }

  private hashOf(key: string, create: boolean): Map<string, string> | undefined {
    this.checkOpen()
    const entry = this.live(key)
    if (entry) {
      if (entry.data.type !== 'hash') throw raised(this, wrongType())
      return entry.data.fields
    }
    if (!create) return undefined
    const fields = new Map<string, string>()
    this.entries.set(key, { data: { type: 'hash', fields }, expiresAt: undefined })
    return fields
  }

  /**
   * The lease set of `key` with expired holders dropped. When absent (or emptied) it is stored only
   * if `create`; otherwise a detached empty map comes back, so reads never leave empty keys behind.
   */
  private leasesOf(key: string, now: number, create = false): Map<string, number> {
    const entry = this.live(key, now)
    if (entry) {
      if (entry.data.type !== 'lease') throw raised(this, wrongType())
      const holders = entry.data.holders
      for (const [holder, until] of holders) if (until <= now) holders.delete(holder)
      if (holders.size > 0 || create) return holders
      this.entries.delete(key)
      return holders
    }
    const holders = new Map<string, number>()
    if (create) this.entries.set(key, { data: { type: 'lease', holders }, expiresAt: undefined })
    return holders
  }

  /** The key lives as long as its longest lease, so an abandoned budget disappears by itself. */
  private extendLeaseKey(key: string, until: number): void {
    const entry = this.entries.get(key)
    if (entry && (entry.expiresAt === undefined || entry.expiresAt < until)) entry.expiresAt = until
  }

  /** Drops expired keys and empty lease sets; reads already ignore them, this frees the memory. */
  private sweep(): void {
    const now = Date.now()
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key)
      else if (entry.data.type === 'lease' && entry.data.holders.size === 0) this.entries.delete(key)
    }
  }

  private checkOpen(): void {
    if (this.closed) throw raised(this, new StoreError('STORE_ERR_CLOSED', 'store is closed'))
  }
}

function wrongType(): StoreError {
  return new StoreError(
    'STORE_ERR_COMMAND',
    'WRONGTYPE Operation against a key holding the wrong kind of value',
  )
}
