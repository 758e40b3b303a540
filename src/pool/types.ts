/**
 * Types of the session pool. The pool is generic over what it pools: the FTP session implements
 * PooledResource, and tests use a fake. Nothing here knows about FTP.
 */
import type { Store } from '../store/store.js'

/** A long-lived resource the pool hands out (an FTP control session). */
export interface PooledResource {
  /** false once the resource must not be reused (broken or desynchronised). */
  readonly usable: boolean
  /** Cheap liveness round trip (FTP NOOP); rejects when dead. */
  check(): Promise<void>
  /** Polite close (QUIT); resolves even on failure; bounded in time by the resource. */
  close(): Promise<void>
  /** Immediate close. */
  destroy(): void
}

/** What to do when the store fails while taking a cluster lease. */
export type StoreErrorPolicy = 'open' | 'closed'

/** Settings of a SessionPool; every limit has a default matching the documented configuration. */
export interface SessionPoolOptions<R extends PooledResource> {
  /** Makes a new resource for `key` (connect + login). Called only within the budget. */
  create: (key: string, signal: AbortSignal) => Promise<R>
  store: Store
  /** Identifies the upstream in store keys (budget shared by all instances for that upstream). */
  upstreamId: string
  /** Resources per key (FTP_POOL_MAX); default 4. */
  maxPerKey?: number | undefined
  /** Resources per upstream across the cluster (FTP_POOL_MAX_TOTAL); default 32. */
  maxTotal?: number | undefined
  /** How long an acquire may wait before PoolExhaustedError; default 15000. */
  acquireTimeoutMs?: number | undefined
  /** Waiting acquires (all keys) beyond which PoolExhaustedError is immediate; default 10000. */
  maxWaiting?: number | undefined
  /** Idle resources older than this are closed (FTP_IDLE_TIMEOUT_MS); default 60000. */
  idleTimeoutMs?: number | undefined
  /** Resources older than this are retired when next released or found idle; default 30 min. */
  maxLifetimeMs?: number | undefined
  /** A resource idle longer than this is check()ed before reuse; default 15000. */
  checkAfterIdleMs?: number | undefined
  /** Cluster lease lifetime; held leases are renewed every ttl/3; default 30000. */
  leaseTtlMs?: number | undefined
  /** How long a cached create failure is replayed to new acquires of that key; default 5000. */
  failureCacheMs?: number | undefined
  /**
   * Which create errors are cached (auth failures); default none. Such an error also means the
   * credentials behind the key are refused now: every session of the key is dropped.
   */
  isCachedFailure?: (err: unknown) => boolean
  /**
   * Whether a resource given back with `error` is check()ed before its next reuse: true for a
   * failure that leaves its state uncertain (a timeout, an aborted transfer, an unexpected reply),
   * false for an ordinary refusal the resource answered in step (FTP 550). Default: every error.
   */
  needsCheckAfter?: (err: unknown) => boolean
  /**
   * Creates at once, cluster-wide, for keys with no live session and no login remembered (a new or
   * wrong password: FTP_POOL_MAX_UNVERIFIED). Such a key gets one create at a time, and an acquire
   * finding this budget full fails at once with PoolExhaustedError('unverified'). Default: no
   * separate budget.
   */
  maxUnverified?: number | undefined
  /**
   * A key's sessions are handed out only while its last successful login is younger than this
   * (FTP_REVERIFY_MS); after it the next acquire logs in afresh, and a refused login drops every
   * session of the key. Default 5 minutes.
   */
  reverifyMs?: number | undefined
  /**
   * The group of a key (for FTP: the user name), for evictGroup; default the key itself.
   */
  groupOf?: (key: string) => string
  /**
   * When the store fails while taking a lease: 'open' (default) proceeds within a local cap of
   * maxTotal, 'closed' treats the budget as full (acquires then wait and end in PoolExhaustedError).
   * 'open' is the default because the budget protects the upstream from a stampede, while a Redis
   * outage must not stop every download: one instance alone still respects maxTotal, and the
   * leases taken blind are re-acquired (or their resources retired) once the store answers again.
   */
  onStoreError?: StoreErrorPolicy
  /** Store calls (leases) taking longer than this count as store errors; default 2000. */
  storeTimeoutMs?: number | undefined
  /** A polite close that takes longer than this is cut short with destroy(); default 5000. */
  closeTimeoutMs?: number | undefined
  /** Retry-After (seconds) suggested by PoolExhaustedError; default 2. */
  retryAfterSeconds?: number | undefined
  /** Distinguishes this instance's lease holders; default random. */
  instanceId?: string | undefined
  /** Clock for ages (idle, lifetime, failure cache); default Date.now. */
  now?: (() => number) | undefined
  /** Told about swallowed errors (store failures, close failures), for logging. */
  onWarning?: (message: string, err: unknown) => void
}

/** A resource checked out of the pool. */
export interface Checkout<R> {
  readonly resource: R
  /**
   * Give it back. `error` says the last operation failed: a usable resource is then check()ed
   * before its next reuse when the pool's `needsCheckAfter(error)` says so; pass
   * `{ discard: true }` to close it now. Idempotent.
   */
  release(outcome?: { error?: unknown; discard?: boolean }): void
}

/** Counts for one key. */
export interface KeyStats {
  idle: number
  busy: number
  waiting: number
}

/** Pool counts, for metrics. */
export interface PoolStats {
  /** Resources held by this instance: idle + busy + pending. */
  size: number
  idle: number
  /** Checked out, or being checked before reuse. */
  busy: number
  /** Being created or being closed (they still count against the budget). */
  pending: number
  /** Acquires waiting in the queue. */
  waiting: number
  /** Totals since start. */
  created: number
  evicted: number
  failedCreates: number
  /** Creates under way for unverified keys (each holding an unverified lease). */
  unverified: number
  /** Acquires refused because the unverified budget was full (total since start). */
  unverifiedRefused: number
  perKey: Record<string, KeyStats>
}
