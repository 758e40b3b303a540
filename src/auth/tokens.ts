/**
 * API session tokens on the shared Store. The token itself is never stored: the record sits under
 * `session:<sha256(token)>`, so a leaked store dump cannot be replayed as bearer tokens. The record
 * holds the user name and an AES-256-GCM box of the FTP password, bound (as associated data) to its
 * key, mode, user and creation time, so records cannot be edited, swapped between tokens, or read
 * with another SESSION_SECRET. In service-account mode no password is stored: the box holds the
 * binding the caller gives (a fingerprint of the user's htpasswd entry), so a token can be checked
 * against the user as they are now, not only as they were when it was issued.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { isStoreError } from '../store/errors.js'
import type { Store } from '../store/store.js'
import { TokenCache } from './token-cache.js'

/** Passthrough (per-user FTP credentials) or service-account (one FTP login for everybody). */
export type AuthMode = 'passthrough' | 'service'

/**
 * A token's record as stored (JSON). Times are epoch milliseconds. `m: 'oidc'` marks a session
 * made by the OpenID sign-in (oidc-signin.ts): its box holds the person's groups and ID token, no
 * FTP secret; the mark is part of the box's associated data, so it cannot be added or removed.
 */
interface TokenRecord {
  u: string
  c: string
  m?: 'oidc'
  createdAt: number
  expiresAt: number
}

/** What an OpenID sign-in session carries beside the principal (sealed in the record). */
export interface SessionPerson {
  groups: readonly string[]
  /** The provider's ID token, kept for RP-initiated logout's `id_token_hint`; never shown. */
  idToken: string | undefined
}

/** A valid token, decrypted. `password` is undefined in service-account mode, `binding` in passthrough. */
export interface ResolvedSession {
  username: string
  password: string | undefined
  /** Service-account mode: what `create` was given to bind the token to (see the module comment). */
  binding: string | undefined
  /** Set for an OpenID sign-in session (then `password` and `binding` are undefined). */
  person?: SessionPerson | undefined
  createdAt: Date
  expiresAt: Date
}

/** Options of SessionTokens. */
export interface SessionTokensOptions {
  store: Store
  /** 32-byte AES-256 key (config.sessionKey). */
  key: Buffer
  /** Sliding lifetime of a token. */
  ttlMs: number
  mode: AuthMode
  /** At most one expiry push per token per this interval (default 60 s; capped at half the TTL). */
  refreshIntervalMs?: number
  /**
   * Accept tokens the store confirmed within this long while the store cannot be read
   * (TOKEN_CACHE_TTL_MS; token-cache.ts); 0 or absent: every use needs the store.
   */
  outageCacheMs?: number
  /** Called when a revocation could not be subscribed to (the cache then relies on its age bound alone). */
  onWarning?: (message: string, err: unknown) => void
  now?: () => number
}

/** Channel (store pub/sub) on which every instance hears a revocation: the token's hash. */
export const TOKEN_REVOKED_CHANNEL = 'auth:token-revoked'

const TOKEN_BYTES = 32
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/
const IV_BYTES = 12
const TAG_BYTES = 16
// A refresh racing a revoke could write the record back; the marker outlives any such write.
const REVOKE_MARGIN_MS = 60_000

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Creates, checks, slides and revokes API session tokens. */
export class SessionTokens {
  private readonly store: Store
  private readonly key: Buffer
  private readonly ttlMs: number
  private readonly mode: AuthMode
  private readonly refreshIntervalMs: number
  private readonly now: () => number
  private readonly cache: TokenCache<TokenRecord> | undefined
  /** Resolves once revocations from other instances are heard (immediately without a cache). */
  readonly listening: Promise<void>

  constructor(options: SessionTokensOptions) {
    if (options.key.length !== 32) throw new Error('the session key must be 32 bytes')
    this.store = options.store
    this.key = options.key
    this.ttlMs = options.ttlMs
    this.mode = options.mode
    this.refreshIntervalMs = Math.min(options.refreshIntervalMs ?? 60_000, Math.floor(options.ttlMs / 2))
    this.now = options.now ?? Date.now
    const cacheMs = options.outageCacheMs ?? 0
    this.cache = cacheMs > 0 ? new TokenCache({ maxAgeMs: cacheMs, now: this.now }) : undefined
    const cache = this.cache
    this.listening = cache
      ? this.store
          .subscribe(TOKEN_REVOKED_CHANNEL, (id) => cache.forget(id))
          .then(
            () => undefined,
            (err: unknown) =>
              options.onWarning?.('token revocations not subscribed; cache relies on its age bound', err),
          )
      : Promise.resolve()
  }

  /**
   * Stores a new session for `username`: with its FTP password (passthrough mode) or with the
   * binding it must still match when used (service-account mode), sealed either way.
   */
  async create(
    username: string,
    secretValue: string | undefined,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url')
    const id = hashToken(token)
    const createdAt = this.now()
    const expiresAt = createdAt + this.ttlMs
    const secret = secretValue ?? ''
    const record: TokenRecord = {
      u: username,
      c: this.seal(id, username, createdAt, secret),
      createdAt,
      expiresAt,
    }
    await this.store.set(recordKey(id), JSON.stringify(record), { ttlMs: this.ttlMs })
    return { token, expiresAt: new Date(expiresAt) }
  }

  /**
   * Stores a new session for a person the OpenID provider signed in: the principal, their groups
   * and the ID token, sealed like a password would be; no FTP credential at all.
   */
  async createPerson(principal: string, person: SessionPerson): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url')
    const id = hashToken(token)
    const createdAt = this.now()
    const expiresAt = createdAt + this.ttlMs
    const inside = JSON.stringify({ g: person.groups, i: person.idToken ?? null })
    const record: TokenRecord = {
      u: principal,
      c: this.seal(id, principal, createdAt, inside, 'oidc'),
      m: 'oidc',
      createdAt,
      expiresAt,
    }
    await this.store.set(recordKey(id), JSON.stringify(record), { ttlMs: this.ttlMs })
    return { token, expiresAt: new Date(expiresAt) }
  }

  /**
   * The session of a token, decrypted, or undefined when it is unknown, expired, revoked or fails
   * authentication. `accept` sees the session first: when it says no (the user is gone), the token
   * is revoked for good and not slid. A successful use pushes the expiry forward (at most once per
   * refresh interval).
   */
  async resolve(
    token: string,
    accept?: (session: ResolvedSession) => boolean,
  ): Promise<ResolvedSession | undefined> {
    const found = await this.load(token)
    if (!found) return undefined
    const { id, record, secret } = found
    const person = record.m === 'oidc' ? parsePerson(secret) : undefined
    if (record.m === 'oidc' && person === undefined) return undefined
    const session: ResolvedSession = {
      username: record.u,
      password: this.mode === 'passthrough' && !person ? secret : undefined,
      binding: this.mode === 'service' && !person ? secret : undefined,
      ...(person ? { person } : {}),
      createdAt: new Date(record.createdAt),
      expiresAt: new Date(record.expiresAt),
    }
    // `accept` judges password sessions (the htpasswd binding); a person's session has none.
    if (!person && accept && !accept(session)) {
      this.cache?.forget(id)
      // Refused either way; with the store down the revocation is left to the binding check next time.
      await this.revokeId(id).catch(ignoreStoreError)
      return undefined
    }
    let expiresAt = record.expiresAt
    const now = this.now()
    if (now - (record.expiresAt - this.ttlMs) >= this.refreshIntervalMs) {
      const updated: TokenRecord = { ...record, expiresAt: now + this.ttlMs }
      // Sliding the expiry is bookkeeping: a store that cannot take it (an outage) must not fail
      // the request; the next use within the refresh interval tries again.
      const slid = await this.store.set(recordKey(id), JSON.stringify(updated), { ttlMs: this.ttlMs }).then(
        () => true,
        (err: unknown) => {
          ignoreStoreError(err)
          return false
        },
      )
      if (slid) {
        expiresAt = updated.expiresAt
        this.cache?.confirm(id, updated)
      }
    }
    return { ...session, expiresAt: new Date(expiresAt) }
  }

  /** Token metadata (no credentials, no expiry push); undefined as for `resolve`. */
  async describe(token: string): Promise<{ username: string; createdAt: Date; expiresAt: Date } | undefined> {
    const found = await this.load(token)
    if (!found) return undefined
    const { record } = found
    return {
      username: record.u,
      createdAt: new Date(record.createdAt),
      expiresAt: new Date(record.expiresAt),
    }
  }

  /** Deletes a token for every instance; returns whether it existed. */
  async revoke(token: string): Promise<boolean> {
    if (!TOKEN_PATTERN.test(token)) return false
    return this.revokeId(hashToken(token))
  }

  private async revokeId(id: string): Promise<boolean> {
    this.cache?.forget(id)
    const existed = (await this.store.del(recordKey(id))) > 0
    if (existed) await this.store.set(revokedKey(id), '1', { ttlMs: this.ttlMs + REVOKE_MARGIN_MS })
    // Every instance drops the token from its outage cache at once (best effort: each also
    // re-reads the store on every use while it can, and forgets entries past their age bound).
    if (existed) await this.store.publish(TOKEN_REVOKED_CHANNEL, id).catch(ignoreStoreError)
    return existed
  }

  /** Reads and authenticates a record: one round trip for the record and the revocation marker. */
  private async load(
    token: string,
  ): Promise<{ id: string; record: TokenRecord; secret: string } | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined
    const id = hashToken(token)
    let found: [string | null | undefined, string | null | undefined]
    try {
      const [raw, revoked] = await this.store.mget([recordKey(id), revokedKey(id)])
      found = [raw, revoked]
    } catch (err) {
      // The store cannot be read: a token it confirmed recently is still good (token-cache.ts).
      const cached = isStoreError(err) ? this.cache?.recall(id) : undefined
      if (cached === undefined) throw err
      return this.opened(id, cached)
    }
    const [raw, revoked] = found
    const record = raw === null || raw === undefined || revoked ? undefined : parseRecord(raw)
    const result = record ? this.opened(id, record) : undefined
    if (result) this.cache?.confirm(id, result.record)
    else this.cache?.forget(id)
    return result
  }

  /** An unexpired record whose box authenticates, opened; undefined otherwise. */
  private opened(
    id: string,
    record: TokenRecord,
  ): { id: string; record: TokenRecord; secret: string } | undefined {
    if (record.expiresAt <= this.now()) return undefined
    const secret = this.open(id, record)
    return secret === undefined ? undefined : { id, record, secret }
  }

  private associatedData(id: string, username: string, createdAt: number, kind: string): Buffer {
    return Buffer.from(`ftpgw-session\0${kind}\0${id}\0${username}\0${createdAt}`, 'utf8')
  }

  private seal(
    id: string,
    username: string,
    createdAt: number,
    secret: string,
    kind: string = this.mode,
  ): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(this.associatedData(id, username, createdAt, kind))
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
    return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')
  }

  /** The plaintext of a record's box, or undefined when it does not authenticate. */
  private open(id: string, record: TokenRecord): string | undefined {
    const box = Buffer.from(record.c, 'base64')
    if (box.length < IV_BYTES + TAG_BYTES) return undefined
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, box.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      })
      decipher.setAAD(this.associatedData(id, record.u, record.createdAt, record.m ?? this.mode))
      decipher.setAuthTag(box.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      const plain = Buffer.concat([decipher.update(box.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
      return plain.toString('utf8')
    } catch {
      return undefined
    }
  }
}

/** Swallows a StoreError (best-effort bookkeeping); anything else is rethrown. */
function ignoreStoreError(err: unknown): void {
  if (!isStoreError(err)) throw err
}

function recordKey(id: string): string {
  return `session:${id}`
}

function revokedKey(id: string): string {
  return `session-revoked:${id}`
}

/** The sealed contents of a person's session; undefined when they are not what createPerson wrote. */
function parsePerson(inside: string): SessionPerson | undefined {
  try {
    const v = JSON.parse(inside) as { g?: unknown; i?: unknown }
    if (!Array.isArray(v.g) || !v.g.every((g) => typeof g === 'string')) return undefined
    if (v.i !== null && typeof v.i !== 'string') return undefined
    return { groups: Object.freeze([...(v.g as string[])]), idToken: v.i ?? undefined }
  } catch {
    return undefined
  }
}

function parseRecord(raw: string): TokenRecord | undefined {
  try {
    const value: unknown = JSON.parse(raw)
    if (typeof value !== 'object' || value === null) return undefined
    const r = value as Record<string, unknown>
    if (typeof r.u !== 'string' || typeof r.c !== 'string') return undefined
    if (typeof r.createdAt !== 'number' || typeof r.expiresAt !== 'number') return undefined
    if (r.m !== undefined && r.m !== 'oidc') return undefined
    return {
      u: r.u,
      c: r.c,
      ...(r.m === 'oidc' ? { m: 'oidc' as const } : {}),
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
    }
  } catch {
    return undefined
  }
}
