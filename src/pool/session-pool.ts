/**
 * SessionPool: long-lived resources (FTP control sessions) keyed by upstream identity, handed out
 * one request at a time. A resource exists only after `create` succeeded (for FTP: after the server
 * accepted the login), so requests with the same credentials reuse verified sessions.
 *
 * Every resource holds a per-key slot and a cluster lease (ClusterBudget) from before `create` is
 * called until after it has closed; that is what keeps the upstream within FTP_POOL_MAX_TOTAL.
 * A create for a key whose credentials are not known to work (logins.ts) also holds an
 * unverified lease until its login is answered, so guesses take at most FTP_POOL_MAX_UNVERIFIED
 * of the budget. A key's sessions are reused only while its last login is younger than
 * reverifyMs; a refused login drops all of them.
 * Every resource is always in exactly one place: being created, idle, busy (checked out), being
 * checked, or being closed (lease released once closed).
 */
import { ClusterBudget, unverifiedBudgetKey } from './budget.js'
import { BudgetWaits } from './budget-waits.js'
import { PoolChannels } from './channels.js'
import { observeAcquire } from './diagnostics.js'
import { PoolAbortedError, PoolClosedError, PoolExhaustedError } from './errors.js'
import {
  closePolitely,
  collectStats,
  destroyQuietly,
  type Entry,
  inUse,
  type KeyState,
  leastRecentIdle,
  liveCount,
  loggedIn,
  newKeyState,
  type ResolvedOptions,
  resolveOptions,
  type Waiter,
} from './internal.js'
import { LoginRecord } from './logins.js'
import type { Checkout, PooledResource, PoolStats, SessionPoolOptions } from './types.js'

type Outcome = { error?: unknown; discard?: boolean }

/** A keyed pool of resources within a per-key and a cluster-wide limit. */
export class SessionPool<R extends PooledResource> {
  private readonly opts: ResolvedOptions<R>
  private readonly warn: (message: string, err: unknown) => void
  private readonly budget: ClusterBudget
  /** Leases of creates for unverified keys; undefined without maxUnverified. */
  private readonly unverifiedBudget: ClusterBudget | undefined
  private readonly logins: LoginRecord
  private readonly keys = new Map<string, KeyState<R>>()
  /** Live entries by serial, for lease-loss reports. */
  private readonly entries = new Map<number, Entry<R>>()
  /** Serials whose lease was lost while still being created. */
  private readonly lostWhileCreating = new Set<number>()
  /** Keys whose waiters wait for cluster budget (only a timer can tell when another instance frees some). */
  private readonly waits: BudgetWaits
  /** Creates and closes under way; drain waits for them. */
  private readonly inflight = new Set<Promise<void>>()
  private readonly createAbort = new AbortController()
  private readonly sweepTimer: NodeJS.Timeout
  private readonly channels: PoolChannels
  private serial = 0
  private waiting = 0
  private created = 0
  private evicted = 0
  private failedCreates = 0
  private unverifiedRefused = 0
  private closed = false
  private drainPromise: Promise<void> | undefined
  private onQuiet: (() => void) | undefined

  constructor(options: SessionPoolOptions<R>) {
    this.opts = resolveOptions(options)
    this.warn = this.opts.onWarning
    const budgetOptions = {
      store: options.store,
      upstreamId: options.upstreamId,
      instanceId: this.opts.instanceId,
      leaseTtlMs: this.opts.leaseTtlMs,
      storeTimeoutMs: this.opts.storeTimeoutMs,
      onStoreError: this.opts.onStoreError,
      onWarning: this.warn,
    }
    this.budget = new ClusterBudget({
      ...budgetOptions,
      maxTotal: this.opts.maxTotal,
      onLost: (serial) => this.leaseLost(serial),
    })
    const maxUnverified = this.opts.maxUnverified
    this.unverifiedBudget =
      maxUnverified === undefined
        ? undefined
        : new ClusterBudget({
            ...budgetOptions,
            key: unverifiedBudgetKey(options.upstreamId),
            maxTotal: maxUnverified,
            // A login takes seconds at most: one that outlives its lease just ends.
            onLost: () => undefined,
          })
    // Remembered an hour, far longer than re-verification: the budget only needs to tell real
    // users (whose key once worked) from guesses, and a key cannot be made without the password.
    this.logins = new LoginRecord({
      reverifyMs: this.opts.reverifyMs,
      rememberMs: Math.max(this.opts.reverifyMs, 60 * 60_000),
      maxKeys: 100_000,
      now: this.opts.now,
    })
    // Sweep often enough that idle and lifetime limits overshoot by at most a quarter.
    const every = Math.min(
      15_000,
      Math.max(10, Math.min(this.opts.idleTimeoutMs, this.opts.maxLifetimeMs) / 4),
    )
    this.sweepTimer = setInterval(() => this.sweep(), every)
    this.sweepTimer.unref()
    // Budget held by idle sessions on another instance is invisible here: instances that wait for
    // budget say so, and the others give back their least recently used idle session.
    this.waits = new BudgetWaits({
      probe: (key) => this.dispatch(key, 1),
      closed: () => this.closed,
      // Only when the budget is full: during a lost budget's grace period every instance is refused,
      // and each closing idle sessions for the others would empty every pool for nothing.
      announce: async () => {
        if (await this.budget.full()) await this.channels.publishWanted(this.opts.instanceId)
      },
    })
    this.channels = new PoolChannels(options.store, options.upstreamId, {
      wanted: (from) => this.budgetWanted(from),
      evict: (group) => this.evictGroupHere(group),
      onWarning: this.warn,
    })
  }

  /** Another instance waits for cluster budget: close one idle session here, if there is one. */
  private budgetWanted(from: string): void {
    if (from === this.opts.instanceId || this.closed) return
    const victim = leastRecentIdle(this.keys, '')
    if (!victim) return
    void this.retire(victim, 'close')
  }

  /** Checks out a resource for `key`, waiting (FIFO) up to acquireTimeoutMs for one. */
  acquire(key: string, options: { signal?: AbortSignal } = {}): Promise<Checkout<R>> {
    return observeAcquire(this.opts.upstreamId, this.checkout(key, options))
  }

  private checkout(key: string, options: { signal?: AbortSignal }): Promise<Checkout<R>> {
    const { signal } = options
    if (this.closed) return Promise.reject(new PoolClosedError())
    if (signal?.aborted) return Promise.reject(new PoolAbortedError(signal.reason))
    const ks = this.keyState(key)
    if (ks.failure) {
      if (ks.failure.until > this.opts.now()) return Promise.reject(ks.failure.error)
      ks.failure = undefined
    }
    const servableNow = ks.waiters.length === 0 && ks.idle.length > 0
    if (this.waiting >= this.opts.maxWaiting && !servableNow) {
      return Promise.reject(new PoolExhaustedError('queue-full', this.opts.retryAfterSeconds))
    }
    return new Promise<Checkout<R>>((resolve, reject) => {
      const w: Waiter<R> = { key, resolve, reject }
      ks.waiters.push(w)
      this.waiting++
      w.timer = setTimeout(() => {
        if (this.removeWaiter(w)) reject(new PoolExhaustedError('timeout', this.opts.retryAfterSeconds))
      }, this.opts.acquireTimeoutMs)
      if (signal) {
        w.signal = signal
        w.onAbort = () => {
          if (this.removeWaiter(w)) reject(new PoolAbortedError(signal.reason))
        }
        signal.addEventListener('abort', w.onAbort, { once: true })
      }
      this.dispatch(key)
    })
  }

  /** acquire + fn + release (release with the error when fn throws). */
  async use<T>(key: string, fn: (resource: R) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T> {
    const checkout = await this.acquire(key, options)
    let result: T
    try {
      result = await fn(checkout.resource)
    } catch (err) {
      checkout.release({ error: err })
      throw err
    }
    checkout.release()
    return result
  }

  /** Current counts, for metrics. */
  stats(): PoolStats {
    const { created, evicted, failedCreates, unverifiedRefused } = this
    const unverified = this.unverifiedBudget?.size ?? 0
    return collectStats(this.keys, { created, evicted, failedCreates, unverified, unverifiedRefused })
  }

  /**
   * Runs `fn`, which opens a connection outside the pool (a readiness probe), under one lease of
   * the cluster budget, so that connection counts like a session; resolves undefined without
   * running it when the budget is full or the pool closed.
   */
  async withLease<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const serial = ++this.serial
    if (this.closed || !(await this.budget.acquire(serial))) return undefined
    try {
      return await fn()
    } finally {
      await this.budget.release(serial)
      this.lostWhileCreating.delete(serial)
    }
  }

  /**
   * Whether `key` logged in successfully within reverifyMs and was not refused since: its
   * credentials need no new login now (verifyLogin then costs no session).
   */
  verified(key: string): boolean {
    const failure = this.keys.get(key)?.failure
    return this.logins.fresh(key) && !(failure && failure.until > this.opts.now())
  }

  /**
   * Drops every session of `group` (groupOf) on every instance: idle ones close now, busy ones when
   * released, and the next acquire logs in afresh. Resolves once the other instances were told.
   */
  async evictGroup(group: string): Promise<void> {
    this.evictGroupHere(group)
    await this.channels.publishEvict(group)
  }

  private evictGroupHere(group: string): void {
    const inGroup = (key: string) => this.opts.groupOf(key) === group
    this.logins.forget(inGroup)
    for (const [key, ks] of this.keys) if (inGroup(key)) this.dropKey(ks)
  }

  /** Sessions of the key are not reused: idle ones close now, busy ones when released. */
  private dropKey(ks: KeyState<R>): void {
    ks.generation++
    for (const e of [...ks.idle]) void this.retire(e, 'close')
  }

  /**
   * Stops new checkouts, waits for busy resources up to graceMs, then closes everything (QUIT) and
   * releases all leases. Resources still busy after the grace period are destroyed: a QUIT cannot
   * be sent in the middle of their transfer.
   */
  drain(graceMs: number): Promise<void> {
    this.drainPromise ??= this.doDrain(graceMs)
    return this.drainPromise
  }

  /** Closes idle resources for a key (e.g. after its credentials changed); busy ones retire on release. */
  async evictKey(key: string): Promise<void> {
    const ks = this.keys.get(key)
    if (!ks) return
    ks.generation++
    ks.failure = undefined
    await Promise.all([...ks.idle].map((e) => this.retire(e, 'close')))
  }

  private async doDrain(graceMs: number): Promise<void> {
    this.closed = true
    clearInterval(this.sweepTimer)
    this.waits.clear()
    this.createAbort.abort(new PoolClosedError())
    for (const ks of this.keys.values()) {
      for (const w of [...ks.waiters]) if (this.removeWaiter(w)) w.reject(new PoolClosedError())
      for (const e of [...ks.idle]) void this.retire(e, 'close')
    }
    if (inUse(this.keys) > 0) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.onQuiet = resolve
        timer = setTimeout(resolve, graceMs)
      })
      clearTimeout(timer)
      this.onQuiet = undefined
    }
    for (const ks of this.keys.values()) {
      for (const e of [...ks.busy, ...ks.checking]) void this.retire(e, 'destroy')
    }
    // Creates finishing now are closed at once; loop until nothing new was started.
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
    this.budget.stop()
    this.unverifiedBudget?.stop()
    await this.channels.close()
  }

  /**
   * Serves waiters of `key` from idle resources, then starts up to `maxCreates` creates for those
   * left (1 when probing for cluster budget, so a full cluster is not hammered with lease calls).
   */
  private dispatch(key: string, maxCreates = Number.POSITIVE_INFINITY): void {
    const ks = this.keys.get(key)
    if (!ks || this.closed) return
    // Its last login is too old: nothing is handed out until a fresh login with the same
    // credentials succeeds (one create, below).
    const reverify = loggedIn(ks) > 0 && !this.logins.fresh(key)
    while (ks.waiters.length > 0 && !reverify) {
      const entry = ks.idle.pop()
      if (!entry) break
      // Broken, too old or lease lost: close it and look at the next one.
      const retireHow = this.retirement(entry, ks)
      if (retireHow) void this.retire(entry, retireHow)
      else if (entry.needsCheck || this.opts.now() - entry.lastUsedAt > this.opts.checkAfterIdleMs)
        this.startCheck(entry, ks)
      else this.handOut(entry, ks)
    }
    // Credentials to be verified (re-verification, or a key that never logged in): one login at
    // a time, so a burst of requests with a wrong password costs one refused login, not maxPerKey.
    const oneAtATime = reverify || loggedIn(ks) === 0
    if (oneAtATime && ks.creating > 0) return
    if (reverify && ks.waiters.length > 0 && liveCount(ks) >= this.opts.maxPerKey) {
      // No slot for the login: give one back (the least recently used idle session; its close
      // dispatches again). With every session busy, the next release comes back here.
      const oldest = ks.idle[0]
      if (oldest && ks.closing === 0) void this.retire(oldest, 'close')
      return
    }
    // Resources being created or checked will serve the head of the queue; start more only for the rest.
    const creates = oneAtATime ? Math.min(1, maxCreates) : maxCreates
    for (let n = 0; n < creates; n++) {
      const pending = reverify ? ks.creating : ks.creating + ks.checking.size
      if (ks.waiters.length <= pending || liveCount(ks) >= this.opts.maxPerKey) break
      this.track(this.createOne(key, ks))
    }
  }

  private handOut(entry: Entry<R>, ks: KeyState<R>): void {
    const w = ks.waiters[0]!
    this.removeWaiter(w)
    ks.busy.add(entry)
    let released = false
    w.resolve({
      resource: entry.resource,
      release: (outcome) => {
        if (released) return
        released = true
        this.release(entry, ks, outcome)
      },
    })
  }

  private release(entry: Entry<R>, ks: KeyState<R>, outcome: Outcome = {}): void {
    // Gone: destroyed after the drain grace period; nothing left to give back.
    if (entry.gone) return
    ks.busy.delete(entry)
    entry.lastUsedAt = this.opts.now()
    if (outcome.error !== undefined && this.opts.needsCheckAfter(outcome.error)) entry.needsCheck = true
    const retireHow = this.retirement(entry, ks) ?? (outcome.discard || this.closed ? 'close' : undefined)
    if (retireHow) void this.retire(entry, retireHow)
    else {
      ks.idle.push(entry)
      this.dispatch(entry.key)
    }
    this.checkQuiet()
  }

  /** Whether (and how) an entry must leave the pool instead of being reused. */
  private retirement(entry: Entry<R>, ks: KeyState<R>): 'close' | 'destroy' | undefined {
    if (!entry.resource.usable) return 'destroy'
    const old = this.opts.now() - entry.createdAt >= this.opts.maxLifetimeMs
    return old || entry.leaseLost || entry.generation < ks.generation ? 'close' : undefined
  }

  private startCheck(entry: Entry<R>, ks: KeyState<R>): void {
    ks.checking.add(entry)
    Promise.resolve()
      .then(() => entry.resource.check())
      .then(
        () => {
          if (entry.gone) return
          ks.checking.delete(entry)
          entry.needsCheck = false
          entry.lastUsedAt = this.opts.now()
          if (this.closed) void this.retire(entry, 'close')
          else {
            ks.idle.push(entry)
            this.dispatch(entry.key)
          }
          this.checkQuiet()
        },
        (err: unknown) => {
          this.warn('pool: health check failed, session discarded', err)
          void this.retire(entry, 'destroy')
          this.checkQuiet()
        },
      )
  }

  /**
   * Takes an unverified lease when the key's credentials are not known to work, then creates;
   * the unverified lease is given back once the login is answered.
   */
  private async createOne(key: string, ks: KeyState<R>): Promise<void> {
    const serial = ++this.serial
    const unverified = this.unverifiedBudget !== undefined && loggedIn(ks) === 0 && !this.logins.known(key)
    if (!unverified) return this.createLeased(key, ks, serial)
    ks.creating++
    const admitted = await this.unverifiedBudget.acquire(serial)
    ks.creating--
    if (!admitted) {
      // Refused at once rather than queued: waiting would hold the client's request (and its
      // connection) for nothing while guesses keep the budget full.
      this.unverifiedRefused++
      const err = new PoolExhaustedError('unverified', this.opts.retryAfterSeconds)
      for (const w of [...ks.waiters]) if (this.removeWaiter(w)) w.reject(err)
      return
    }
    try {
      await this.createLeased(key, ks, serial)
    } finally {
      await this.unverifiedBudget.release(serial)
    }
  }

  /** Takes a lease (stealing an idle resource of another key if needed), then creates. */
  private async createLeased(key: string, ks: KeyState<R>, serial: number): Promise<void> {
    ks.creating++
    this.waits.unblock(key)
    const generation = ks.generation
    let leased = await this.budget.acquire(serial)
    if (!leased && !this.closed) {
      // Being re-verified, the key's own idle sessions cannot serve anyone until the login is done:
      // the oldest may make room for it when no other key has one to give.
      const ownIdle = loggedIn(ks) > 0 && !this.logins.fresh(key) ? ks.idle[0] : undefined
      const victim = leastRecentIdle(this.keys, key) ?? ownIdle
      if (victim) {
        await this.retire(victim, 'close', false)
        leased = await this.budget.acquire(serial)
      }
    }
    if (!leased || this.closed) {
      if (leased) await this.budget.release(serial)
      ks.creating--
      if (!this.closed && ks.waiters.length > 0) {
        this.waits.block(key)
      }
      return
    }
    // There was room: maybe more; let the next blocked key try (a chain, one probe at a time).
    this.waits.wake(1)
    let resource: R
    try {
      resource = await this.opts.create(key, this.createAbort.signal)
    } catch (err) {
      this.failedCreates++
      this.lostWhileCreating.delete(serial)
      await this.budget.release(serial)
      ks.creating--
      if (!this.closed) this.createFailed(key, ks, err)
      return
    }
    const now = this.opts.now()
    const entry: Entry<R> = {
      serial,
      key,
      resource,
      createdAt: now,
      generation,
      lastUsedAt: now,
      needsCheck: false,
      leaseLost: this.lostWhileCreating.delete(serial),
      gone: false,
    }
    this.created++
    this.logins.succeeded(key)
    this.entries.set(serial, entry)
    ks.creating--
    ks.idle.push(entry)
    if (this.closed) await this.retire(entry, 'close')
    else this.dispatch(key)
  }

  private createFailed(key: string, ks: KeyState<R>, err: unknown): void {
    if (this.opts.isCachedFailure(err)) {
      // A wrong password: every waiter would get the same answer, and new ones get it at once.
      ks.failure = { error: err, until: this.opts.now() + this.opts.failureCacheMs }
      for (const w of [...ks.waiters]) if (this.removeWaiter(w)) w.reject(err)
      // The credentials no longer work (a changed password): sessions logged in with them go too.
      this.logins.forget((k) => k === key)
      this.dropKey(ks)
    } else {
      // The head of the queue gets the error (an upstream outage surfaces fast); the next one gets a new try.
      const w = ks.waiters[0]
      if (w && this.removeWaiter(w)) w.reject(err)
    }
    this.dispatch(key)
    this.waits.wake(1)
  }

  /** Takes an entry out of the pool, closes it, then releases its slot and lease and wakes waiters. */
  private retire(entry: Entry<R>, how: 'close' | 'destroy', wake = true): Promise<void> {
    if (entry.gone) return Promise.resolve()
    entry.gone = true
    const ks = this.keys.get(entry.key)!
    const i = ks.idle.indexOf(entry)
    if (i >= 0) ks.idle.splice(i, 1)
    ks.busy.delete(entry)
    ks.checking.delete(entry)
    ks.closing++
    this.entries.delete(entry.serial)
    if (!this.closed) this.evicted++
    return this.track(
      (async () => {
        if (how === 'destroy') destroyQuietly(entry.resource, this.warn)
        else await closePolitely(entry.resource, this.opts.closeTimeoutMs, this.warn)
        // The slot and the lease are given back only once the connection is gone.
        await this.budget.release(entry.serial)
        ks.closing--
        if (wake) {
          this.dispatch(entry.key)
          this.waits.wake(1)
        }
        this.checkQuiet()
      })(),
    )
  }

  private leaseLost(serial: number): void {
    const entry = this.entries.get(serial)
    if (!entry) {
      this.lostWhileCreating.add(serial)
      return
    }
    entry.leaseLost = true
    if (this.keys.get(entry.key)?.idle.includes(entry)) void this.retire(entry, 'close')
  }

  private sweep(): void {
    const now = this.opts.now()
    this.logins.prune()
    for (const [key, ks] of this.keys) {
      if (ks.failure && ks.failure.until <= now) ks.failure = undefined
      for (const e of [...ks.idle]) {
        const how =
          this.retirement(e, ks) ?? (now - e.lastUsedAt >= this.opts.idleTimeoutMs ? 'close' : undefined)
        if (how) void this.retire(e, how)
      }
      if (liveCount(ks) === 0 && ks.waiters.length === 0 && !ks.failure) this.keys.delete(key)
    }
  }

  private keyState(key: string): KeyState<R> {
    let ks = this.keys.get(key)
    if (!ks) {
      ks = newKeyState()
      this.keys.set(key, ks)
    }
    return ks
  }

  private checkQuiet(): void {
    if (this.onQuiet && inUse(this.keys) === 0) this.onQuiet()
  }

  private removeWaiter(w: Waiter<R>): boolean {
    const ks = this.keys.get(w.key)
    const i = ks ? ks.waiters.indexOf(w) : -1
    if (!ks || i < 0) return false
    ks.waiters.splice(i, 1)
    this.waiting--
    clearTimeout(w.timer)
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort)
    return true
  }

  private track(p: Promise<void>): Promise<void> {
    const tracked = p.catch((err: unknown) => this.warn('pool: internal error', err))
    this.inflight.add(tracked)
    void tracked.finally(() => this.inflight.delete(tracked))
    return tracked
  }
}
