import {
  type DataMode,
  type FtpLogger,
  FtpSession,
  type FtpUrl,
  isFtpError,
  probeServer,
} from '../ftp/index.js'
import { type Checkout, SessionPool } from '../pool/index.js'
import type { Store } from '../store/store.js'
import { toServerPath } from './paths.js'
import { leavesSessionUncertain } from './session-use.js'
import type { Identity, RelPath } from './types.js'

/** How to reach the upstream FTP server and how many sessions it may get. */
export interface UpstreamOptions {
  /** The upstream's name in the gateway's configuration (`default` for FTP_URL): labels metrics and logs. */
  name?: string | undefined
  url: FtpUrl
  dataMode: DataMode
  activeAddress?: string | undefined
  activePorts?: [number, number] | undefined
  tlsCa?: Buffer | undefined
  tlsInsecure?: boolean | undefined
  poolMax: number
  poolMaxTotal: number
  /** Logins at once, cluster-wide, for credentials not yet known to work (default: no separate budget). */
  poolMaxUnverified?: number | undefined
  /** Sessions are reused only this long after their key's last login (the pool's default when unset). */
  reverifyMs?: number | undefined
  idleTimeoutMs: number
  timeoutMs: number
  /** Idle sessions send NOOP this often (0 or unset: never). */
  keepaliveMs?: number | undefined
  store: Store
  logger?: FtpLogger | undefined
  /** MEMORY_TUNING: the engine's memory work (src/ftp/memory/); on when unset. */
  memoryTuning?: boolean | undefined
}

/**
 * The upstream server as the file service sees it: a session pool keyed by identity, the
 * credentials each key logs in with (kept in memory only, for the pool's factory), and the root
 * HTTP paths map under (the URL's path, else each login's home directory).
 */
export class Upstream {
  readonly pool: SessionPool<FtpSession>
  /** `host:port` (the cluster-wide budget's key: one budget per server, whatever mounts it). */
  readonly id: string
  readonly name: string
  readonly #opts: UpstreamOptions
  readonly #credentials = new Map<string, { user: string; password: string; lastUsed: number }>()

  constructor(options: UpstreamOptions) {
    this.#opts = options
    this.id = `${options.url.host}:${options.url.port}`
    this.name = options.name ?? 'default'
    this.pool = new SessionPool<FtpSession>({
      create: (key) => this.#connect(key),
      store: options.store,
      upstreamId: this.id,
      maxPerKey: options.poolMax,
      maxTotal: options.poolMaxTotal,
      maxUnverified: options.poolMaxUnverified,
      reverifyMs: options.reverifyMs,
      // An admin's drop names a user: every key (password) of that user.
      groupOf: userOfKey,
      idleTimeoutMs: options.idleTimeoutMs,
      // A refused login is replayed briefly so a wrong password does not hammer the server.
      isCachedFailure: (err) => isFtpError(err, 'auth'),
      // A 404 leaves the session in step: no NOOP before its next use (session-use.ts).
      needsCheckAfter: leavesSessionUncertain,
      onWarning: (message, err) => options.logger?.warn?.({ err: (err as Error)?.message }, message),
    })
  }

  /** Checks out a session for `who`, remembering the credentials for the pool's factory. */
  acquire(who: Identity, signal?: AbortSignal): Promise<Checkout<FtpSession>> {
    this.#credentials.set(who.key, { user: who.user, password: who.password, lastUsed: Date.now() })
    this.#prune()
    return this.pool.acquire(who.key, signal ? { signal } : undefined)
  }

  /** Whether `who` logged in within the re-verification interval and was not refused since. */
  verified(who: Identity): boolean {
    return this.pool.verified(who.key)
  }

  /**
   * Drops every pooled session of the FTP user `user` (whatever password it logged in with) on
   * every instance sharing the store; the next request of that user logs in afresh. Credentials
   * stay registered: a request of that user may be waiting for a session right now.
   */
  async dropUser(user: string): Promise<void> {
    await this.pool.evictGroup(user)
  }

  /** The absolute server path of a relative path, for a session of this upstream. */
  serverPath(session: FtpSession, rel: RelPath): string {
    const root = this.#opts.url.root
    const base =
      root === undefined ? session.home : root.startsWith('/') ? root : toServerPath(session.home, root)
    return toServerPath(base, rel)
  }

  /** Resolves when the server answers with a greeting (no login): cheap enough for readiness probes. */
  probe(): Promise<void> {
    const o = this.#opts
    return probeServer({
      host: o.url.host,
      port: o.url.port,
      secure: o.url.secure,
      timeoutMs: Math.min(o.timeoutMs, 5000),
      tlsCa: o.tlsCa,
      tlsInsecure: o.tlsInsecure,
    })
  }

  /** Stops new checkouts, lets running transfers finish up to `graceMs`, then QUITs every session. */
  async drain(graceMs: number): Promise<void> {
    await this.pool.drain(graceMs)
    this.#credentials.clear()
  }

  #connect(key: string): Promise<FtpSession> {
    const creds = this.#credentials.get(key)
    if (!creds) return Promise.reject(new Error('No credentials registered for this pool key'))
    const o = this.#opts
    return FtpSession.connect({
      host: o.url.host,
      port: o.url.port,
      secure: o.url.secure,
      user: creds.user,
      password: creds.password,
      dataMode: o.dataMode,
      activeAddress: o.activeAddress,
      activePorts: o.activePorts,
      tlsCa: o.tlsCa,
      tlsInsecure: o.tlsInsecure,
      timeoutMs: o.timeoutMs,
      keepaliveMs: o.keepaliveMs ?? 0,
      label: this.name,
      ...(o.memoryTuning === undefined ? {} : { memoryTuning: o.memoryTuning }),
      logger: o.logger,
    })
  }

  /** Forgets credentials no pooled session needs any more (bounded memory, fewer secrets held). */
  #prune(): void {
    if (this.#credentials.size < 1000) return
    const cutoff = Date.now() - 10 * 60_000
    const perKey = this.pool.stats().perKey
    for (const [key, c] of this.#credentials) {
      const s = perKey[key]
      if (c.lastUsed < cutoff && (!s || s.idle + s.busy + s.waiting === 0)) this.#credentials.delete(key)
    }
  }
}

/** The user part of a pool key (`user:HMAC`, made by identityOf): the HMAC is hex, without colons. */
function userOfKey(key: string): string {
  const i = key.lastIndexOf(':')
  return i < 0 ? key : key.slice(0, i)
}
