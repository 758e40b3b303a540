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
import type { Store } from '../store/store.js'

/** Passthrough (per-user FTP credentials) or service-account (one FTP login for everybody). */
export type AuthMode = 'passthrough' | 'service'

/** A token's record as stored (JSON). Times are epoch milliseconds. */
interface TokenRecord {
  u: string
  c: string
  createdAt: number
  expiresAt: number
}

/** A valid token, decrypted. `password` is undefined in service-account mode, `binding` in passthrough. */
export interface ResolvedSession {
  username: string
  password: string | undefined
  /** Service-account mode: what `create` was given to bind the token to (see the module comment). */
  binding: string | undefined
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
  now?: () => number
}

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

  constructor(options: SessionTokensOptions) {
    if (options.key.length !== 32) throw new Error('the session key must be 32 bytes')
    this.store = options.store
    this.key = options.key
    this.ttlMs = options.ttlMs
    this.mode = options.mode
    this.refreshIntervalMs = Math.min(options.refreshIntervalMs ?? 60_000, Math.floor(options.ttlMs / 2))
    this.now = options.now ?? Date.now
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
    const session: ResolvedSession = {
      username: record.u,
      password: this.mode === 'passthrough' ? secret : undefined,
      binding: this.mode === 'service' ? secret : undefined,
      createdAt: new Date(record.createdAt),
      expiresAt: new Date(record.expiresAt),
    }
    if (accept && !accept(session)) {
      await this.revokeId(id)
      return undefined
    }
    let expiresAt = record.expiresAt
    const now = this.now()
    if (now - (record.expiresAt - this.ttlMs) >= this.refreshIntervalMs) {
      expiresAt = now + this.ttlMs
      const updated: TokenRecord = { ...record, expiresAt }
      await this.store.set(recordKey(id), JSON.stringify(updated), { ttlMs: this.ttlMs })
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
    const existed = (await this.store.del(recordKey(id))) > 0
    if (existed) await this.store.set(revokedKey(id), '1', { ttlMs: this.ttlMs + REVOKE_MARGIN_MS })
    return existed
  }

  /** Reads and authenticates a record: one round trip for the record and the revocation marker. */
  private async load(
    token: string,
  ): Promise<{ id: string; record: TokenRecord; secret: string } | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined
    const id = hashToken(token)
    const [raw, revoked] = await this.store.mget([recordKey(id), revokedKey(id)])
    if (raw === null || raw === undefined || revoked) return undefined
    const record = parseRecord(raw)
    if (!record || record.expiresAt <= this.now()) return undefined
    const secret = this.open(id, record)
    return secret === undefined ? undefined : { id, record, secret }
  }

  private associatedData(id: string, username: string, createdAt: number): Buffer {
    return Buffer.from(`ftpgw-session\0${this.mode}\0${id}\0${username}\0${createdAt}`, 'utf8')
  }

  private seal(id: string, username: string, createdAt: number, secret: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(this.associatedData(id, username, createdAt))
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
      decipher.setAAD(this.associatedData(id, record.u, record.createdAt))
      decipher.setAuthTag(box.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      const plain = Buffer.concat([decipher.update(box.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
      return plain.toString('utf8')
    } catch {
      return undefined
    }
  }
}

function recordKey(id: string): string {
  return `session:${id}`
}

function revokedKey(id: string): string {
  return `session-revoked:${id}`
}

function parseRecord(raw: string): TokenRecord | undefined {
  try {
    const value: unknown = JSON.parse(raw)
    if (typeof value !== 'object' || value === null) return undefined
    const r = value as Record<string, unknown>
    if (typeof r.u !== 'string' || typeof r.c !== 'string') return undefined
    if (typeof r.createdAt !== 'number' || typeof r.expiresAt !== 'number') return undefined
    return { u: r.u, c: r.c, createdAt: r.createdAt, expiresAt: r.expiresAt }
  } catch {
    return undefined
  }
}
