/**
 * Failed-login limits per client address and user, counted in the shared Store so every instance
 * behind the load balancer sees the same counts. Windows are fixed and aligned to the clock
 * (`floor(now / window)` is part of the key): the count is one INCR with a TTL, and the time left
 * in the window, which becomes Retry-After, is known without asking the store for a key's TTL.
 */
import { createHash } from 'node:crypto'
import type { Store } from '../store/store.js'
import { AuthError } from './errors.js'

/** Options of LoginRateLimiter. */
export interface LoginRateLimiterOptions {
  store: Store
  /** Failed logins allowed per address and user within one window. */
  limit: number
  windowMs: number
  now?: () => number
}

/** Counts failed logins and refuses further attempts once the limit is reached. */
export class LoginRateLimiter {
  private readonly store: Store
  private readonly limit: number
  private readonly windowMs: number
  private readonly now: () => number

  constructor(options: LoginRateLimiterOptions) {
    this.store = options.store
    this.limit = options.limit
    this.windowMs = options.windowMs
    this.now = options.now ?? Date.now
  }

  /**
   * Throws AUTH_ERR_RATE_LIMITED when `address` has used up its failures for `user`; called before
   * the credentials are tried, so a locked-out client causes no FTP login or bcrypt work.
   * Returns the failures counted so far in this window.
   */
  async check(address: string, user: string): Promise<number> {
    const { key, endsAt } = this.slot(address, user)
    const raw = await this.store.get(key)
    const failures = raw === null ? 0 : Number.parseInt(raw, 10) || 0
    if (failures >= this.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((endsAt - this.now()) / 1000))
      throw new AuthError('AUTH_ERR_RATE_LIMITED', 'too many failed logins; try again later', {
        retryAfterSeconds,
      })
    }
    return failures
  }

  /** Counts one failed login; returns the failures in this window. */
  async failed(address: string, user: string): Promise<number> {
    const { key, endsAt } = this.slot(address, user)
    return this.store.incr(key, 1, Math.max(1, endsAt - this.now()))
  }

  /**
   * Clears this address's failures for `user` after a success. `failures` is what `check` returned,
   * so the common case (no failures) costs no store write. Other addresses keep their counts.
   */
  async succeeded(address: string, user: string, failures: number): Promise<void> {
    if (failures > 0) await this.store.del(this.slot(address, user).key)
  }

  private slot(address: string, user: string): { key: string; endsAt: number } {
    const window = Math.floor(this.now() / this.windowMs)
    // Hashed so user names (and whatever a client typed as one) never show up as store keys.
    const who = createHash('sha256').update(`${address}\0${user}`, 'utf8').digest('hex')
    return { key: `login-fail:${who}:${window}`, endsAt: (window + 1) * this.windowMs }
  }
}
