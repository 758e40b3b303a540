/**
 * Wires the layers into one running gateway: store, each upstream (pool, caches, file service), the
 * tree over them, authentication and the HTTP app; in local mode also the embedded FTP server. Kept apart from
 * process concerns (signals, exit) so tests start and stop whole gateways in-process.
 */
import { mkdirSync } from 'node:fs'
import type { Tracer } from '@opentelemetry/api'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { type AuthDeps, createAuth } from './auth/index.js'
import { LinkedAccounts, withLinkedAccounts } from './auth/linked-accounts.js'
import { BANS_WITHOUT_TRUST_PROXY } from './config/trust-proxy.js'
import { type GatewayConfig, type UpstreamConfig, withLocalUpstream } from './config.js'
import type { Upstream } from './files/index.js'
import { createServer } from './http/app.js'
import { LocalFtpServer } from './local-server/index.js'
import { MountTable, TreeFileService, UpstreamRuntime } from './namespace/index.js'
import { FileReloader, type ReloadReport } from './reloader.js'
import { createStore, type Store } from './store/index.js'

/** A running gateway (not yet listening). */
export interface Gateway {
  /** The configuration in effect (a reload replaces it). */
  readonly config: GatewayConfig
  readonly app: FastifyInstance
  /** Every upstream, running, by name. */
  readonly upstreams: ReadonlyMap<string, UpstreamRuntime>
  /** The upstream mounted at `/` (else the first one): the single server of most deployments. */
  readonly upstream: Upstream
  readonly store: Store
  /** The tree the HTTP faces use. */
  readonly files: TreeFileService
  /** The embedded FTP server in local mode. */
  readonly localServer: LocalFtpServer | undefined
  /**
   * Takes a reloaded configuration's upstreams and mounts (SIGHUP): new requests see them at once,
   * requests in flight finish on what they started with; upstreams that changed or went away are
   * drained in the background. Other settings keep their start-time values.
   */
  reload(next: GatewayConfig): Promise<void>
  /**
   * Re-reads GATEWAY_CONFIG and applies it when valid (SIGHUP; `POST /api/v1/admin/reload` does the
   * same on every instance): see src/reloader.ts.
   */
  reloadFile(): Promise<ReloadReport>
  /** Readiness turns false at once; in-flight requests get up to `graceMs`; then everything closes. */
  close(graceMs?: number): Promise<void>
  readonly draining: boolean
}

/** What the process hands the gateway besides its configuration. */
export interface GatewayOptions {
  /** Traces requests with this tracer (src/tracing.ts starts it); absent: no tracing code runs. */
  tracer?: Tracer | undefined
  /** Tuning of the JWKS fetches of Bearer JWTs (tests shorten the cooldown). */
  jwt?: AuthDeps['jwt']
}

/** Builds a gateway from validated configuration. */
export async function createGateway(
  initial: GatewayConfig,
  logger: Logger,
  options: GatewayOptions = {},
): Promise<Gateway> {
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
  if (config.upstreams.length === 0) throw new Error('No upstream configured')
  if (config.trustProxyWarning) logger.warn(config.trustProxyWarning)

  const store = createStore({
    redisUrl: config.redisUrl,
    sentinels: config.redisSentinels,
    sentinelName: config.redisSentinelName,
    clusterNodes: config.redisClusterNodes,
    keyPrefix: config.redisKeyPrefix,
    logger: logger.child({ component: 'store' }),
  })
  // Said at start: the first banned client behind an unknown balancer would lock everyone out.
  if (config.trustProxy === false && store.kind === 'redis' && config.banBaseSeconds > 0) {
    logger.warn({ setting: 'TRUST_PROXY' }, BANS_WITHOUT_TRUST_PROXY)
  }

  let runtimes = new Map<string, UpstreamRuntime>()
  const build = async (cfg: GatewayConfig, reuse: Map<string, UpstreamRuntime>) => {
    const out = new Map<string, UpstreamRuntime>()
    for (const u of cfg.upstreams) {
      const same = reuse.get(u.name)
      if (same && sameUpstream(same.config, u)) {
        out.set(u.name, same)
        continue
      }
      const rt = new UpstreamRuntime(u, {
        store,
        logger,
        cacheTtlMs: cfg.cacheTtlMs,
        // One budget for the process, shared out: caches are per upstream (paths are per server).
        contentMaxBytes: Math.floor(cfg.cacheContentMaxBytes / cfg.upstreams.length),
        contentMaxFileBytes: cfg.cacheContentMaxFileBytes,
        memoryTuning: cfg.memoryTuning,
      })
      await rt.start()
      out.set(u.name, rt)
    }
    return out
  }
  const tableOf = (cfg: GatewayConfig) =>
    new MountTable(cfg.mounts, new Set(cfg.upstreams.filter((u) => u.readOnly).map((u) => u.name)))
  runtimes = await build(config, runtimes)
  const files = new TreeFileService({ table: tableOf(config), upstreams: runtimes })
  const main = () => {
    const root = config.mounts.find((m) => m.path === '/')?.upstream ?? config.upstreams[0]?.name ?? ''
    return (runtimes.get(root) ?? [...runtimes.values()][0]) as UpstreamRuntime
  }
  const auth = createAuth({
    config,
    store,
    files,
    logger: logger.child({ component: 'auth' }),
    ...(options.jwt ? { jwt: options.jwt } : {}),
  })

  // Mapped upstreams: each person's linked FTP account, loaded with their identity on every request.
  const links = new LinkedAccounts({
    store,
    sessionKey: config.sessionKey,
    targets: {
      kindOf: (name) => files.credentialsOf(name),
      verify: (name, who) => files.verifyLoginOn(name, who),
    },
  })
  const authenticator = withLinkedAccounts(auth.authenticator, links, () =>
    config.upstreams.some((u) => u.credentials === 'mapped'),
  )

  let draining = false
  let storeOk = false
  // Probes run in the background so /readyz answers from memory, cheap enough every second.
  const probe = async () => {
    await Promise.all([...runtimes.values()].map((rt) => rt.probe()))
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
      auth: authenticator,
      appPasswords: auth.appPasswords,
      links: { links, guard: auth.guard },
      sessions: auth.sessions,
      signIn: auth.signIn,
      admin: {
        dropUserSessions: (user) => files.dropUserSessions(user),
        reload: () => reloader.reloadEverywhere(store),
      },
      bans: auth.bans,
      store,
      viewOf: (who) => files.viewOf(who),
      accountsOf: (who) => files.accountsOf(who),
      upstreamOf: (who, path) => files.whereIs(who, path),
      tracer: options.tracer,
      stats: () => {
        const pools: Record<string, ReturnType<Upstream['pool']['stats']>> = {}
        let hits = 0
        let misses = 0
        const content = { hits: 0, misses: 0, bytes: 0 }
        for (const [name, rt] of runtimes) {
          pools[name] = rt.upstream.pool.stats()
          hits += rt.cache.hits
          misses += rt.cache.misses
          content.hits += rt.content.hits
          content.misses += rt.content.misses
          content.bytes += rt.content.size
        }
        return { pools, cache: { hits, misses }, content }
      },
      readiness: async () => {
        const up = [...runtimes.values()]
        const checks: Record<string, string> = {
          draining: draining ? 'yes' : 'no',
          // Ready while at least one upstream answers: the others' mounts answer 503 meanwhile.
          upstream: up.some((rt) => rt.healthy) ? 'ok' : 'unreachable',
          store: storeOk ? 'ok' : 'unreachable',
        }
        for (const rt of up) checks[`upstream:${rt.name}`] = rt.healthy ? 'ok' : 'unreachable'
        return {
          // A store outage leaves Basic-auth transfers working, so it fails readiness only on request.
          ok: !draining && up.some((rt) => rt.healthy) && (storeOk || !config.readyRequiresStore),
          checks,
        }
      },
    },
    { logger },
  )

  const retired = new Set<Promise<void>>()
  const gateway: Gateway = {
    get config() {
      return config
    },
    app,
    get upstreams() {
      return runtimes
    },
    get upstream() {
      return main().upstream
    },
    store,
    files,
    localServer,
    get draining() {
      return draining
    },
    async reload(next: GatewayConfig) {
      if (draining) return
      const previous = runtimes
      const fresh = await build(next, previous)
      const table = tableOf(next)
      files.replace({ table, upstreams: fresh })
      runtimes = fresh
      config = { ...config, upstreams: next.upstreams, mounts: next.mounts }
      for (const [name, rt] of previous) {
        if (fresh.get(name) === rt) continue
        // Transfers in flight keep their sessions; the old pool closes once they are done.
        const closing = rt.close(config.shutdownGraceMs * 10).finally(() => retired.delete(closing))
        retired.add(closing)
      }
      logger.info(
        { upstreams: next.upstreams.map((u) => u.name), mounts: next.mounts.map((m) => m.path) },
        'configuration reloaded',
      )
    },
    reloadFile: () => reloader.reload(),
    async close(graceMs = config.shutdownGraceMs) {
      if (draining) return
      draining = true
      clearInterval(timer)
      await stopListening().catch(() => undefined)
      const deadline = new Promise((r) => setTimeout(r, graceMs).unref())
      const closed = app.close()
      // A keep-alive connection (a load balancer's pool) whose last response has gone would hold
      // close() for keepAliveTimeout: closing idle ones as requests end lets the drain finish early.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100)
      await Promise.race([closed, deadline])
      clearInterval(sweep)
      await Promise.all([...runtimes.values()].map((rt) => rt.close(graceMs)))
      await Promise.all([...retired].map((p) => p.catch(() => undefined)))
      await store.close().catch(() => undefined)
      await localServer?.close()
    },
  }
  const reloader = new FileReloader({
    current: () => config,
    apply: async (next) => {
      await gateway.reload(next)
      // The tree is in place; the live settings (config/reload.ts LIVE_SETTINGS) follow.
      config = next
      logger.level = next.logLevel
    },
    logger,
  })
  const stopListening = await reloader.listen(store)
  return gateway
}

/** Whether two configurations of one upstream would build the same runtime. */
function sameUpstream(a: UpstreamConfig, b: UpstreamConfig): boolean {
  return JSON.stringify(a, bufferAsText) === JSON.stringify(b, bufferAsText)
}

function bufferAsText(_key: string, value: unknown): unknown {
  return value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer'
    ? Buffer.from((value as { data: number[] }).data).toString('base64')
    : value
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
