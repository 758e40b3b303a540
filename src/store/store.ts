/**
 * The shared-state interface. Sessions, WebDAV locks and properties, the metadata cache and the
 * cluster-wide connection budget sit on it. MemoryStore keeps it in process (one instance);
 * RedisStore keeps it in Redis so identical instances behind a load balancer share it.
 * Keys passed in are logical; each implementation adds its own prefix.
 */
export interface SetOptions {
  /** Expire the key after this many milliseconds. */
  ttlMs?: number
  /** Only set when the key does not exist (returns false when it did). */
  onlyIfAbsent?: boolean
}

/**
 * Recovery of a lease budget that was lost (Redis flushed or restarted empty, or leases expired
 * while their holders still hold what they stand for). The store cannot know what the other
 * holders hold until they re-register it, so for `graceMs` after a loss is seen no new holder is
 * admitted: only `reclaim`s are, within the limit as always.
 */
export interface LeaseOptions {
  /** How long no new holder is admitted once a loss is seen; 0 or absent: never. */
  graceMs?: number
  /** Leases the caller holds; one of them missing means the budget was lost. */
  witnesses?: string[]
  /** Re-registers a lease the caller held and found missing (itself a sign of loss). */
  reclaim?: boolean
}

/** A message handler for pub/sub. */
export type MessageHandler = (message: string) => void

export interface Store {
  /** 'memory' or 'redis', for logs and readiness. */
  readonly kind: 'memory' | 'redis'

  get(key: string): Promise<string | null>
  /** Sets a value; returns false only when `onlyIfAbsent` was set and the key existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>
  /** Deletes keys; returns how many existed. */
  del(...keys: string[]): Promise<number>
  /** Resets a key's lifetime; false when the key does not exist. */
  expire(key: string, ttlMs: number): Promise<boolean>
  /** Atomically adds `by` (default 1) and returns the new value; sets the TTL when the key is new. */
  incr(key: string, by?: number, ttlMs?: number): Promise<number>
  /** Many gets in one round trip. */
  mget(keys: string[]): Promise<(string | null)[]>

  /** Hash field operations (locks, dead properties). */
  hget(key: string, field: string): Promise<string | null>
  hset(key: string, field: string, value: string): Promise<void>
  hdel(key: string, ...fields: string[]): Promise<number>
  hgetall(key: string): Promise<Record<string, string>>

  /**
   * Leases: a counted budget shared by every instance (the cluster-wide FTP connection budget).
   * `acquireLease` atomically drops expired holders, then adds `holder` only if fewer than `limit`
   * unexpired holders remain; returns whether it was added. A holder that is not renewed within
   * `ttlMs` expires, so an instance that dies gives its leases back.
   */
  acquireLease(
    key: string,
    holder: string,
    limit: number,
    ttlMs: number,
    options?: LeaseOptions,
  ): Promise<boolean>
  /** Extends a held lease; false when it had already expired or was never held. */
  renewLease(key: string, holder: string, ttlMs: number): Promise<boolean>
  releaseLease(key: string, holder: string): Promise<void>
  /** How many unexpired holders the lease key has (a grace period is not a holder). */
  countLeases(key: string): Promise<number>

  /** Publishes to every instance's subscribers of `channel` (this instance's included). */
  publish(channel: string, message: string): Promise<void>
  /** Subscribes; the returned function unsubscribes. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>

  /** Round trip to the backing service; rejects when it is unreachable. */
  ping(): Promise<void>
  close(): Promise<void>
}
