/**
 * WebDAV write locks in the shared store, so every instance behind a load balancer sees the same
 * locks. All locks sit in one hash (token → JSON): a request reads them in one round trip, and a
 * conflict check sees ancestors and descendants alike. Creating a lock runs check-then-write under
 * a short store mutex (SET NX with a TTL), which makes the check atomic across instances.
 */
import { randomUUID } from 'node:crypto'
import { isWithin } from '../../files/paths.js'
import type { RelPath } from '../../files/types.js'
import type { Store } from '../../store/store.js'

/** One active lock. */
export interface DavLock {
  token: string
  /** The lock root. */
  path: RelPath
  scope: 'exclusive' | 'shared'
  depth: 0 | 'infinity'
  /** The `DAV:owner` element as XML, '' when none was given. */
  owner: string
  timeoutSec: number
  /** Epoch milliseconds. */
  expiresAt: number
}

/** What a LOCK request asks for. */
export type LockRequest = Omit<DavLock, 'token' | 'expiresAt'>

/** Raised when a new lock conflicts with an existing one (answered 423). */
export class LockConflictError extends Error {
  override readonly name = 'LockConflictError'
}

/** Longest lock we grant; `Timeout: Infinite` gets this too, so a forgotten lock still ends. */
export const MAX_TIMEOUT_SEC = 7 * 24 * 3600
/** When the client names no timeout. */
export const DEFAULT_TIMEOUT_SEC = 3600

const HASH = 'dav:locks'
const MUTEX = 'dav:locks:mutex'

/**
 * The timeout to grant for a `Timeout` header (`Second-n`, `Infinite`, a comma list of choices):
 * the first choice we understand, capped.
 */
export function parseTimeout(header: string | undefined): number {
  if (header === undefined) return DEFAULT_TIMEOUT_SEC
  for (const part of header.split(',')) {
    const v = part.trim()
    if (/^infinite$/i.test(v)) return MAX_TIMEOUT_SEC
    const m = /^second-(\d+)$/i.exec(v)
    if (m) return Math.max(1, Math.min(Number(m[1]), MAX_TIMEOUT_SEC))
  }
  return DEFAULT_TIMEOUT_SEC
}

/** Whether `lock` applies to `path`: its root, or below a depth-infinity root. */
export function covers(lock: DavLock, path: RelPath): boolean {
  return lock.path === path || (lock.depth === 'infinity' && isWithin(path, lock.path))
}

/** Whether two locks could not both be granted. */
function conflicts(existing: DavLock, wanted: LockRequest): boolean {
  if (existing.scope === 'shared' && wanted.scope === 'shared') return false
  return (
    covers(existing, wanted.path) ||
    (wanted.depth === 'infinity' && isWithin(existing.path, wanted.path)) ||
    existing.path === wanted.path
  )
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The lock table over a Store (MemoryStore or RedisStore). */
export class LockManager {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every unexpired lock (one store round trip). */
  async all(): Promise<DavLock[]> {
    const raw = await this.store.hgetall(HASH)
    const now = this.now()
    const out: DavLock[] = []
    for (const json of Object.values(raw)) {
      const lock = JSON.parse(json) as DavLock
      if (lock.expiresAt > now) out.push(lock)
    }
    return out
  }

  /** Grants a lock unless it conflicts; the check and the write are atomic across instances. */
  async create(wanted: LockRequest): Promise<DavLock> {
    return this.withMutex(async () => {
      const raw = await this.store.hgetall(HASH)
      const now = this.now()
      const expired: string[] = []
      for (const [token, json] of Object.entries(raw)) {
        const lock = JSON.parse(json) as DavLock
        if (lock.expiresAt <= now) expired.push(token)
        else if (conflicts(lock, wanted))
          throw new LockConflictError(`Conflicts with the lock on /${lock.path}`)
      }
      if (expired.length > 0) await this.store.hdel(HASH, ...expired)
      const lock: DavLock = {
        ...wanted,
        token: `urn:uuid:${randomUUID()}`,
        expiresAt: now + wanted.timeoutSec * 1000,
      }
      await this.store.hset(HASH, lock.token, JSON.stringify(lock))
      return lock
    })
  }

  /** The lock with this token, undefined when unknown or expired. */
  async get(token: string): Promise<DavLock | undefined> {
    const json = await this.store.hget(HASH, token)
    if (json === null) return undefined
    const lock = JSON.parse(json) as DavLock
    return lock.expiresAt > this.now() ? lock : undefined
  }

  /** Restarts a lock's timeout; undefined when the lock is gone. */
  async refresh(token: string, timeoutSec: number): Promise<DavLock | undefined> {
    return this.withMutex(async () => {
      const lock = await this.get(token)
      if (!lock) return undefined
      const next = { ...lock, timeoutSec, expiresAt: this.now() + timeoutSec * 1000 }
      await this.store.hset(HASH, token, JSON.stringify(next))
      return next
    })
  }

  /** Removes one lock; false when it did not exist. */
  async remove(token: string): Promise<boolean> {
    return (await this.store.hdel(HASH, token)) > 0
  }

  /** Removes every lock rooted at or below `path` (the resources are gone or moved away). */
  async removeWithin(path: RelPath): Promise<void> {
    const tokens = (await this.all()).filter((l) => isWithin(l.path, path)).map((l) => l.token)
    if (tokens.length > 0) await this.store.hdel(HASH, ...tokens)
  }

  private async withMutex<T>(fn: () => Promise<T>): Promise<T> {
    const id = randomUUID()
    const deadline = this.now() + 10_000
    while (!(await this.store.set(MUTEX, id, { onlyIfAbsent: true, ttlMs: 5000 }))) {
      if (this.now() > deadline) throw new Error('Timed out waiting for the lock table')
      await sleep(5 + Math.random() * 10)
    }
    try {
      return await fn()
    } finally {
      // Only release our own hold: after a TTL expiry another instance may hold it.
      if ((await this.store.get(MUTEX)) === id) await this.store.del(MUTEX)
    }
  }
}
