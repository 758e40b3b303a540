/**
 * The cluster-wide connection budget for one upstream, kept as leases in the store. Each pooled
 * resource holds one lease (holder = instance id + resource serial) from before it connects until
 * after it has closed, so the upstream never sees more connections than the budget. Leases are
 * renewed while held; a dead instance stops renewing and its leases expire after the TTL.
 *
 * Why the witnesses and the grace period: when Redis loses the leases (FLUSHALL, a restart without
 * persistence) every instance still holds its connections, but the store counts none of them, so
 * new leases would be granted on top of them until the next renewal put them back: more upstream
 * connections than the budget. A store call from an instance that holds leases names a few of
 * them; one missing means the budget was lost, and the store then admits no new holder for a grace
 * period long enough for every instance to renew (reclaim) what it holds.
 */
import type { LeaseOptions, Store } from '../store/store.js'
import type { StoreErrorPolicy } from './types.js'

/** The store key of an upstream's budget. */
export function budgetKey(upstreamId: string): string {
  return `pool:budget:${upstreamId}`
}

/** The store key of an upstream's budget for logins of unverified keys (FTP_POOL_MAX_UNVERIFIED). */
export function unverifiedBudgetKey(upstreamId: string): string {
  return `pool:unverified:${upstreamId}`
}

/** The lease holder id of one resource. */
export function holderId(instanceId: string, serial: number): string {
  return `${instanceId}:${serial}`
}

/** Settings of a ClusterBudget. */
export interface ClusterBudgetOptions {
  store: Store
  upstreamId: string
  /** The store key of the leases; default budgetKey(upstreamId). */
  key?: string
  instanceId: string
  maxTotal: number
  leaseTtlMs: number
  /** Store calls taking longer than this count as failed (a hung store must not hang the pool). */
  storeTimeoutMs: number
  onStoreError: StoreErrorPolicy
  /** Called when a lease could not be kept (expired and the budget is now full). */
  onLost: (serial: number) => void
  onWarning: (message: string, err: unknown) => void
}

/** Leases held by this instance, with their renewal. */
export class ClusterBudget {
  readonly key: string
  private readonly opts: ClusterBudgetOptions
  /** Serials whose lease this instance believes it holds (taken from the store or, failing open, blind). */
  private readonly held = new Set<number>()
  /** Held serials the store last confirmed (not blind, not lost): the ones fit to be witnesses. */
  private readonly confirmed = new Set<number>()
  /** Renewal period: at most a second, so that a lost budget is reclaimed within the grace period. */
  private readonly renewEveryMs: number
  /** How long a lost budget admits no new holder: two renewal rounds plus a slow store answer. */
  private readonly graceMs: number
  private renewTimer: NodeJS.Timeout | undefined
  private renewing = false
  private stopped = false

  constructor(options: ClusterBudgetOptions) {
    this.opts = options
    this.key = options.key ?? budgetKey(options.upstreamId)
    this.renewEveryMs = Math.max(10, Math.min(Math.floor(options.leaseTtlMs / 3), 1000))
    this.graceMs = 2 * this.renewEveryMs + options.storeTimeoutMs
  }

  /** Leases held locally. */
  get size(): number {
    return this.held.size
  }

  /** Takes a lease for `serial`; false when the budget is full. */
  async acquire(serial: number): Promise<boolean> {
    const { store, instanceId, maxTotal, leaseTtlMs } = this.opts
    // The local cap also holds when the store works: it keeps one instance within maxTotal even
    // while its blind (fail-open) leases are not yet visible in the store.
    if (this.held.size >= maxTotal) return false
    let ok: boolean
    let blind = false
    try {
      const witnesses = [...this.confirmed].slice(0, 8).map((s) => holderId(instanceId, s))
      const options: LeaseOptions = { graceMs: this.graceMs, witnesses }
      ok = await this.bounded(
        store.acquireLease(this.key, holderId(instanceId, serial), maxTotal, leaseTtlMs, options),
      )
    } catch (err) {
      this.opts.onWarning('pool: store failed while taking a lease', err)
      if (this.opts.onStoreError === 'closed') return false
      // Failing open: a lease taken blind. Renewal finds it missing and re-acquires it later.
      ok = this.held.size < maxTotal
      blind = true
    }
    if (!ok) return false
    if (this.stopped || this.held.size >= maxTotal) {
      // Stopped meanwhile, or another acquire won the last local slot during the await.
      await this.releaseInStore(serial)
      return false
    }
    this.held.add(serial)
    if (!blind) this.confirmed.add(serial)
    this.startRenewal()
    return true
  }

  /** Gives a lease back. Store errors are swallowed: the lease then expires by itself. */
  async release(serial: number): Promise<void> {
    if (!this.held.delete(serial)) return
    this.confirmed.delete(serial)
    if (this.held.size === 0) this.stopRenewal()
    await this.releaseInStore(serial)
  }

  /** Stops renewing (leases then expire in the store after their TTL). */
  stop(): void {
    this.stopped = true
    this.stopRenewal()
  }

  /**
   * Whether the budget is used up (taken as yes when the store does not answer). A refusal while
   * it is not comes from a lost budget's grace period, which other instances closing idle
   * sessions would not shorten.
   */
  async full(): Promise<boolean> {
    try {
      return (await this.bounded(this.opts.store.countLeases(this.key))) >= this.opts.maxTotal
    } catch {
      return true
    }
  }

  /** Renews every held lease once; re-acquires expired ones and reports those it cannot keep. */
  async renewAll(): Promise<void> {
    if (this.renewing) return
    this.renewing = true
    try {
      const { store, instanceId, maxTotal, leaseTtlMs } = this.opts
      await Promise.all(
        [...this.held].map(async (serial) => {
          const holder = holderId(instanceId, serial)
          try {
            if (await this.bounded(store.renewLease(this.key, holder, leaseTtlMs))) {
              if (this.held.has(serial)) this.confirmed.add(serial)
              return
            }
            // Gone (the budget was lost, a store outage longer than the TTL, or taken blind): take
            // it again if there is room, before the grace period lets anyone new in.
            const reclaim: LeaseOptions = { graceMs: this.graceMs, reclaim: true }
            const again = await this.bounded(
              store.acquireLease(this.key, holder, maxTotal, leaseTtlMs, reclaim),
            )
            if (!this.held.has(serial)) {
              // Released while we were asking: do not leave a stray lease behind.
              if (again) await this.releaseInStore(serial)
              return
            }
            if (again) this.confirmed.add(serial)
            else {
              this.confirmed.delete(serial)
              this.opts.onLost(serial)
            }
          } catch (err) {
            // Keep the resource: the store may come back before the lease expires.
            this.opts.onWarning('pool: store failed while renewing a lease', err)
          }
        }),
      )
    } finally {
      this.renewing = false
    }
  }

  private async releaseInStore(serial: number): Promise<void> {
    try {
      await this.bounded(this.opts.store.releaseLease(this.key, holderId(this.opts.instanceId, serial)))
    } catch (err) {
      this.opts.onWarning('pool: store failed while releasing a lease', err)
    }
  }

  /** Rejects when the store does not answer within storeTimeoutMs. */
  private async bounded<T>(op: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('store did not answer in time')), this.opts.storeTimeoutMs)
    })
    try {
      return await Promise.race([op, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private startRenewal(): void {
    if (this.renewTimer || this.stopped) return
    this.renewTimer = setInterval(() => void this.renewAll(), this.renewEveryMs)
    // Renewal alone must not keep the process alive.
    this.renewTimer.unref()
  }

  private stopRenewal(): void {
    if (this.renewTimer) clearInterval(this.renewTimer)
    this.renewTimer = undefined
  }
}
