/**
 * One configured upstream, running: its session pool (with its own cluster-wide budget), its
 * caches (paths mean nothing on another server, so nothing is shared between upstreams), its file
 * service, its health. The tree routes to these by name.
 */
import { identityOf } from '../auth/types.js'
import type { UpstreamConfig } from '../config.js'
import {
  ContentCache,
  FtpFileService,
  INVALIDATION_CHANNEL,
  MetadataCache,
  Upstream,
} from '../files/index.js'
import type { Identity } from '../files/types.js'
import { isFtpError } from '../ftp/index.js'
import type { Store } from '../store/store.js'
import type { UpstreamBinding } from './types.js'

/** What every upstream shares. */
export interface RuntimeDeps {
  store: Store
  logger: {
    child(bindings: object): RuntimeLogger
  }
  cacheTtlMs: number
  /** This upstream's share of CACHE_CONTENT_MAX_BYTES. */
  contentMaxBytes: number
  contentMaxFileBytes: number
  memoryTuning: boolean
}

/** The logger an upstream's layers use (pino fits). */
export interface RuntimeLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** One upstream, running. */
export class UpstreamRuntime implements UpstreamBinding {
  readonly name: string
  readonly config: UpstreamConfig
  readonly upstream: Upstream
  readonly cache: MetadataCache
  readonly content: ContentCache
  readonly files: FtpFileService
  readonly serviceIdentity: Identity | undefined
  /** How people reach this upstream (`credentials`). */
  readonly credentials: UpstreamConfig['credentials']
  readonly id: string
  /** Last probe's answer: true while the server greets (or live pooled sessions prove it up). */
  healthy = false

  constructor(config: UpstreamConfig, deps: RuntimeDeps) {
    this.name = config.name
    this.config = config
    const log = deps.logger.child({ component: 'ftp', upstream: config.name })
    if (config.tlsInsecure)
      log.warn({}, 'tls.insecure (FTP_TLS_INSECURE): the upstream certificate is NOT verified')
    this.upstream = new Upstream({
      name: config.name,
      url: config.url,
      dataMode: config.dataMode,
      activeAddress: config.activeAddress,
      activePorts: config.activePorts,
      tlsCa: config.tlsCa,
      tlsInsecure: config.tlsInsecure,
      poolMax: config.poolMax,
      poolMaxTotal: config.poolMaxTotal,
      poolMaxUnverified: config.poolMaxUnverified,
      reverifyMs: config.reverifyMs,
      idleTimeoutMs: config.idleTimeoutMs,
      timeoutMs: config.timeoutMs,
      keepaliveMs: config.keepaliveMs,
      timezone: config.timezone,
      encoding: config.encoding,
      listHidden: config.listHidden,
      store: deps.store,
      logger: log,
      memoryTuning: deps.memoryTuning,
    })
    this.content = new ContentCache({
      ttlMs: deps.cacheTtlMs,
      maxBytes: deps.contentMaxBytes,
      maxFileBytes: Math.min(deps.contentMaxFileBytes, deps.contentMaxBytes),
    })
    this.cache = new MetadataCache({
      store: deps.store,
      ttlMs: deps.cacheTtlMs,
      content: this.content,
      // The environment's upstream keeps the channel it always had (rolling upgrades).
      channel: config.name === 'default' ? INVALIDATION_CHANNEL : `${INVALIDATION_CHANNEL}:${config.name}`,
      onWarning: (message, err) => log.warn({ err: (err as Error)?.message }, message),
    })
    // With a shared store there may be other instances writing: size downloads from a fresh stat.
    this.files = new FtpFileService({
      upstream: this.upstream,
      cache: this.cache,
      content: this.content,
      logger: log,
      freshReads: deps.store.kind === 'redis',
    })
    this.credentials = config.credentials
    const { user, password } = config.url
    this.serviceIdentity =
      config.serviceAccount && user !== undefined && password !== undefined
        ? identityOf(user, password)
        : undefined
    // The files behind a name: the server and the folder the URL points at.
    this.id = `${this.upstream.id}${config.url.root ?? ''}`
  }

  /** Subscribes the cache to other instances' invalidations. */
  start(): Promise<void> {
    return this.cache.start()
  }

  dropUserSessions(user: string): Promise<void> {
    return this.files.dropUserSessions(user)
  }

  /**
   * Probes the server (cheap: a greeting, no login) unless live pooled sessions prove it answers.
   * The probe's connection takes a lease of the cluster budget like a session: a server that
   * allows FTP_POOL_MAX_TOTAL connections must never see one more. With no lease to spare, other
   * instances hold every allowed connection, so the server took them: up (a new instance must not
   * stay unready while the cluster is busy; when those sessions fail they free leases to probe with).
   */
  async probe(): Promise<boolean> {
    const pool = this.upstream.pool.stats()
    if (pool.idle + pool.busy > 0) {
      this.healthy = true
      return true
    }
    const answered = await this.upstream.pool.withLease(() =>
      this.upstream.probe().then(
        () => true,
        // A 421 greeting ("too many users") still means the server is up.
        (err: unknown) => isFtpError(err, 'transient'),
      ),
    )
    this.healthy = answered ?? true
    return this.healthy
  }

  /** Lets running transfers finish up to `graceMs`, then closes the sessions and the cache. */
  async close(graceMs: number): Promise<void> {
    await this.upstream.drain(Math.max(0, graceMs))
    await this.cache.stop()
  }
}
