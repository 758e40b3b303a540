/**
 * What the pool remembers about logins per key: when the credentials behind a key were last
 * accepted by the server. Two decisions rest on it:
 * - re-verification: a pooled session proves only that the credentials were good when it logged
 *   in. Once the key's last login is older than `reverifyMs`, its sessions are not handed out
 *   until a fresh login with the same credentials succeeds (a changed password then stops working
 *   within `reverifyMs`, not after the sessions' 30-minute lifetime);
 * - the unverified budget: a key with no live session and no login remembered is "unverified", and
 *   its logins are bounded separately so that guesses cannot take the sessions real users need.
 */

/** Settings of LoginRecord. */
export interface LoginRecordOptions {
  /** After this long since the last login, sessions of the key need a fresh login before reuse. */
  reverifyMs: number
  /** A success is remembered (the key counts as known, not unverified) this long. */
  rememberMs: number
  /** Keys remembered at most (the oldest are forgotten first): bounded memory. */
  maxKeys: number
  now: () => number
}

/** Last successful login per key. */
export class LoginRecord {
  readonly #opts: LoginRecordOptions
  /** Insertion order is login order: the first entries are the oldest. */
  readonly #at = new Map<string, number>()

  constructor(options: LoginRecordOptions) {
    this.#opts = options
  }

  /** The server accepted a login for `key` just now. */
  succeeded(key: string): void {
    this.#at.delete(key)
    this.#at.set(key, this.#opts.now())
    if (this.#at.size > this.#opts.maxKeys) {
      const oldest = this.#at.keys().next().value
      if (oldest !== undefined) this.#at.delete(oldest)
    }
  }

  /** Logged in within reverifyMs: sessions of the key may be handed out without a new login. */
  fresh(key: string): boolean {
    const at = this.#at.get(key)
    return at !== undefined && this.#opts.now() - at < this.#opts.reverifyMs
  }

  /** Logged in within rememberMs: a login for the key is not a guess. */
  known(key: string): boolean {
    const at = this.#at.get(key)
    return at !== undefined && this.#opts.now() - at < this.#opts.rememberMs
  }

  /** Forgets the keys `drop` selects (refused credentials, an admin's drop). */
  forget(drop: (key: string) => boolean): void {
    for (const key of [...this.#at.keys()]) if (drop(key)) this.#at.delete(key)
  }

  /** Forgets what is older than rememberMs. */
  prune(): void {
    const cutoff = this.#opts.now() - this.#opts.rememberMs
    for (const [key, at] of this.#at) {
      if (at > cutoff) break
      this.#at.delete(key)
    }
  }
}
