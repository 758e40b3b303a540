/**
 * App passwords (issue 18): for clients that cannot sign in with OpenID Connect (Explorer, Finder,
 * davfs2, rclone, scripts), a person makes a random password (`POST /api/v1/me/app-passwords`),
 * sees it once, and uses it as HTTP Basic with their own name. A request so authenticated acts as
 * the person who made it (principal and groups as at creation), with method `app-password`.
 *
 * Storage: one hash per person in the store, `apppw:<principal>`, a field per id holding the label,
 * creation time, groups, a bcrypt hash of the password and, when the creator logged in with their
 * own FTP credentials (passthrough), that FTP login sealed with the shared CredentialSeal (the id
 * and person bound in). `apppw-used:<principal>` keeps each id's last use (written at most once a
 * minute per process; a separate hash so that a late write cannot bring a deleted record back).
 *
 * The password is `gwap_<id>_<secret>`: the id (16 base64url characters) finds the record with one
 * store read, the secret (32 characters, 192 random bits) is what the hash checks. A bcrypt per
 * request would cost tens of milliseconds of CPU, so a verified password is remembered in process
 * memory for VERIFIED_TTL_MS, keyed by an HMAC (per-process key) of person, id, password and the
 * stored hash. The record itself is still read from the store on every request, so a deleted app
 * password fails on every instance at its next request: revocation needs no pub/sub and no TTL.
 */
import { createHmac, randomBytes } from 'node:crypto'
import bcrypt from 'bcryptjs'
import type { Identity } from '../files/types.js'
import type { Store } from '../store/store.js'
import { CredentialSeal } from './credential-seal.js'
import { AuthError } from './errors.js'

/** The shape of an app password: `gwap_`, the id, `_`, the secret. */
export const APP_PASSWORD_PATTERN = /^gwap_([A-Za-z0-9_-]{16})_([A-Za-z0-9_-]{32})$/
/** The shape of an app password's id. */
export const APP_PASSWORD_ID_PATTERN = '^[A-Za-z0-9_-]{16}$'
/** App passwords one person may have at once. */
export const MAX_APP_PASSWORDS = 100
/** How long a verified password skips bcrypt in one process (the record is still read each time). */
export const VERIFIED_TTL_MS = 5 * 60_000

const BCRYPT_COST = 10
const MAX_CACHED = 10_000
const LAST_USED_EVERY_MS = 60_000
const ID_RE = new RegExp(APP_PASSWORD_ID_PATTERN)

/** An app password as listed (no secret). */
export interface AppPasswordInfo {
  id: string
  label: string
  createdAt: Date
  lastUsedAt: Date | undefined
}

/** What a correct app password stands for. */
export interface VerifiedAppPassword {
  id: string
  principal: string
  groups: readonly string[]
  /** The creator's own FTP login (passthrough), when they made it with one. */
  ftp: { user: string; password: string } | undefined
}

/** A stored record (JSON). */
interface AppPasswordRecord {
  label: string
  createdAt: number
  groups: string[]
  /** bcrypt of the whole password. */
  h: string
  /** The creator's FTP user and sealed password. */
  f?: { u: string; c: string } | undefined
}

/** Whether `password` is shaped like an app password (those go to the app-password check only). */
export function isAppPasswordShaped(password: string): boolean {
  return APP_PASSWORD_PATTERN.test(password)
}

/** Whether `id` is shaped like an app password's id. */
export function isAppPasswordId(id: string): boolean {
  return ID_RE.test(id)
}

/** Options of AppPasswords. */
export interface AppPasswordsOptions {
  store: Store
  /** config.sessionKey: the seal of the creators' FTP logins is derived from it. */
  sessionKey: Buffer
  now?: () => number
}

/** Creates, lists, revokes and checks app passwords. */
export class AppPasswords {
  readonly #store: Store
  readonly #seal: CredentialSeal
  readonly #now: () => number
  readonly #cacheKey = randomBytes(32)
  /** HMAC → when it was verified. */
  readonly #verified = new Map<string, number>()
  /** id → when this process last wrote its lastUsedAt. */
  readonly #usedWritten = new Map<string, number>()

  constructor(options: AppPasswordsOptions) {
    this.#store = options.store
    this.#seal = new CredentialSeal(options.sessionKey, 'app-password-ftp-logins')
    this.#now = options.now ?? Date.now
  }

  /**
   * A new app password for `who`, acting as them. With `sealFtpLogin`, their FTP login (`who.user`
   * and `who.password`) is kept sealed with it, for passthrough upstreams. The password is in the
   * result only: the store keeps its hash.
   */
  async create(
    who: Identity,
    label: string,
    sealFtpLogin: boolean,
  ): Promise<{ id: string; label: string; password: string; createdAt: Date }> {
    if (who.method === 'app-password')
      throw new AuthError(
        'AUTH_ERR_APP_PASSWORD_FORBIDDEN',
        'sign in (not with an app password) to make or revoke app passwords',
      )
    const existing = await this.#store.hgetall(keyOf(who.principal))
    if (Object.keys(existing).length >= MAX_APP_PASSWORDS)
      throw new AuthError(
        'AUTH_ERR_APP_PASSWORD_LIMIT',
        `you have ${MAX_APP_PASSWORDS} app passwords; revoke one before making another`,
      )
    const id = randomBytes(12).toString('base64url')
    const password = `gwap_${id}_${randomBytes(24).toString('base64url')}`
    const createdAt = this.#now()
    const record: AppPasswordRecord = {
      label,
      createdAt,
      groups: [...(who.groups ?? [])],
      h: await bcrypt.hash(password, BCRYPT_COST),
      f:
        sealFtpLogin && !who.noFtpLogin && who.password !== ''
          ? { u: who.user, c: this.#seal.seal(bound(who.principal, id, who.user), who.password) }
          : undefined,
    }
    await this.#store.hset(keyOf(who.principal), id, JSON.stringify(record))
    return { id, label, password, createdAt: new Date(createdAt) }
  }

  /** `principal`'s app passwords, oldest first (no secrets). */
  async list(principal: string): Promise<AppPasswordInfo[]> {
    const [records, used] = await Promise.all([
      this.#store.hgetall(keyOf(principal)),
      this.#store.hgetall(usedKeyOf(principal)),
    ])
    const out: AppPasswordInfo[] = []
    for (const [id, json] of Object.entries(records)) {
      const r = parseRecord(json)
      if (!r) continue
      const last = Number(used[id])
      out.push({
        id,
        label: r.label,
        createdAt: new Date(r.createdAt),
        lastUsedAt: Number.isFinite(last) && last > 0 ? new Date(last) : undefined,
      })
    }
    return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
  }

  /**
   * Revokes `principal`'s app password `id` for every instance (the record is gone from the store,
   * which every use reads). AUTH_ERR_APP_PASSWORD_NOT_FOUND for an unknown id or another person's.
   */
  async remove(who: Identity, id: string): Promise<void> {
    if (who.method === 'app-password')
      throw new AuthError(
        'AUTH_ERR_APP_PASSWORD_FORBIDDEN',
        'sign in (not with an app password) to make or revoke app passwords',
      )
    await this.removeFor(who.principal, id)
  }

  /** Revokes `principal`'s app password `id`; AUTH_ERR_APP_PASSWORD_NOT_FOUND when they have none such. */
  async removeFor(principal: string, id: string): Promise<void> {
    const removed = isAppPasswordId(id) ? await this.#store.hdel(keyOf(principal), id) : 0
    await this.#store.hdel(usedKeyOf(principal), id)
    if (removed === 0)
      throw new AuthError('AUTH_ERR_APP_PASSWORD_NOT_FOUND', 'you have no app password with that id')
  }

  /**
   * What `password` stands for when it is `user`'s app password; undefined otherwise. The record is
   * read from the store every time; bcrypt runs only when this process has not verified the same
   * password against the same record within VERIFIED_TTL_MS, and then inside `guard` (the
   * failed-login limits), which returns what the check returned.
   */
  async verify(
    user: string,
    password: string,
    guard: (check: () => Promise<boolean>) => Promise<boolean> = (check) => check(),
  ): Promise<VerifiedAppPassword | undefined> {
    const m = APP_PASSWORD_PATTERN.exec(password)
    const id = m?.[1]
    if (id === undefined) return undefined
    const json = await this.#store.hget(keyOf(user), id)
    const record = json === null ? undefined : parseRecord(json)
    if (!record) {
      // Counted like any wrong password (the limits see guessing), at no bcrypt cost.
      await guard(async () => false)
      return undefined
    }
    const cacheKey = createHmac('sha256', this.#cacheKey)
      .update(`${user}\0${id}\0${password}\0${record.h}`, 'utf8')
      .digest('base64url')
    const now = this.#now()
    const at = this.#verified.get(cacheKey)
    if (at === undefined || now - at > VERIFIED_TTL_MS) {
      this.#verified.delete(cacheKey)
      if (!(await guard(() => bcrypt.compare(password, record.h)))) return undefined
      this.#remember(cacheKey, now)
    }
    await this.#touch(user, id, now)
    let ftp: VerifiedAppPassword['ftp']
    if (record.f) {
      const opened = this.#seal.open(bound(user, id, record.f.u), record.f.c)
      if (opened === undefined) return undefined
      ftp = { user: record.f.u, password: opened }
    }
    return { id, principal: user, groups: Object.freeze([...record.groups]), ftp }
  }

  #remember(cacheKey: string, now: number): void {
    this.#verified.set(cacheKey, now)
    while (this.#verified.size > MAX_CACHED) {
      const oldest = this.#verified.keys().next().value
      if (oldest === undefined) break
      this.#verified.delete(oldest)
    }
  }

  /** Records the last use, at most once a minute per id and process; best effort. */
  async #touch(user: string, id: string, now: number): Promise<void> {
    const last = this.#usedWritten.get(id)
    if (last !== undefined && now - last < LAST_USED_EVERY_MS) return
    this.#usedWritten.set(id, now)
    if (this.#usedWritten.size > MAX_CACHED) this.#usedWritten.clear()
    await this.#store.hset(usedKeyOf(user), id, String(now)).catch(() => undefined)
  }
}

function keyOf(principal: string): string {
  return `apppw:${principal}`
}

function usedKeyOf(principal: string): string {
  return `apppw-used:${principal}`
}

/** What a sealed FTP password is bound to: the person, the app password and the FTP user. */
function bound(principal: string, id: string, ftpUser: string): string {
  return `app-password\0${principal}\0${id}\0${ftpUser}`
}

function parseRecord(json: string): AppPasswordRecord | undefined {
  try {
    const v = JSON.parse(json) as Partial<AppPasswordRecord>
    if (typeof v.label !== 'string' || typeof v.h !== 'string' || typeof v.createdAt !== 'number')
      return undefined
    const groups = Array.isArray(v.groups) ? v.groups.filter((g): g is string => typeof g === 'string') : []
    const f =
      v.f && typeof v.f.u === 'string' && typeof v.f.c === 'string' ? { u: v.f.u, c: v.f.c } : undefined
    return { label: v.label, createdAt: v.createdAt, groups, h: v.h, f }
  } catch {
    return undefined
  }
}
