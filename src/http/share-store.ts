/**
 * Share links in the store (issue 20), so every instance serves them and counts their uses.
 *
 * - `share:<id>`: the record (JSON), with a TTL a day past its expiry (an expired share answers
 *   410 for that day, then 404 like an unknown one).
 * - `shares:index`: a hash of id → principal, the list `GET /api/v1/shares` reads (the store has
 *   no key scan); entries whose record is gone are dropped as they are met.
 * - `share:uses:<id>`: the use counter, one atomic INCR per use on whichever instance serves it,
 *   so `maxUses` holds exactly across instances; a use that then fails before any byte is given
 *   back.
 * - `share:rate:<id>:<minute>`: the per-share request count (SHARE_RATE_LIMIT).
 *
 * The creator's FTP password is sealed (credential-seal.ts); a share password is kept as a scrypt
 * hash. Neither is ever in clear in the store.
 */
import { createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { CredentialSeal } from '../auth/credential-seal.js'
import { identityOf } from '../auth/types.js'
import type { Identity, RelPath } from '../files/types.js'
import type { Store } from '../store/store.js'
import { newShareId, usesLeft } from './share-rules.js'

/** What a share lets its holder do. */
export type ShareKind = 'read' | 'drop'

/** A share as the store keeps it. */
export interface ShareRecord {
  id: string
  path: RelPath
  kind: ShareKind
  label: string | null
  createdAt: number
  expiresAt: number
  maxUses?: number | undefined
  allowedAddresses: string[]
  /** `scrypt$N$salt$hash` (base64), or absent when the share has no password. */
  passwordHash?: string | undefined
  /** The creator: the person and the FTP account the share acts as. */
  principal: string
  user: string
  /** The rest of the creator's identity without credentials (groups), for the mount rules. */
  person?: Record<string, unknown> | undefined
  /** The creator's FTP password, sealed under SESSION_SECRET with the id bound in. */
  sealed: string
}

/** What the caller asks for when creating a share. */
export interface ShareInput {
  path: RelPath
  kind: ShareKind
  expiresAt: number
  maxUses?: number | undefined
  allowedAddresses: string[]
  password?: string | undefined
  label?: string | undefined
}

/** The outcome of claiming one use. */
export type UseClaim = { ok: true; release: () => Promise<void> } | { ok: false }

// How long an expired share is still known (answering 410 rather than 404).
const KEEP_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000
// scrypt cost: 2^14 (the Node default), about 50 ms; a share password is checked once per cookie.
const SCRYPT_N = 16_384
const SCRYPT_KEYLEN = 32
/** How long the cookie a correct password form sets stays valid. */
export const ACCESS_COOKIE_TTL_MS = 60 * 60 * 1000

const INDEX = 'shares:index'
const recordKey = (id: string) => `share:${id}`
const usesKey = (id: string) => `share:uses:${id}`

function scryptAsync(password: string, salt: Buffer, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, SCRYPT_KEYLEN, { N: n, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  )
}

/** A share password as stored: `scrypt$N$salt$hash`. */
export async function hashSharePassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt, SCRYPT_N)
  return `scrypt$${SCRYPT_N}$${salt.toString('base64')}$${key.toString('base64')}`
}

/** Whether `password` matches a stored `scrypt$…` hash (constant-time compare). */
export async function checkSharePassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || n === undefined || salt === undefined || hash === undefined) return false
  const expected = Buffer.from(hash, 'base64')
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), Number(n))
  return got.length === expected.length && timingSafeEqual(got, expected)
}

/** The shares' state in the store. */
export class ShareStore {
  readonly #store: Store
  readonly #seal: CredentialSeal
  readonly #cookieKey: Buffer

  constructor(store: Store, sessionKey: Buffer) {
    this.#store = store
    this.#seal = new CredentialSeal(sessionKey, 'share-credentials')
    this.#cookieKey = Buffer.from(hkdfSync('sha256', sessionKey, 'ftp-gateway', 'share-access-cookie', 32))
  }

  /** Creates a share acting as `who`; the record is written once, complete. */
  async create(who: Identity, input: ShareInput, nowMs = Date.now()): Promise<ShareRecord> {
    const id = newShareId()
    const { password: _p, key: _k, user, principal, ...person } = who
    const record: ShareRecord = {
      id,
      path: input.path,
      kind: input.kind,
      label: input.label ?? null,
      createdAt: nowMs,
      expiresAt: input.expiresAt,
      maxUses: input.maxUses,
      allowedAddresses: input.allowedAddresses,
      passwordHash: input.password === undefined ? undefined : await hashSharePassword(input.password),
      principal,
      user,
      person: Object.keys(person).length === 0 ? undefined : person,
      sealed: this.#seal.seal(id, who.password),
    }
    const ttlMs = record.expiresAt - nowMs + KEEP_AFTER_EXPIRY_MS
    await this.#store.set(recordKey(id), JSON.stringify(record), { ttlMs })
    await this.#store.hset(INDEX, id, principal)
    return record
  }

  /** The share, or undefined when unknown, revoked or long expired. */
  async get(id: string): Promise<ShareRecord | undefined> {
    const raw = await this.#store.get(recordKey(id))
    return raw === null ? undefined : (JSON.parse(raw) as ShareRecord)
  }

  /** Shares made by `principal`, or every share when `principal` is undefined (administrators). */
  async list(principal: string | undefined): Promise<ShareRecord[]> {
    const index = await this.#store.hgetall(INDEX)
    const ids = Object.entries(index)
      .filter(([, owner]) => principal === undefined || owner === principal)
      .map(([id]) => id)
    if (ids.length === 0) return []
    const raws = await this.#store.mget(ids.map(recordKey))
    const out: ShareRecord[] = []
    const gone: string[] = []
    raws.forEach((raw, i) => {
      if (raw === null) gone.push(ids[i]!)
      else out.push(JSON.parse(raw) as ShareRecord)
    })
    if (gone.length > 0) await this.#store.hdel(INDEX, ...gone)
    return out.sort((a, b) => a.createdAt - b.createdAt)
  }

  /** Revokes a share on every instance; true when it existed. */
  async remove(id: string): Promise<boolean> {
    const existed = (await this.#store.del(recordKey(id))) > 0
    await this.#store.del(usesKey(id))
    await this.#store.hdel(INDEX, id)
    return existed
  }

  /** Uses counted so far (refused ones beyond the limit included; `usesLeft` floors at 0). */
  async used(id: string): Promise<number> {
    return Number((await this.#store.get(usesKey(id))) ?? 0)
  }

  /** Uses left of a share (null: unlimited). */
  async usesLeft(record: ShareRecord): Promise<number | null> {
    return record.maxUses === undefined ? null : usesLeft(record.maxUses, await this.used(record.id))
  }

  /**
   * Claims one use: an atomic increment on the shared counter, so across every instance exactly
   * `maxUses` claims succeed. A refused claim serves nothing. `release` gives a successful claim back
   * (the transfer failed before any byte went out).
   */
  async claimUse(record: ShareRecord, nowMs = Date.now()): Promise<UseClaim> {
    const ttlMs = Math.max(1000, record.expiresAt - nowMs + KEEP_AFTER_EXPIRY_MS)
    const n = await this.#store.incr(usesKey(record.id), 1, ttlMs)
    if (record.maxUses !== undefined && n > record.maxUses) return { ok: false }
    let released = false
    return {
      ok: true,
      release: async () => {
        if (released) return
        released = true
        await this.#store.incr(usesKey(record.id), -1).catch(() => undefined)
      },
    }
  }

  /** Counts one request against the share's per-minute limit; false when over `limit` (0: none). */
  async withinRate(id: string, limit: number, nowMs = Date.now()): Promise<boolean> {
    if (limit === 0) return true
    const minute = Math.floor(nowMs / 60_000)
    return (await this.#store.incr(`share:rate:${id}:${minute}`, 1, 61_000)) <= limit
  }

  /** The creator's identity (the share acts as it); undefined when the seal does not open. */
  identityOf(record: ShareRecord): Identity | undefined {
    const password = this.#seal.open(record.id, record.sealed)
    if (password === undefined) return undefined
    const base = identityOf(record.user, password, record.principal)
    // Credentials and pool key always come from identityOf, never from the record.
    return { ...base, ...record.person, password: base.password, key: base.key } as Identity
  }

  /**
   * The value of the access cookie a correct password form sets: expiry and an HMAC over the id,
   * the expiry and the password hash (a changed share password voids old cookies).
   */
  accessToken(record: ShareRecord, nowMs = Date.now()): string {
    const exp = nowMs + ACCESS_COOKIE_TTL_MS
    return `${exp}.${this.#mac(record, exp)}`
  }

  /** Whether an access cookie value is valid for this share now. */
  checkAccessToken(record: ShareRecord, token: string | undefined, nowMs = Date.now()): boolean {
    if (token === undefined) return false
    const [expRaw, mac] = token.split('.')
    const exp = Number(expRaw)
    if (!Number.isSafeInteger(exp) || exp < nowMs || mac === undefined) return false
    const want = Buffer.from(this.#mac(record, exp))
    const got = Buffer.from(mac)
    return want.length === got.length && timingSafeEqual(want, got)
  }

  #mac(record: ShareRecord, exp: number): string {
    return createHmac('sha256', this.#cookieKey)
      .update(`${record.id}\0${exp}\0${record.passwordHash ?? ''}`)
      .digest('base64url')
  }
}
