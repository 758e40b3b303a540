/**
 * An htpasswd file of bcrypt entries (GATEWAY_HTPASSWD) for service-account mode. Only bcrypt is
 * accepted: the other htpasswd formats (MD5-crypt, SHA-1, crypt, plain) are too weak to guard the
 * one FTP login everybody shares, so the file is refused at load naming the offending line.
 * A bcrypt check costs tens of milliseconds by design; successful checks are remembered for a
 * minute (keyed by a keyed hash, never the password) so a Basic-auth client does not pay it on
 * every request. The file is re-read when its modification time changes.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import bcrypt from 'bcryptjs'

/** Options of Htpasswd; the defaults suit production, tests shorten them. */
export interface HtpasswdOptions {
  /** How long a successful verification is remembered (default 60 s). */
  cacheTtlMs?: number
  /** How often the file's mtime is checked, at most (default 3 s). */
  checkIntervalMs?: number
  /** Called when a changed file cannot be loaded (the previous entries stay in force). */
  onReloadError?: (err: Error) => void
  now?: () => number
}

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/
const MAX_CACHE_ENTRIES = 10_000
// Verifying unknown users against a real hash (of a discarded random password, cost 10) keeps
// their timing close to that of known ones, so the response time does not reveal who exists.
const DUMMY_HASH = '$2b$10$kkNdu0IUlOF8ncvyqs3.jeUEvP.VlDKfMbZHfMVLpV0m4Fx7l2N5u'

/** Parses htpasswd text: `user:hash` lines; blank lines and `#` comments are skipped. */
export function parseHtpasswd(text: string, source = 'htpasswd'): Map<string, string> {
  const entries = new Map<string, string>()
  const lines = text.split(/\r?\n/)
  lines.forEach((line, index) => {
    const where = `${source} line ${index + 1}`
    if (line.trim() === '' || line.trimStart().startsWith('#')) return
    const colon = line.indexOf(':')
    if (colon <= 0) throw new Error(`${where}: expected "user:hash"`)
    const user = line.slice(0, colon)
    const hash = line.slice(colon + 1).trim()
    if (!BCRYPT.test(hash)) {
      throw new Error(`${where}: unsupported hash type for user "${user}" (only bcrypt $2a$, $2b$, $2y$)`)
    }
    if (entries.has(user)) throw new Error(`${where}: duplicate user "${user}"`)
    entries.set(user, hash)
  })
  return entries
}

/** Checks user names and passwords against an htpasswd file. */
export class Htpasswd {
  readonly path: string
  private entries: Map<string, string>
  private mtimeMs: number
  private size: number
  private lastCheck: number
  private readonly cache = new Map<string, number>()
  private readonly cacheKey = randomBytes(32)
  private readonly cacheTtlMs: number
  private readonly checkIntervalMs: number
  private readonly onReloadError: ((err: Error) => void) | undefined
  private readonly now: () => number
  private verifications = 0

  /** Loads the file at once; throws (naming the line) when it cannot be used. */
  constructor(path: string, options: HtpasswdOptions = {}) {
    this.path = path
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000
    this.checkIntervalMs = options.checkIntervalMs ?? 3_000
    this.onReloadError = options.onReloadError
    this.now = options.now ?? Date.now
    const stat = statSync(path)
    this.entries = parseHtpasswd(readFileSync(path, 'utf8'), path)
    this.mtimeMs = stat.mtimeMs
    this.size = stat.size
    this.lastCheck = this.now()
  }

  /** Number of users in the file. */
  get userCount(): number {
    return this.entries.size
  }

  /** bcrypt comparisons run so far (cache hits excluded); for tests and metrics. */
  get bcryptCalls(): number {
    return this.verifications
  }

  /**
   * The user's entry (its bcrypt hash) as the file stands now, re-read when it changed; undefined
   * when the user is not in it. Tokens are bound to it, so removal or a new password ends them.
   */
  entryOf(user: string): string | undefined {
    this.reloadIfChanged()
    return this.entries.get(user)
  }

  /** Whether `password` is the password of `user`. */
  async verify(user: string, password: string): Promise<boolean> {
    this.reloadIfChanged()
    const now = this.now()
    const key = createHmac('sha256', this.cacheKey).update(`${user}\0${password}`, 'utf8').digest('hex')
    const until = this.cache.get(key)
    if (until !== undefined && until > now) return true
    const hash = this.entries.get(user)
    this.verifications++
    const ok = await bcrypt.compare(password, hash ?? DUMMY_HASH)
    if (!ok || hash === undefined) return false
    if (this.cache.size >= MAX_CACHE_ENTRIES) this.prune(now)
    this.cache.set(key, now + this.cacheTtlMs)
    return true
  }

  /** Re-reads the file when its mtime or size changed; checks at most once per interval. */
  private reloadIfChanged(): void {
    const now = this.now()
    if (now - this.lastCheck < this.checkIntervalMs) return
    this.lastCheck = now
    try {
      const stat = statSync(this.path)
      if (stat.mtimeMs === this.mtimeMs && stat.size === this.size) return
      // Remember this version even if it fails to parse: report it once, not every interval.
      this.mtimeMs = stat.mtimeMs
      this.size = stat.size
      this.entries = parseHtpasswd(readFileSync(this.path, 'utf8'), this.path)
      // A removed user or changed password must take effect now, not when the cache runs out.
      this.cache.clear()
    } catch (err) {
      this.onReloadError?.(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private prune(now: number): void {
    for (const [key, until] of this.cache) if (until <= now) this.cache.delete(key)
    // Still full of live entries: drop the oldest rather than grow without bound.
    if (this.cache.size >= MAX_CACHE_ENTRIES) {
      const oldest = this.cache.keys().next()
      if (!oldest.done) this.cache.delete(oldest.value)
    }
  }
}
