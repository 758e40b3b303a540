/**
 * WebDAV write locks in the shared store, so every instance behind a load balancer sees the same
 * locks. Locks belong to a scope (one tree as a session sees it, see scope.ts): each scope's locks
 * sit in one hash (token → JSON), so a request reads only the locks of its own tree in one round
 * trip, and a conflict check sees ancestors and descendants alike. Creating a lock runs
 * check-then-write under a short per-scope store mutex (SET NX with a TTL), which makes the check
 * atomic across instances. The table is bounded: timeouts are capped, and so is the number of
 * locks per principal and per scope.
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
  /** Hash of the principal that created the lock (scope.ts): only it may use or remove the lock. */
  principal: string
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

/** Raised when a principal or a scope already holds as many locks as allowed (answered 507). */
export class LockLimitError extends Error {
  override readonly name = 'LockLimitError'
}

/**
 * Longest lock we grant; `Timeout: Infinite` gets this too, so a forgotten lock ends within the
 * hour (clients refresh: Office every few minutes, Windows and macOS before the timeout).
 */
export const MAX_TIMEOUT_SEC = 3600
/** When the client names no timeout. */
export const DEFAULT_TIMEOUT_SEC = 3600
/** Live locks one principal may hold in one scope: far above any client's need (one per open file). */
export const MAX_LOCKS_PER_PRINCIPAL = 100
/** Live locks in one scope (a service account shared by many people): bounds every table read. */
export const MAX_LOCKS_PER_SCOPE = 1000

const tableKey = (scope: string) => `dav:locks:${scope}`
const mutexKey = (scope: string) => `dav:locks:${scope}:mutex`

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

/** Limits of a lock table (tests lower them). */
export interface LockLimits {
  perPrincipal: number
  perScope: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The lock table of one scope over a Store (MemoryStore or RedisStore). Cheap to make per request. */
export class LockManager {
  readonly #store: Store
  readonly #scope: string
  readonly #now: () => number
  readonly #limits: LockLimits

  constructor(
    store: Store,
    scope: string,
    options: { now?: () => number; limits?: Partial<LockLimits> } = {},
  ) {
    this.#store = store
    this.#scope = scope
    this.#now = options.now ?? Date.now
    this.#limits = {
      perPrincipal: options.limits?.perPrincipal ?? MAX_LOCKS_PER_PRINCIPAL,
      perScope: options.limits?.perScope ?? MAX_LOCKS_PER_SCOPE,
    }
  }

  /** Every unexpired lock of this scope (one store round trip, at most `perScope` entries). */
  async all(): Promise<DavLock[]> {
    const raw = await this.#store.hgetall(tableKey(this.#scope))
    const now = this.#now()
    const out: DavLock[] = []
    for (const json of Object.values(raw)) {
      const lock = JSON.parse(json) as DavLock
      if (lock.expiresAt > now) out.push(lock)
    }
    return out
  }

  /**
   * Grants a lock unless it conflicts or a limit is reached; the check and the write are atomic
   * across instances.
   */
  async create(wanted: LockRequest): Promise<DavLock> {
    return this.#withMutex(async () => {
      const raw = await this.#store.hgetall(tableKey(this.#scope))
      const now = this.#now()
      const expired: string[] = []
      let live = 0
      let mine = 0
      for (const [token, json] of Object.entries(raw)) {
        const lock = JSON.parse(json) as DavLock
        if (lock.expiresAt <= now) {
          expired.push(token)
          continue
        }
        if (conflicts(lock, wanted)) throw new LockConflictError(`Conflicts with the lock on /${lock.path}`)
        live++
        if (lock.principal === wanted.principal) mine++
      }
      if (expired.length > 0) await this.#store.hdel(tableKey(this.#scope), ...expired)
      if (mine >= this.#limits.perPrincipal)
        throw new LockLimitError(`At most ${this.#limits.perPrincipal} locks per user`)
      if (live >= this.#limits.perScope)
        throw new LockLimitError(`At most ${this.#limits.perScope} locks on this drive`)
      const timeoutSec = Math.min(wanted.timeoutSec, MAX_TIMEOUT_SEC)
      const lock: DavLock = {
        ...wanted,
        timeoutSec,
        token: `urn:uuid:${randomUUID()}`,
        expiresAt: now + timeoutSec * 1000,
      }
      await this.#write(lock)
      return lock
    })
  }

  /** The lock with this token, undefined when unknown (in this scope) or expired. */
  async get(token: string): Promise<DavLock | undefined> {
    const json = await this.#store.hget(tableKey(this.#scope), token)
    if (json === null) return undefined
    const lock = JSON.parse(json) as DavLock
    return lock.expiresAt > this.#now() ? lock : undefined
  }

  /** Restarts a lock's timeout (capped); undefined when the lock is gone. */
  async refresh(token: string, timeoutSec: number): Promise<DavLock | undefined> {
    return this.#withMutex(async () => {
      const lock = await this.get(token)
      if (!lock) return undefined
      const capped = Math.min(timeoutSec, MAX_TIMEOUT_SEC)
      const next = { ...lock, timeoutSec: capped, expiresAt: this.#now() + capped * 1000 }
      await this.#write(next)
      return next
    })
  }

  /** Removes one lock; false when it did not exist. */
  async remove(token: string): Promise<boolean> {
    return (await this.#store.hdel(tableKey(this.#scope), token)) > 0
  }

  /** Removes every lock rooted at or below `path` (the resources are gone or moved away). */
  async removeWithin(path: RelPath): Promise<void> {
    const tokens = (await this.all()).filter((l) => isWithin(l.path, path)).map((l) => l.token)
    if (tokens.length > 0) await this.#store.hdel(tableKey(this.#scope), ...tokens)
  }

  async #write(lock: DavLock): Promise<void> {
    const key = tableKey(this.#scope)
    await this.#store.hset(key, lock.token, JSON.stringify(lock))
    // Every lock in the hash ends within MAX_TIMEOUT_SEC of its last write, so an abandoned
    // scope's table disappears from the store by itself.
    await this.#store.expire(key, (MAX_TIMEOUT_SEC + 60) * 1000)
  }

  async #withMutex<T>(fn: () => Promise<T>): Promise<T> {
    const id = randomUUID()
    const key = mutexKey(this.#scope)
    const deadline = Date.now() + 10_000
    while (!(await this.#store.set(key, id, { onlyIfAbsent: true, ttlMs: 5000 }))) {
      if (Date.now() > deadline) throw new Error('Timed out waiting for the lock table')
      await sleep(5 + Math.random() * 10)
    }
    try {
      return await fn()
    } finally {
      // Only release our own hold: after a TTL expiry another instance may hold it.
      if ((await this.#store.get(key)) === id) await this.#store.del(key)
    }
  }
}
