/**
 * The cluster-wide connection budget for one upstream, kept as leases in the store. Each pooled
 * resource holds one lease (holder = instance id + resource serial) from before it connects until
 * after it has closed, so the upstream never sees more connections than the budget. Leases are
 * renewed while held; a dead instance stops renewing and its leases expire after the TTL.
 */
import type { Store } from '../store/store.js'
import type { StoreErrorPolicy } from './types.js'

/** The store key of an upstream's budget. */
export function budgetKey(upstreamId: string): string {
  return `pool:budget:${upstreamId}`
}

/** The lease holder id of one resource. */
export function holderId(instanceId: string, serial: number): string {
  return `${instanceId}:${serial}`
}

/** Settings of a ClusterBudget. */
export interface ClusterBudgetOptions {
  store: Store
  upstreamId: string
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
  private renewTimer: NodeJS.Timeout | undefined
  private renewing = false
  private stopped = false

  constructor(options: ClusterBudgetOptions) {
    this.opts = options
    this.key = budgetKey(options.upstreamId)
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
    try {
      ok = await this.bounded(
        store.acquireLease(this.key, holderId(instanceId, serial), maxTotal, leaseTtlMs),
      )
    } catch (err) {
      this.opts.onWarning('pool: store failed while taking a lease', err)
      if (this.opts.onStoreError === 'closed') return false
      // Failing open: a lease taken blind. Renewal finds it missing and re-acquires it later.
      ok = this.held.size < maxTotal
    }
    if (!ok) return false
    if (this.stopped || this.held.size >= maxTotal) {
      // Stopped meanwhile, or another acquire won the last local slot during the await.
      await this.releaseInStore(serial)
      return false
    }
    this.held.add(serial)
    this.startRenewal()
    return true
  }

  /** Gives a lease back. Store errors are swallowed: the lease then expires by itself. */
  async release(serial: number): Promise<void> {
    if (!this.held.delete(serial)) return
    if (this.held.size === 0) this.stopRenewal()
    await this.releaseInStore(serial)
  }

  /** Stops renewing (leases then expire in the store after their TTL). */
  stop(): void {
    this.stopped = true
    this.stopRenewal()
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
            if (await this.bounded(store.renewLease(this.key, holder, leaseTtlMs))) return
            // Expired (a store outage longer than the TTL, or taken blind): take it again if there is room.
            const again = await this.bounded(store.acquireLease(this.key, holder, maxTotal, leaseTtlMs))
            if (!this.held.has(serial)) {
              // Released while we were asking: do not leave a stray lease behind.
              if (again) await this.releaseInStore(serial)
              return
            }
            if (!again) this.opts.onLost(serial)
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
    const every = Math.max(10, Math.floor(this.opts.leaseTtlMs / 3))
    this.renewTimer = setInterval(() => void this.renewAll(), every)
    // Renewal alone must not keep the process alive.
    this.renewTimer.unref()
  }

  private stopRenewal(): void {
    if (this.renewTimer) clearInterval(this.renewTimer)
    this.renewTimer = undefined
  }
}
