/**
 * Keys whose waiters wait for cluster budget. Budget freed on another instance cannot be observed
 * here, so blocked keys probe again on a timer (100–250 ms), a few at a time, and the other
 * instances are told (at most every 250 ms) so that they give back an idle session.
 */

/** What BudgetWaits needs from its pool. */
export interface BudgetWaitsDeps {
  /** Lets `key` try once more for a lease (one create at most). */
  probe: (key: string) => void
  /** Tells the other instances this one waits (only when the budget is really full). */
  announce: () => Promise<void>
  /** The pool is closed: no more timers. */
  closed: () => boolean
}

/** The budget-blocked keys of one pool, oldest first. */
export class BudgetWaits {
  readonly #deps: BudgetWaitsDeps
  readonly #blocked = new Set<string>()
  #retryTimer: NodeJS.Timeout | undefined
  #lastAnnouncedAt = 0

  constructor(deps: BudgetWaitsDeps) {
    this.#deps = deps
  }

  /** `key` found no budget and still has waiters: retry later, and say so to the others. */
  block(key: string): void {
    this.#blocked.add(key)
    this.#armRetry()
    const now = Date.now()
    if (now - this.#lastAnnouncedAt < 250) return
    this.#lastAnnouncedAt = now
    void this.#deps.announce().catch(() => undefined)
  }

  /** `key` is trying for a lease now. */
  unblock(key: string): void {
    this.#blocked.delete(key)
  }

  /** Lets up to `keys` blocked keys probe for a lease, oldest first (a failed probe goes to the back). */
  wake(keys: number): void {
    for (const key of [...this.#blocked].slice(0, keys)) {
      this.#blocked.delete(key)
      this.#deps.probe(key)
    }
    if (this.#blocked.size > 0) this.#armRetry()
  }

  /** Forgets every blocked key and stops the timer (drain). */
  clear(): void {
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    this.#blocked.clear()
  }

  #armRetry(): void {
    if (this.#retryTimer || this.#deps.closed()) return
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = undefined
        this.wake(4)
      },
      100 + Math.random() * 150,
    )
    this.#retryTimer.unref()
  }
}
