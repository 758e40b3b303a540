/**
 * The ban list (issue 18; SFTPGo's "defender" is the model): when a failed-login limit of
 * rate-limit.ts is reached, the address (or, for the per-user limit, the user name) is banned for
 * a while on every instance, because the record lives in the shared Store. A ban is longer each
 * time the same subject earns one again while its strikes are remembered: `baseSeconds`, then
 * doubled per strike up to `maxSeconds`. The strikes are forgotten `memorySeconds` after the last
 * ban ends (the record's TTL), and at once when an admin lifts the ban.
 *
 * Who is refused, and when, is decided by LoginRateLimiter (it reads the records beside its own
 * counts in one round trip and keeps its anti-weaponisation rule for user bans); this file owns
 * the records: their keys, the escalation, the list admins see and lifting.
 *
 * Keys: `ban:<id>` holds the record as JSON; the hash `ban-index` lists the ids that may still have
 * one, so admins can list bans without a key scan (stale ids are dropped when listed). An id is the
 * kind's letter and 32 hex digits of the SHA-256 of the subject, the same hash the limiter's keys
 * use, so a ban is found without another hash and an id can never spell another key.
 */

import { createHash } from 'node:crypto'
import diagnosticsChannel from 'node:diagnostics_channel'
import { BAN_CHANNEL, type BanEvent } from '../channels.js'
import type { Store } from '../store/store.js'
import { AuthError } from './errors.js'

/** What a ban holds back: a client address, or a user name (from addresses with failures only). */
export type BanKind = 'address' | 'user'

/** One ban as stored and as admins see it. */
export interface Ban {
  id: string
  kind: BanKind
  /** The address or user name (bounded: a user name is client input). */
  subject: string
  /** Epoch ms the ban started and ends. */
  since: number
  until: number
  /** How many bans in a row this subject has earned (1 for the first). */
  strikes: number
  /** The limit that was reached (the setting's name). */
  reason: string
}

/** The logging bans need (a pino logger fits). */
export interface BanLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

/** Options of BanList; lengths in seconds as the settings give them. */
export interface BanListOptions {
  store: Store
  /** BAN_BASE_SECONDS: the first ban's length; 0 turns bans off. */
  baseSeconds: number
  /** BAN_MEMORY_SECONDS: how long after a ban ends its strikes count. */
  memorySeconds: number
  /** BAN_MAX_SECONDS: the cap the doubling stops at. */
  maxSeconds: number
  now?: () => number
  logger?: BanLogger
}

/** A ban id as the admin API takes it: the kind's letter, then 32 lower-case hex digits. */
export const BAN_ID_PATTERN = '^[au][0-9a-f]{32}$'
const BAN_ID = new RegExp(BAN_ID_PATTERN)
const INDEX_KEY = 'ban-index'
// Long enough to tell subjects apart for an admin, short enough that a long user name cannot
// bloat every record; the id (from the full name) still tells them apart.
const MAX_SUBJECT = 256
// Listing reads records in slices, so a ban list grown by a distributed attack is no giant MGET.
const LIST_SLICE = 500

/** The SHA-256 of a subject in hex, as the limiter's keys use it. */
export function subjectHash(subject: string): string {
  return createHash('sha256').update(subject, 'utf8').digest('hex')
}

/** The ban id of a subject whose SHA-256 (hex) is `hash`. */
export function banIdOf(kind: BanKind, hash: string): string {
  return `${kind === 'address' ? 'a' : 'u'}${hash.slice(0, 32)}`
}

/** The store key of a ban's record. */
export function banKey(id: string): string {
  return `ban:${id}`
}

/** Whether `id` has the shape of a ban id (anything else names no ban and reaches no key). */
export function isBanId(id: string): boolean {
  return BAN_ID.test(id)
}

/** The escalation: how long the ban with `strikes` strikes lasts, in seconds. */
export function banSeconds(strikes: number, baseSeconds: number, maxSeconds: number): number {
  // 2 ** 40 is already past any cap the settings allow; bounding the exponent keeps it finite.
  return Math.min(maxSeconds, baseSeconds * 2 ** Math.min(Math.max(0, strikes - 1), 40))
}

/** The error a login refused by `ban` fails with (429 AUTH_ERR_BANNED; Retry-After: its time left). */
export function bannedError(ban: Ban, retryAfterSeconds: number): AuthError {
  const what = ban.kind === 'address' ? 'address' : 'user name'
  return new AuthError(
    'AUTH_ERR_BANNED',
    `this ${what} is banned after too many failed logins; try again later`,
    {
      retryAfterSeconds,
    },
  )
}

/** The shared ban list: issues, reads, lists and lifts bans in the store. */
export class BanList {
  /** False with BAN_BASE_SECONDS=0: nothing is issued (existing records are still honoured). */
  readonly enabled: boolean
  private readonly store: Store
  private readonly baseSeconds: number
  private readonly memoryMs: number
  private readonly maxSeconds: number
  private readonly now: () => number
  private readonly logger: BanLogger | undefined
  private readonly channel = diagnosticsChannel.channel(BAN_CHANNEL)

  constructor(options: BanListOptions) {
    this.store = options.store
    this.baseSeconds = options.baseSeconds
    this.memoryMs = options.memorySeconds * 1000
    this.maxSeconds = Math.max(options.maxSeconds, options.baseSeconds)
    this.now = options.now ?? Date.now
    this.logger = options.logger
    this.enabled = options.baseSeconds > 0
  }

  /** The ban a stored value describes, if it is still in force; anything unreadable is no ban. */
  active(raw: string | null | undefined): Ban | undefined {
    const ban = parseBan(raw)
    return ban !== undefined && ban.until > this.now() ? ban : undefined
  }

  /** Whole seconds until `ban` ends (at least 1: it is in force), for Retry-After. */
  secondsLeft(ban: Ban): number {
    return Math.max(1, Math.ceil((ban.until - this.now()) / 1000))
  }

  /**
   * Bans `subject` (whose SHA-256 is `hash`) after it reached the limit `reason`. A ban already in
   * force is returned as it is: two limits reached by the same failures are one strike. Otherwise
   * the remembered strikes decide the length. The read and the write are two steps: two instances
   * banning the same subject in the same instant may both write strike n, never a shorter ban.
   */
  async issue(kind: BanKind, subject: string, hash: string, reason: string): Promise<Ban | undefined> {
    if (!this.enabled) return undefined
    const id = banIdOf(kind, hash)
    const previous = parseBan(await this.store.get(banKey(id)))
    const now = this.now()
    if (previous !== undefined && previous.until > now) return previous
    const strikes = (previous?.strikes ?? 0) + 1
    const seconds = banSeconds(strikes, this.baseSeconds, this.maxSeconds)
    const ban: Ban = {
      id,
      kind,
      subject: subject.slice(0, MAX_SUBJECT),
      since: now,
      until: now + seconds * 1000,
      strikes,
      reason,
    }
    // The record outlives the ban by the memory, which is what makes a repeat a strike.
    await this.store.set(banKey(id), JSON.stringify(ban), { ttlMs: seconds * 1000 + this.memoryMs })
    await this.store.hset(INDEX_KEY, id, '1')
    this.logger?.warn(
      {
        ban: id,
        kind,
        subject: ban.subject.slice(0, 64),
        strikes,
        seconds,
        until: new Date(ban.until).toISOString(),
        reason,
      },
      'ban issued',
    )
    this.publish({ action: 'issued', kind, strikes, seconds, store: this.store })
    return ban
  }

  /** The bans in force on every instance, the longest-running last. */
  async list(): Promise<Ban[]> {
    const ids = Object.keys(await this.store.hgetall(INDEX_KEY)).filter(isBanId)
    const found: Ban[] = []
    const gone: string[] = []
    for (let i = 0; i < ids.length; i += LIST_SLICE) {
      const slice = ids.slice(i, i + LIST_SLICE)
      const values = await this.store.mget(slice.map(banKey))
      slice.forEach((id, j) => {
        const raw = values[j]
        if (raw == null) gone.push(id)
        const ban = this.active(raw)
        if (ban !== undefined) found.push(ban)
      })
    }
    // Records whose memory has ended are gone from the store; their ids go from the index too.
    if (gone.length > 0) await this.store.hdel(INDEX_KEY, ...gone)
    return found.sort((a, b) => a.until - b.until || a.id.localeCompare(b.id))
  }

  /** How many bans are in force, by kind (the metrics' gauge). */
  async countActive(): Promise<Record<BanKind, number>> {
    const counts: Record<BanKind, number> = { address: 0, user: 0 }
    for (const ban of await this.list()) counts[ban.kind]++
    return counts
  }

  /**
   * Lifts the ban `id` on every instance and forgets its strikes (the admin decided it was not
   * earned). Undefined when no ban with that id is in force; a malformed id reaches no key.
   */
  async lift(id: string, by: string): Promise<Ban | undefined> {
    if (!isBanId(id)) return undefined
    const ban = this.active(await this.store.get(banKey(id)))
    if (ban === undefined) return undefined
    await this.store.del(banKey(id))
    await this.store.hdel(INDEX_KEY, id)
    this.logger?.info(
      { ban: id, kind: ban.kind, subject: ban.subject.slice(0, 64), strikes: ban.strikes, by },
      'ban lifted',
    )
    this.publish({ action: 'lifted', kind: ban.kind, strikes: ban.strikes, seconds: 0, store: this.store })
    return ban
  }

  private publish(event: BanEvent): void {
    if (this.channel.hasSubscribers) this.channel.publish(event)
  }
}

/** A stored record, checked field by field: the store is shared, so its values are not trusted. */
function parseBan(raw: string | null | undefined): Ban | undefined {
  if (raw == null) return undefined
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (typeof v.id !== 'string' || !isBanId(v.id)) return undefined
  if (v.kind !== 'address' && v.kind !== 'user') return undefined
  if (typeof v.subject !== 'string' || typeof v.reason !== 'string') return undefined
  if (!Number.isSafeInteger(v.since) || !Number.isSafeInteger(v.until)) return undefined
  if (!Number.isSafeInteger(v.strikes) || (v.strikes as number) < 1) return undefined
  return {
    id: v.id,
    kind: v.kind,
    subject: v.subject,
    since: v.since as number,
    until: v.until as number,
    strikes: v.strikes as number,
    reason: v.reason,
  }
}
