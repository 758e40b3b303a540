/**
 * The short, bounded local memory of bearer tokens this instance has verified, so a store outage
 * (a Redis failover) costs no request that only needs to read a token. It is consulted only when
 * the store cannot be read: while the store answers, every request reads the store as before, so
 * a revocation takes effect at once. Entries are keyed by the token's hash (never the token), hold
 * the sealed record exactly as stored, and are forgotten after `maxAgeMs` since the store last
 * confirmed them, when the store says the token is gone, or when any instance revokes it
 * (tokens.ts publishes revocations on the store's pub/sub).
 */

/** One remembered token: the stored record (sealed as in the store) and when the store last confirmed it. */
export interface CachedToken<R> {
  record: R
  confirmedAt: number
}

/** Options of TokenCache. */
export interface TokenCacheOptions {
  /** How long after the store last confirmed a token it may still be accepted without the store. */
  maxAgeMs: number
  /** Entries kept at most; the least recently confirmed go first. Default 10,000. */
  maxEntries?: number
  now?: () => number
}

/** A bounded map from token hash to its last confirmed record. */
export class TokenCache<R> {
  readonly #entries = new Map<string, CachedToken<R>>()
  readonly #maxAgeMs: number
  readonly #maxEntries: number
  readonly #now: () => number

  constructor(options: TokenCacheOptions) {
    this.#maxAgeMs = options.maxAgeMs
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000)
    this.#now = options.now ?? Date.now
  }

  /** Entries held (for tests and debugging). */
  get size(): number {
    return this.#entries.size
  }

  /** The store just confirmed `id`: remember (or refresh) it as the most recent. */
  confirm(id: string, record: R): void {
    // Re-inserting moves the key to the end of the Map's order: the oldest is always first.
    this.#entries.delete(id)
    this.#entries.set(id, { record, confirmedAt: this.#now() })
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value
      if (oldest === undefined) break
      this.#entries.delete(oldest)
    }
  }

  /** The record confirmed within maxAgeMs, or undefined (a stale entry is dropped). */
  recall(id: string): R | undefined {
    const entry = this.#entries.get(id)
    if (entry === undefined) return undefined
    if (this.#now() - entry.confirmedAt > this.#maxAgeMs) {
      this.#entries.delete(id)
      return undefined
    }
    return entry.record
  }

  /** The token is gone (revoked, expired, unknown to the store): never accept it from here again. */
  forget(id: string): void {
    this.#entries.delete(id)
  }
}
