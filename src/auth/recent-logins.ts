/**
 * Credentials that logged in successfully from an address, remembered in process for a minute, so
 * a client that sends Basic credentials with every request (WebDAV) does not pay the failed-login
 * reservation (eight store commands in two round trips) each time: a known login only checks that
 * its address is not over a limit (one MGET) and is then verified as usual (pool, htpasswd cache).
 * Entries are keyed by the address and the credentials' pool key (the user and a keyed hash of the
 * password, made once per request by identityOf); nothing here is a credential.
 *
 * Not an oracle: the address-and-user limit is still checked first, so a client that is refused
 * there cannot learn from this memory whether a guess is the remembered password.
 */
import type { Identity } from '../files/types.js'

const MAX_ENTRIES = 10_000

/** Recently successful (address, user, password) triples. */
export class RecentLogins {
  private readonly entries = new Map<string, number>()

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** The opaque key of a login; pass it to `has`, `remember` and `forget`. */
  keyOf(address: string, credentials: Pick<Identity, 'key'>): string {
    return `${address}\0${credentials.key}`
  }

  /** Whether this login succeeded within the TTL. */
  has(key: string): boolean {
    const until = this.entries.get(key)
    if (until === undefined) return false
    if (until > this.now()) return true
    this.entries.delete(key)
    return false
  }

  /** Remembers a successful login (refreshing its TTL). */
  remember(key: string): void {
    const now = this.now()
    if (this.entries.size >= MAX_ENTRIES && !this.entries.has(key)) this.prune(now)
    this.entries.delete(key)
    this.entries.set(key, now + this.ttlMs)
  }

  /** Forgets a login that no longer verifies. */
  forget(key: string): void {
    this.entries.delete(key)
  }

  private prune(now: number): void {
    for (const [key, until] of this.entries) if (until <= now) this.entries.delete(key)
    // Still full of live entries: drop the oldest (Map order is insertion order).
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
  }
}
