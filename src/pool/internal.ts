/**
 * The pool's private bookkeeping: entries, waiters, per-key state, resolved options and the close
 * helpers. Not exported from the package index.
 */
import { randomUUID } from 'node:crypto'
import type { Checkout, PooledResource, PoolStats, SessionPoolOptions } from './types.js'

/** One resource and what the pool knows about it. */
export interface Entry<R> {
  readonly serial: number
  readonly key: string
  readonly resource: R
  readonly createdAt: number
  /** The key's generation when creation started; evictKey bumps it to retire older entries. */
  readonly generation: number
  lastUsedAt: number
  needsCheck: boolean
  /** Its lease could not be kept: close when next idle. */
  leaseLost: boolean
  /** Closed or being closed; late releases and check results are ignored. */
  gone: boolean
}

/** An acquire waiting in a key's queue. */
export interface Waiter<R> {
  readonly key: string
  readonly resolve: (checkout: Checkout<R>) => void
  readonly reject: (err: unknown) => void
  timer?: NodeJS.Timeout
  signal?: AbortSignal
  onAbort?: () => void
}

/** Everything the pool holds for one key. */
export interface KeyState<R> {
  /** Most recently used last: pop() takes the warmest, the rest idle out. */
  readonly idle: Entry<R>[]
  readonly busy: Set<Entry<R>>
  readonly checking: Set<Entry<R>>
  creating: number
  closing: number
  generation: number
  /** FIFO. */
  readonly waiters: Waiter<R>[]
  failure?: { error: unknown; until: number } | undefined
}

/** An empty key state. */
export function newKeyState<R>(): KeyState<R> {
  return {
    idle: [],
    busy: new Set(),
    checking: new Set(),
    creating: 0,
    closing: 0,
    generation: 0,
    waiters: [],
  }
}

/** Sessions that logged in and are not yet closing: the key's credentials worked. */
export function loggedIn<R>(ks: KeyState<R>): number {
  return ks.idle.length + ks.busy.size + ks.checking.size
}

/** Resources counted against the key's slots (closing ones too: their connection still exists). */
export function liveCount<R>(ks: KeyState<R>): number {
  return ks.idle.length + ks.busy.size + ks.checking.size + ks.creating + ks.closing
}

/** Checked out or being checked, over all keys (drain waits for these). */
export function inUse<R>(keys: Map<string, KeyState<R>>): number {
  let n = 0
  for (const ks of keys.values()) n += ks.busy.size + ks.checking.size
  return n
}

/** The least recently used idle entry of a key other than `except` with nobody waiting for it. */
export function leastRecentIdle<R>(keys: Map<string, KeyState<R>>, except: string): Entry<R> | undefined {
  let best: Entry<R> | undefined
  for (const [k, ks] of keys) {
    const oldest = ks.idle[0]
    if (k === except || !oldest || ks.waiters.length > 0) continue
    if (!best || oldest.lastUsedAt < best.lastUsedAt) best = oldest
  }
  return best
}

/** Per-key and total counts. */
export function collectStats<R>(
  keys: Map<string, KeyState<R>>,
  totals: Pick<PoolStats, 'created' | 'evicted' | 'failedCreates' | 'unverified' | 'unverifiedRefused'>,
): PoolStats {
  const s: PoolStats = { size: 0, idle: 0, busy: 0, pending: 0, waiting: 0, ...totals, perKey: {} }
  for (const [key, ks] of keys) {
    const busy = ks.busy.size + ks.checking.size
    s.idle += ks.idle.length
    s.busy += busy
    s.pending += ks.creating + ks.closing
    s.waiting += ks.waiters.length
    s.perKey[key] = { idle: ks.idle.length, busy, waiting: ks.waiters.length }
  }
  s.size = s.idle + s.busy + s.pending
  return s
}

/** Options with every default filled in (an option given as undefined is not left undefined here). */
export type ResolvedOptions<R extends PooledResource> = {
  [K in Exclude<keyof SessionPoolOptions<R>, 'isCachedFailure' | 'onWarning' | 'maxUnverified'>]-?: Exclude<
    SessionPoolOptions<R>[K],
    undefined
  >
} & {
  maxUnverified: number | undefined
  isCachedFailure: (err: unknown) => boolean
  needsCheckAfter: (err: unknown) => boolean
  onWarning: (message: string, err: unknown) => void
}

/** Fills in defaults field by field (an explicit undefined means the default, as for unset env vars). */
export function resolveOptions<R extends PooledResource>(o: SessionPoolOptions<R>): ResolvedOptions<R> {
  const r: ResolvedOptions<R> = {
    create: o.create,
    store: o.store,
    upstreamId: o.upstreamId,
    maxPerKey: o.maxPerKey ?? 4,
    maxTotal: o.maxTotal ?? 32,
    acquireTimeoutMs: o.acquireTimeoutMs ?? 15_000,
    maxWaiting: o.maxWaiting ?? 10_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
    maxLifetimeMs: o.maxLifetimeMs ?? 30 * 60_000,
    checkAfterIdleMs: o.checkAfterIdleMs ?? 15_000,
    leaseTtlMs: o.leaseTtlMs ?? 30_000,
    failureCacheMs: o.failureCacheMs ?? 5_000,
    isCachedFailure: o.isCachedFailure ?? (() => false),
    needsCheckAfter: o.needsCheckAfter ?? (() => true),
    maxUnverified: o.maxUnverified,
    reverifyMs: o.reverifyMs ?? 5 * 60_000,
    groupOf: o.groupOf ?? ((key) => key),
    onStoreError: o.onStoreError ?? 'open',
    storeTimeoutMs: o.storeTimeoutMs ?? 2_000,
    closeTimeoutMs: o.closeTimeoutMs ?? 5_000,
    retryAfterSeconds: o.retryAfterSeconds ?? 2,
    instanceId: o.instanceId ?? randomUUID(),
    now: o.now ?? Date.now,
    onWarning: o.onWarning ?? (() => {}),
  }
  for (const name of ['maxPerKey', 'maxTotal', 'maxUnverified'] as const) {
    const v = r[name]
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new RangeError(`${name} must be a positive integer`)
  }
  return r
}

/** destroy() that never throws. */
export function destroyQuietly(
  resource: PooledResource,
  warn: (message: string, err: unknown) => void,
): void {
  try {
    resource.destroy()
  } catch (err) {
    warn('pool: destroy failed', err)
  }
}

/** close() (QUIT), cut short with destroy() when it fails or takes longer than `timeoutMs`. */
export async function closePolitely(
  resource: PooledResource,
  timeoutMs: number,
  warn: (message: string, err: unknown) => void,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs)
  })
  const closed = Promise.resolve()
    .then(() => resource.close())
    .then(
      () => false,
      (err: unknown) => {
        warn('pool: close failed', err)
        return true
      },
    )
  const mustDestroy = await Promise.race([closed, timedOut])
  clearTimeout(timer)
  if (mustDestroy) destroyQuietly(resource, warn)
}
