/**
 * Wires the layers into one running gateway: store, upstream pool, metadata cache, file service,
 * authentication and the HTTP app; in local mode also the embedded FTP server. Kept apart from
 * process concerns (signals, exit) so tests start and stop whole gateways in-process.
 */
import { mkdirSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { createAuth } from './auth/index.js'
import { type GatewayConfig, withLocalUpstream } from './config.js'
import { ContentCache, FtpFileService, MetadataCache, Upstream } from './files/index.js'
import { isFtpError } from './ftp/index.js'
import { createServer } from './http/app.js'
import { LocalFtpServer } from './local-server/index.js'
import { createStore, type Store } from './store/index.js'

/** A running gateway (not yet listening). */
export interface Gateway {
  readonly config: GatewayConfig
  readonly app: FastifyInstance
  readonly upstream: Upstream
  readonly store: Store
  readonly files: FtpFileService
  /** The embedded FTP server in local mode. */
  readonly localServer: LocalFtpServer | undefined
  /**
   * Takes a reloaded configuration (SIGHUP with GATEWAY_CONFIG, validated by
   * src/config/reload.ts): new requests use the new tree, transfers in flight finish on the old.
   * For now only the record changes (`config` returns the new one): the multi-upstream tree
   * (issue 17) replaces this with the swap of upstreams and mounts.
   */
  reload(config: GatewayConfig): Promise<void>
  /** Readiness turns false at once; in-flight requests get up to `graceMs`; then everything closes. */
  close(graceMs?: number): Promise<void>
  readonly draining: boolean
}

/** Builds a gateway from validated configuration. */
export async function createGateway(initial: GatewayConfig, logger: Logger): Promise<Gateway> {
  let config = initial
  let localServer: LocalFtpServer | undefined
  if (config.local) {
    mkdirSync(config.local.dataDir, { recursive: true })
    localServer = new LocalFtpServer({
      host: '127.0.0.1',
      port: 0,
      root: config.local.dataDir,
      users: { [config.local.user]: config.local.password },
      // Per-connection events of the embedded server (readiness probes every 2 s) are debug noise.
      logger: localServerLogger(logger.child({ component: 'local-ftp' })),
    })
    const { port } = await localServer.listen()
    config = withLocalUpstream(config, port)
  }
  const up = config.upstreams[0]
  if (!up) throw new Error('No upstream configured')
  if (up.tlsInsecure) logger.warn('FTP_TLS_INSECURE=true: the upstream certificate is NOT verified')
  if (config.trustProxyWarning) logger.warn(config.trustProxyWarning)

  const store = createStore({
    redisUrl: config.redisUrl,
    sentinels: config.redisSentinels,
    sentinelName: config.redisSentinelName,
    clusterNodes: config.redisClusterNodes,
    keyPrefix: config.redisKeyPrefix,
    logger: logger.child({ component: 'store' }),
  })
  const ftpLogger = logger.child({ component: 'ftp' })
  const upstream = new Upstream({ ...up, store, logger: ftpLogger, memoryTuning: config.memoryTuning })
  const content = new ContentCache({
    ttlMs: config.cacheTtlMs,
    maxBytes: config.cacheContentMaxBytes,
    maxFileBytes: config.cacheContentMaxFileBytes,
  })
  const cache = new MetadataCache({
    store,
    ttlMs: config.cacheTtlMs,
    content,
    onWarning: (message, err) => logger.warn({ err: (err as Error)?.message }, message),
  })
  await cache.start()
  // With a shared store there may be other instances writing: size downloads from a fresh stat.
  const files = new FtpFileService({
    upstream,
    cache,
    content,
    logger: ftpLogger,
    freshReads: store.kind === 'redis',
  })
  const auth = createAuth({ config, store, files, logger: logger.child({ component: 'auth' }) })

  let draining = false
  let upstreamOk = false
  let storeOk = false
  // Probes run in the background so /readyz answers from memory, cheap enough every second.
  const probe = async () => {
    // Live pooled sessions prove the upstream answers; probing then would cost a connection
    // outside the pool's budget, refused exactly when the server is full and the pool busiest.
    const pool = upstream.pool.stats()
    upstreamOk =
      pool.idle + pool.busy > 0 ||
      (await upstream.probe().then(
        () => true,
        // A 421 greeting ("too many users") still means the server is up.
        (err: unknown) => isFtpError(err, 'transient'),
      ))
    storeOk = await store.ping().then(
      () => true,
      () => false,
    )
  }
  await probe()
  const timer = setInterval(() => void probe(), 2000)
  timer.unref()

  const app = createServer(
    {
      config,
      files,
      auth: auth.authenticator,
      sessions: auth.sessions,
      admin: files,
      store,
      upstreamId: upstream.id,
      stats: () => ({
        pool: upstream.pool.stats(),
        cache: { hits: cache.hits, misses: cache.misses },
        content: { hits: content.hits, misses: content.misses, bytes: content.size },
      }),
      readiness: async () => ({
        // A store outage leaves Basic-auth transfers working, so it fails readiness only on request.
        ok: !draining && upstreamOk && (storeOk || !config.readyRequiresStore),
        checks: {
          draining: draining ? 'yes' : 'no',
          upstream: upstreamOk ? 'ok' : 'unreachable',
          store: storeOk ? 'ok' : 'unreachable',
        },
      }),
    },
    { logger },
  )

  return {
    get config() {
      return config
    },
    async reload(next) {
      // Placeholder until the namespace lands: nothing built from the old config is rebuilt.
      config = next
      logger.warn(
        { upstreams: next.upstreams.map((u) => u.name), mounts: next.mounts.map((m) => m.path) },
        'configuration recorded; this build applies upstream and mount changes at the next restart',
      )
    },
    app,
    upstream,
    store,
    files,
    localServer,
    get draining() {
      return draining
    },
    async close(graceMs = config.shutdownGraceMs) {
      if (draining) return
      draining = true
      clearInterval(timer)
      const deadline = new Promise((r) => setTimeout(r, graceMs).unref())
      const closed = app.close()
      // A keep-alive connection (a load balancer's pool) whose last response has gone would hold
      // close() for keepAliveTimeout: closing idle ones as requests end lets the drain finish early.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100)
      await Promise.race([closed, deadline])
      clearInterval(sweep)
      await upstream.drain(Math.max(0, graceMs))
      await cache.stop()
      await store.close().catch(() => undefined)
      await localServer?.close()
    },
  }
}

function localServerLogger(log: Logger): {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
} {
  return {
    info: (obj, msg) => log.debug(obj, msg),
    warn: (obj, msg) => log.warn(obj, msg),
  }
}
