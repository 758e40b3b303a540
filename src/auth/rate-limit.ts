/**
 * Failed-login limits, counted in the shared Store so every instance behind the load balancer sees
 * the same counts. An attempt is reserved BEFORE the credentials are tried, with the store's atomic
 * lease operation (check and add in one step, a Lua script on Redis), so N concurrent wrong guesses
 * never get more than the limit past the check, as the old read-then-count scheme let them. A
 * failure keeps its reservation until the window ends; a success or an attempt that failed for the
 * gateway's own reasons (upstream down) gives it back.
 *
 * Reservations in flight are not failures: a client with more parallel requests than the limit
 * (rclone runs 12) is made to wait until earlier attempts settle, never refused for it. Refused is
 * only an attempt whose count of real failures has reached the limit.
 *
 * Four counts, in windows aligned to the clock (`floor(now / window)` is part of each key, so the
 * time left, which becomes Retry-After, is known without asking the store):
 * - address + user (LOGIN_FAIL_LIMIT): one client guessing one password;
 * - address (LOGIN_FAIL_LIMIT_PER_ADDRESS): one client spraying many user names;
 * - user (LOGIN_FAIL_LIMIT_PER_USER): many addresses guessing one password;
 * - global (LOGIN_FAIL_LIMIT_GLOBAL): the cluster's guessing in total, a ceiling for the FTP server.
 * The last two must not become a weapon (an attacker spending a user's or everyone's allowance to
 * lock the real users out), so they stop only addresses with a failure in the window. An address
 * without one gets one attempt at a time past them; once it logs in as that user it is trusted
 * for the user for the rest of the window. A distributed attacker thus gets one guess per fresh
 * address per window once those limits are reached, and the real user's password still works.
 *
 * Bans (bans.ts) grow out of the same counts: the failure that fills the address-and-user or the
 * address count bans the address, the one that fills the user's count bans the user name, and the
 * window's counts of that subject start afresh (the ban has taken over from them; reaching the
 * limit again after it is a repeat, and a longer ban). The records are read in the same round trip
 * as the failure counts, after the reservation: a ban written between a check and a reservation
 * cannot let one attempt past. A user ban keeps the rule above: it holds only addresses with a
 * failure in the window, and a fresh address still gets its one attempt at a time.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { Store } from '../store/store.js'
import { type Ban, type BanList, banIdOf, banKey } from './bans.js'

/** Options of LoginRateLimiter. Limits of 0 (or absent) are off, except `limit`. */
export interface LoginRateLimiterOptions {
  store: Store
  /** Failed logins allowed per address and user within one window. */
  limit: number
  /** Failed logins allowed per address across all user names. */
  perAddress?: number
  /** Failed logins allowed per user across all addresses (addresses without failures are exempt). */
  perUser?: number
  /** Failed logins allowed in the whole cluster (addresses without failures are exempt). */
  global?: number
  windowMs: number
  now?: () => number
  /** Waits between tries while earlier attempts are in flight (tests count instead of waiting). */
  sleep?: (ms: number) => Promise<void>
  /** How many times an attempt waits for earlier ones before it is refused (default 30, ~10 s). */
  maxWaits?: number
  /** The shared ban list the limits feed and honour (absent: no bans). */
  bans?: BanList
}

/** Which count refused an attempt (for logs). */
export type LoginLimitScope = 'address+user' | 'address' | 'user' | 'global'

/** A reserved attempt: hand it to `failed`, `succeeded` or `release`. */
export interface LoginAttempt {
  readonly id: string
  /** Lease keys this attempt holds. */
  readonly held: readonly string[]
  readonly keys: Readonly<Keys>
  /** Let past the per-user or global limit as an address without failures. */
  readonly exempted: boolean
  readonly ttlMs: number
  /** Who: the subjects a ban would name. */
  readonly address: string
  readonly user: string
}

/** An attempt refused by a limit. */
export interface LoginRefusal {
  scope: LoginLimitScope
  retryAfterSeconds: number
  /** The ban in force that refused it (then `retryAfterSeconds` is the time until it ends). */
  ban?: Ban
}

interface Keys {
  /** Leases: reservations (in flight and failed) of address + user, of address, of user, of all. */
  pair: string
  address: string
  user: string
  global: string
  /** Lease of limit 1: a fresh address tries one attempt at a time past the shared limits. */
  exemptSlot: string
  /** Counters of real failures (reservations minus those in flight). */
  pairFailed: string
  addressFailed: string
  /** Counter of real failures for the user across addresses (what a user ban grows out of). */
  userFailed: string
  /** Set when an exempt address logged in as this user. */
  good: string
  /** The ban records of the address and of the user (bans.ts). */
  addressBan: string
  userBan: string
  /** The subjects' hashes, for the bans' ids. */
  addressHash: string
  userHash: string
}

/** Why an attempt may pass the per-user and global limits: no failure yet, or logged in before. */
type Exemption = 'fresh' | 'good'

// Lease limits are safe integers; "no limit" still records the holder so the count stays true.
const UNLIMITED = Number.MAX_SAFE_INTEGER
const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Address-and-user pairs whose key hashes are remembered. */
const MAX_REMEMBERED_HASHES = 10_000

/** Reserves login attempts against the four counts and refuses those over a limit. */
export class LoginRateLimiter {
  private readonly store: Store
  private readonly limit: number
  private readonly perAddress: number
  private readonly perUser: number
  private readonly global: number
  private readonly windowMs: number
  private readonly now: () => number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly maxWaits: number
  private readonly bans: BanList | undefined
  private readonly hashes = new Map<string, { pair: string; addr: string; usr: string }>()

  constructor(options: LoginRateLimiterOptions) {
    this.store = options.store
    this.limit = options.limit
    this.perAddress = options.perAddress || UNLIMITED
    this.perUser = options.perUser || UNLIMITED
    this.global = options.global || UNLIMITED
    this.windowMs = options.windowMs
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? sleepFor
    this.maxWaits = options.maxWaits ?? 30
    this.bans = options.bans
  }

  /**
   * Reserves one attempt of `address` as `user`, or says which limit refuses it. Called before the
   * credentials are tried, so a refused client causes no FTP login or bcrypt work. Store errors
   * propagate (the caller decides to fail open) with nothing left reserved.
   */
  async reserve(address: string, user: string): Promise<LoginAttempt | LoginRefusal> {
    let exempt: Exemption | undefined
    // The shared limit an exempt attempt is let past; the exempt slot reports refusals as it.
    let exemptFrom: LoginLimitScope = 'user'
    for (let waits = 0; ; waits++) {
      const now = this.now()
      const window = Math.floor(now / this.windowMs)
      const endsAt = (window + 1) * this.windowMs
      const ttlMs = Math.max(1, endsAt - now)
      const keys = this.keys(address, user, window)
      const triedAs = exempt
      const refused = await this.tryReserve(randomUUID(), keys, ttlMs, exempt, exemptFrom, address, user)
      // Without bans a reservation needs nothing more; with them it is checked against the records.
      if (!Array.isArray(refused) && this.bans === undefined) return refused
      // One round trip for the failure counts (over a limit: refused outright if real failures fill
      // it, else wait for those in flight) and the ban records (a ban refuses even a reservation).
      let values: (string | null)[]
      try {
        values = await this.store.mget([
          keys.pairFailed,
          keys.addressFailed,
          keys.good,
          keys.addressBan,
          keys.userBan,
        ])
      } catch (err) {
        if (!Array.isArray(refused)) await this.giveBack(refused.id, refused.held).catch(() => undefined)
        throw err
      }
      const [pairFailed, addressFailed, good, addressBanRaw, userBanRaw] = values
      const failures = (raw: string | null | undefined) => Number.parseInt(raw ?? '0', 10) || 0
      // Swallowed: a ban must be answered even when giving the reservation back fails (it expires).
      const giveBack = async () => {
        if (!Array.isArray(refused)) await this.giveBack(refused.id, refused.held).catch(() => undefined)
      }
      const addressBan = this.bans?.active(addressBanRaw)
      const userBan = this.bans?.active(userBanRaw)
      if (addressBan !== undefined) {
        await giveBack()
        return this.banned(addressBan, 'address')
      }
      if (userBan !== undefined) {
        // The anti-weaponisation rule: only addresses with a failure in the window are held.
        const mayTry: Exemption | undefined =
          good != null ? 'good' : failures(addressFailed) === 0 ? 'fresh' : undefined
        if (mayTry === undefined) {
          await giveBack()
          return this.banned(userBan, 'user')
        }
        if (mayTry !== triedAs) {
          // Reserved under another rule (a fresh address must take the one-at-a-time slot): again.
          await giveBack()
          exempt = mayTry
          exemptFrom = 'user'
          if (waits >= this.maxWaits) return { scope: 'user', retryAfterSeconds: 1 }
          continue
        }
      }
      if (!Array.isArray(refused)) return refused
      const retryAfterSeconds = Math.max(1, Math.ceil((endsAt - this.now()) / 1000))
      const refuse = (scope: LoginLimitScope): LoginRefusal => ({ scope, retryAfterSeconds })
      if (refused.includes('address+user') && failures(pairFailed) >= this.limit)
        return refuse('address+user')
      if (refused.includes('address') && failures(addressFailed) >= this.perAddress) return refuse('address')
      const overShared = refused.filter((s) => s === 'user' || s === 'global')
      if (overShared.length > 0) {
        // Only addresses with a failure in this window are held to these limits. Decided afresh on
        // every try: a waiting attempt loses its exemption when its address's first attempt fails.
        exempt = good != null ? 'good' : failures(addressFailed) === 0 ? 'fresh' : undefined
        exemptFrom = overShared[0] as LoginLimitScope
        if (!exempt) return refuse(exemptFrom)
      }
      if (waits >= this.maxWaits) return { scope: refused[0] as LoginLimitScope, retryAfterSeconds: 1 }
      await this.sleep(Math.min(400, 25 * 2 ** waits))
    }
  }

  /**
   * For a login that succeeded recently from this address (see recent-logins.ts): whether neither
   * the address-and-user nor the address count of real failures is at its limit, so the login may
   * skip the reservation, and how many failures the pair has (for `clearPair` after success).
   * One MGET.
   */
  async knownMayPass(address: string, user: string): Promise<{ pass: boolean; pairFailures: number }> {
    const keys = this.keys(address, user, Math.floor(this.now() / this.windowMs))
    const [pairFailed, addressFailed, addressBan, userBan] = await this.store.mget(
      this.bans
        ? [keys.pairFailed, keys.addressFailed, keys.addressBan, keys.userBan]
        : [keys.pairFailed, keys.addressFailed],
    )
    const failures = (raw: string | null | undefined) => Number.parseInt(raw ?? '0', 10) || 0
    const pairFailures = failures(pairFailed)
    // Any ban sends the login the long way, where `reserve` decides who it holds.
    const banned = this.bans?.active(addressBan) !== undefined || this.bans?.active(userBan) !== undefined
    return {
      pass: !banned && pairFailures < this.limit && failures(addressFailed) < this.perAddress,
      pairFailures,
    }
  }

  /** Clears this address's failures for `user` (a success that skipped the reservation). */
  async clearPair(address: string, user: string): Promise<void> {
    const keys = this.keys(address, user, Math.floor(this.now() / this.windowMs))
    await this.store.del(keys.pair, keys.pairFailed)
  }

  /**
   * A wrong password: the reservations stay (the exempt slot too: a fresh address had its one try),
   * and it is counted as a real failure. The failure that fills a count earns a ban (one caller
   * sees the count reach the limit exactly, so one instance issues it); the ban is written before
   * the count is cleared, so no attempt slips between the two.
   */
  async failed(attempt: LoginAttempt): Promise<void> {
    const { keys, ttlMs } = attempt
    const bans = this.bans?.enabled ? this.bans : undefined
    const [pairCount, addressCount, userCount] = await Promise.all([
      this.store.incr(keys.pairFailed, 1, ttlMs),
      this.store.incr(keys.addressFailed, 1, ttlMs),
      bans ? this.store.incr(keys.userFailed, 1, ttlMs) : 0,
    ])
    if (!bans) return
    if (pairCount === this.limit || addressCount === this.perAddress) {
      const reason = pairCount === this.limit ? 'LOGIN_FAIL_LIMIT' : 'LOGIN_FAIL_LIMIT_PER_ADDRESS'
      await bans.issue('address', attempt.address, keys.addressHash, reason)
      await this.store.del(keys.pair, keys.pairFailed, keys.address, keys.addressFailed)
    }
    if (userCount === this.perUser) {
      await bans.issue('user', attempt.user, keys.userHash, 'LOGIN_FAIL_LIMIT_PER_USER')
      await this.store.del(keys.user, keys.userFailed)
    }
  }

  /**
   * A correct password: gives the attempt back and clears this address's failures for the user
   * (other addresses keep theirs, and the address keeps its count across other users, so one valid
   * account cannot launder a spray). An exempted success marks the address good for this user.
   */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    const { keys } = attempt
    await Promise.all([
      this.store.del(keys.pair, keys.pairFailed),
      this.giveBack(
        attempt.id,
        attempt.held.filter((key) => key !== keys.pair),
      ),
      attempt.exempted ? this.store.set(keys.good, '1', { ttlMs: attempt.ttlMs }) : undefined,
    ])
  }

  /** Gives an attempt back uncounted: it failed for reasons that were not the client's. */
  async release(attempt: LoginAttempt): Promise<void> {
    await this.giveBack(attempt.id, attempt.held)
  }

  /** One try at every count; the attempt, or the scopes that refused it (nothing then held). */
  private async tryReserve(
    id: string,
    keys: Keys,
    ttlMs: number,
    exempt: Exemption | undefined,
    exemptFrom: LoginLimitScope,
    address: string,
    user: string,
  ): Promise<LoginAttempt | LoginLimitScope[]> {
    const held: string[] = []
    const tries: Array<[LoginLimitScope, string, number]> = [
      ['address+user', keys.pair, this.limit],
      ['address', keys.address, this.perAddress],
      ['user', keys.user, exempt ? UNLIMITED : this.perUser],
      ['global', keys.global, exempt ? UNLIMITED : this.global],
    ]
    // A fresh address tries one attempt at a time past those limits, so it gets one guess.
    if (exempt === 'fresh') tries.push([exemptFrom, keys.exemptSlot, 1])
    // One pipelined round trip. Settled, not Promise.all: a store error must not leave a lease behind.
    const settled = await Promise.allSettled(
      tries.map(async ([, key, limit]) => {
        const ok = await this.store.acquireLease(key, id, limit, ttlMs)
        if (ok) held.push(key)
        return ok
      }),
    )
    const failed = settled.find((r) => r.status === 'rejected')
    const refused = tries.filter((_, i) => {
      const r = settled[i]
      return r?.status === 'fulfilled' && !r.value
    })
    if (failed || refused.length > 0) {
      await this.giveBack(id, held).catch(() => undefined)
      if (failed) throw failed.reason
      return refused.map(([scope]) => scope)
    }
    return { id, held, keys, exempted: exempt !== undefined, ttlMs, address, user }
  }

  /** The refusal for a ban in force: its time left is the Retry-After. */
  private banned(ban: Ban, scope: LoginLimitScope): LoginRefusal {
    return { scope, retryAfterSeconds: this.bans?.secondsLeft(ban) ?? 1, ban }
  }

  private async giveBack(id: string, keys: readonly string[]): Promise<void> {
    await Promise.all([...new Set(keys)].map((key) => this.store.releaseLease(key, id)))
  }

  private keys(address: string, user: string, window: number): Keys {
    const { pair, addr, usr } = this.hashesOf(address, user)
    return {
      pair: `login-fail:${pair}:${window}`,
      address: `login-fail-addr:${addr}:${window}`,
      user: `login-fail-user:${usr}:${window}`,
      global: `login-fail-all:${window}`,
      exemptSlot: `login-exempt:${addr}:${window}`,
      pairFailed: `login-failed:${pair}:${window}`,
      addressFailed: `login-failed-addr:${addr}:${window}`,
      userFailed: `login-failed-user:${usr}:${window}`,
      good: `login-ok:${pair}:${window}`,
      addressBan: banKey(banIdOf('address', addr)),
      userBan: banKey(banIdOf('user', usr)),
      addressHash: addr,
      userHash: usr,
    }
  }

  /**
   * The hashed parts of the keys, so user names (and whatever a client typed as one) never show
   * up as store keys. Remembered per address and user: a client that sends Basic credentials with
   * every request would otherwise pay three SHA-256 per request for the same answer.
   */
  private hashesOf(address: string, user: string): { pair: string; addr: string; usr: string } {
    const id = `${address}\0${user}`
    let hashes = this.hashes.get(id)
    if (hashes === undefined) {
      const hash = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')
      hashes = { pair: hash(id), addr: hash(address), usr: hash(user) }
      // Bounded: starting over costs three hashes per client once.
      if (this.hashes.size >= MAX_REMEMBERED_HASHES) this.hashes.clear()
      this.hashes.set(id, hashes)
    }
    return hashes
  }
}

/** True when `reserve` refused the attempt. */
export function isRefusal(result: LoginAttempt | LoginRefusal): result is LoginRefusal {
  return 'scope' in result
}
