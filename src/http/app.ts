/**
 * The Fastify application. `gatewayApp` is the app as a plugin (routes, error handling, OpenAPI),
 * kept apart from process concerns; `createServer` builds the Fastify instance around it with the
 * server options the gateway needs (request ids, proxy trust, timeouts, limits, log redaction).
 * main.ts owns listening, signals and shutdown.
 */
import { randomUUID } from 'node:crypto'
import type { ServerOptions as HttpServerOptions } from 'node:http'
import type { Server as TlsServer } from 'node:tls'
import type { Tracer } from '@opentelemetry/api'
import fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyServerOptions,
} from 'fastify'
import type { Logger } from 'pino'
import type { AppPasswordApi } from '../auth/authenticator.js'
import type { OidcSignIn } from '../auth/oidc-signin.js'
import type { Authenticator, SessionApi } from '../auth/types.js'
import type { GatewayConfig, TlsConfig, TrustProxy } from '../config.js'
import type { FileService, Identity } from '../files/types.js'
import type { Store } from '../store/store.js'
import { bodyIdleTimeoutHook } from './body-timeout.js'
import { browsePlugin } from './browse/index.js'
import { guardConnections } from './connections.js'
import { crossSiteHook } from './cross-site.js'
import { healthRoutes, type Readiness } from './health.js'
import { maskRequestUrls } from './log-url.js'
import type { GatewayStats } from './metrics.js'
import { registerOpenApi } from './openapi.js'
import { clientErrorHandler, installProblemHandlers, sendProblem } from './problem.js'
import { productionFace } from './production.js'
import { runInRequest } from './request-context.js'
import type { AdminApi, BanApi } from './rest/admin.js'
import type { CredentialRoutesOptions } from './rest/credentials.js'
import { apiRoutes } from './rest/index.js'
import type { UpstreamAccount } from './rest/me.js'
import { ProblemSchema } from './rest/schemas.js'
import { ShareStore } from './share-store.js'
import { sharesPlugin } from './shares/index.js'
import { tlsServerOptions, watchCertificate } from './tls.js'
import { trustedPeers } from './trusted-peers.js'
import { webdavPlugin } from './webdav/plugin.js'

/** What the app runs on. */
export interface AppDeps {
  config: GatewayConfig
  files: FileService
  auth: Authenticator
  /** The API session store; without it `/api/v1/sessions` is not mounted. */
  sessions?: SessionApi | undefined
  /** The browser's OpenID sign-in (`oidc` configured); without it `/auth/*` is not mounted. */
  signIn?: OidcSignIn | undefined
  /** Readiness check for `/readyz`; without it the instance is always ready. */
  readiness?: Readiness | undefined
  /** Shared state (WebDAV locks and dead properties, rate limits; its errors are counted in /metrics). */
  store: Store
  /** What the admin API acts on; without it `/api/v1/admin` is not mounted. */
  admin?: AdminApi | undefined
  /** The shared ban list: `/api/v1/admin/bans` (with `admin`) and the ban gauge in /metrics. */
  bans?: (BanApi & { countActive(): Promise<Record<string, number>> }) | undefined
  /** Pool and cache counters for /metrics; omitted in tests that do not need them. */
  stats?: (() => GatewayStats) | undefined
  /** Which files an identity sees (scopes WebDAV locks and properties); one upstream 'default' when omitted. */
  viewOf?: ((who: Identity) => string) | undefined
  /** App passwords (`/api/v1/me/app-passwords`); not mounted without them. */
  appPasswords?: AppPasswordApi | undefined
  /** Linked FTP accounts on mapped upstreams (`/api/v1/me/credentials`); not mounted without them. */
  links?: Omit<CredentialRoutesOptions, 'policy'> | undefined
  /** How each upstream is reached for `who` (`/api/v1/me`); omitted: an empty list. */
  accountsOf?: ((who: Identity) => UpstreamAccount[]) | undefined
  /** The upstream a path lives on for `who` (audit lines); omitted: none named. */
  upstreamOf?: ((who: Identity, path: string) => string | undefined) | undefined
  /** OpenTelemetry tracer (src/tracing.ts); without it nothing is traced and tracing.ts is never loaded. */
  tracer?: Tracer | undefined
}

/**
 * The one list of log paths pino must censor, for the logger main.ts builds and the one
 * createServer builds: credentials in request headers, passwords wherever a logged object nests
 * them (a login body, an error's details, a config's upstream URL).
 */
export const LOG_REDACT_PATHS: readonly string[] = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'password',
  '*.password',
  '*.*.password',
  'body.password',
  'config.upstreams[*].url.password',
  'upstream.url.password',
  'config.oidc.clientSecret',
  'oidc.clientSecret',
])

/** pino's `redact` option with LOG_REDACT_PATHS: every logger of the gateway uses this one. */
export const LOG_REDACTION = Object.freeze({ paths: [...LOG_REDACT_PATHS], censor: '[redacted]' })

/** JSON bodies (move/copy, sessions) are small; uploads are streams and not limited by this. */
export const JSON_BODY_LIMIT = 1024 * 1024

/** Long enough for a 4096-byte path with every byte percent-encoded, plus the prefix. */
export const MAX_PARAM_LENGTH = 16_384

// Incoming ids are echoed into logs and headers: only short, plain tokens are accepted.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The request id: a safe incoming `X-Request-Id`, or a random UUID. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID()
}

/** The app as a plugin. It does not encapsulate: handlers and the `swagger()` decorator land on the parent. */
export const gatewayApp: FastifyPluginAsync<AppDeps> = async (app, deps) => {
  installProblemHandlers(app)
  app.addSchema(ProblemSchema)
  // First hook: everything the request does after this (FTP commands included) logs its id.
  app.addHook('onRequest', (request, _reply, done) => runInRequest(request.id, done))
  let auth = deps.auth
  let sessions = deps.sessions
  if (deps.tracer) {
    // Loaded only when traced: an untraced gateway pays nothing, not even the import.
    const tracing = await import('./tracing.js')
    await app.register(tracing.tracingPlugin, { tracer: deps.tracer })
    auth = tracing.tracedAuthenticator(auth, deps.tracer)
    sessions = sessions && tracing.tracedSessions(sessions, deps.tracer)
  }
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    // No response of the gateway is ever to be sniffed as another type (set on raw: WebDAV hijacks).
    reply.raw.setHeader('x-content-type-options', 'nosniff')
  })
  // A request body that stops arriving ends the request (408), whatever route reads it (WebDAV too).
  app.addHook('onRequest', bodyIdleTimeoutHook(deps.config.httpBodyIdleTimeoutMs))
  // Metrics, rate limit, audit: before every route (child contexts copy hooks when created).
  await app.register(productionFace, {
    config: deps.config,
    stats: deps.stats,
    store: deps.store,
    upstreamOf: deps.upstreamOf,
    activeBans: deps.bans && (() => (deps.bans as NonNullable<AppDeps['bans']>).countActive()),
  })
  // Writes a page of another site makes with the browser's credentials: refused before any route.
  app.addHook('onRequest', crossSiteHook())
  await registerOpenApi(app)
  // Share links (issue 20): one store for the API that makes them and the public face that serves them.
  const shares = new ShareStore(deps.store, deps.config.sessionKey)
  await app.register(healthRoutes, { readiness: deps.readiness })
  await app.register(apiRoutes, {
    prefix: '/api/v1',
    files: deps.files,
    auth,
    sessions,
    admin: deps.admin && {
      api: deps.admin,
      policy: { users: deps.config.gatewayAdmins, groups: deps.config.gatewayAdminGroups },
      bans: deps.bans,
    },
    uploads: {
      store: deps.store,
      sessionKey: deps.config.sessionKey,
      maxBytes: deps.config.uploadMaxBytes,
      expiryMs: deps.config.uploadExpiryMs,
    },
    zip: { maxBytes: deps.config.zipMaxBytes, scope: deps.store },
    accountsOf: deps.accountsOf,
    appPasswords: deps.appPasswords && {
      api: deps.appPasswords,
      policy: { users: deps.config.gatewayAdmins, groups: deps.config.gatewayAdminGroups },
    },
    links: deps.links && {
      ...deps.links,
      policy: { users: deps.config.gatewayAdmins, groups: deps.config.gatewayAdminGroups },
    },
    shares: {
      shares,
      policy: { users: deps.config.gatewayAdmins, groups: deps.config.gatewayAdminGroups },
      maxLifetimeMs: deps.config.shareMaxLifetimeMs,
    },
  })
  // Further faces register here, one line each: WebDAV (/dav), browse (/browse), metrics (/metrics).
  await app.register(webdavPlugin, {
    files: deps.files,
    auth,
    store: deps.store,
    config: deps.config,
    viewOf: deps.viewOf,
  })
  await app.register(browsePlugin, {
    files: deps.files,
    auth,
    sessions,
    signIn: deps.signIn,
    // A password signs in where an FTP server checks it (a passthrough upstream) or htpasswd does.
    passwordSignIn: !deps.config.serviceAccount || deps.config.htpasswdFile !== undefined,
  })
  await app.register(sharesPlugin, {
    files: deps.files,
    shares,
    rateLimit: deps.config.shareRateLimit,
    zipMaxBytes: deps.config.zipMaxBytes,
    store: deps.store,
  })
}
// What fastify-plugin does (not a direct dependency): run in the parent's context, not a child's.
Object.assign(gatewayApp, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'ftp-gateway',
})

function isLoggerInstance(logger: unknown): logger is Logger {
  return typeof logger === 'object' && logger !== null && typeof (logger as Logger).child === 'function'
}

/**
 * TRUST_PROXY as Fastify takes it. A hop count becomes a function: Fastify 5 reads a plain number
 * as "trust nobody" (it cannot check the peer), while a hop count means the nearest `hops`
 * addresses (the socket peer first) are proxies; the deployment must then let only its proxy
 * reach the gateway. request.ip, request.protocol and request.host all follow this one setting.
 */
function fastifyTrustProxy(trust: TrustProxy): NonNullable<FastifyServerOptions['trustProxy']> {
  if (trust === false) return false
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust
  return [...trust]
}

/** Options of createServer. */
export interface ServerOptions {
  /** Fastify logger options (redaction is added), or a ready pino logger (build it with LOG_REDACTION). */
  logger?: FastifyServerOptions['logger'] | Logger
}

/** Builds the Fastify instance with the gateway registered (not listening yet). */
export function createServer(deps: AppDeps, options: ServerOptions = {}): FastifyInstance {
  const logger = options.logger ?? false
  const headersTimeout = deps.config.httpHeadersTimeoutMs
  const http: HttpServerOptions = {
    // Slowloris: the whole header section within headersTimeout, else 408 (clientErrorHandler).
    // Node checks it every connectionsCheckingInterval (default 30 s, far too coarse for this).
    headersTimeout,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
  }
  const tls = deps.config.tls
  const base: FastifyServerOptions = {
    trustProxy: fastifyTrustProxy(deps.config.trustProxy),
    genReqId: (req) => requestIdFor(req.headers['x-request-id']),
    requestIdHeader: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Transfers last as long as they last; a body that stops arriving is body-timeout.ts's business.
    requestTimeout: 0,
    // Idle time allowed between keep-alive requests (before the first one: headersTimeout).
    keepAliveTimeout: deps.config.httpKeepAliveTimeoutMs,
    bodyLimit: JSON_BODY_LIMIT,
    clientErrorHandler,
    // Errors before routing (an undecodable URL) get problem+json like everything else.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id)
      sendProblem(request, reply, error)
    },
    return503OnClosing: true,
  }
  let app: FastifyInstance
  if (isLoggerInstance(logger)) {
    app = fastify({
      ...base,
      ...serverKind(tls, http),
      loggerInstance: logger as FastifyBaseLogger,
    }) as unknown as FastifyInstance
  } else {
    const loggerOptions =
      logger === false
        ? false
        : {
            ...(typeof logger === 'object' ? logger : {}),
            redact: LOG_REDACTION,
          }
    app = fastify({ ...base, ...serverKind(tls, http), logger: loggerOptions }) as unknown as FastifyInstance
  }
  // Sign-in codes and states in callback URLs never reach the log.
  maskRequestUrls(app)
  let lastRefusalLog = 0
  guardConnections(app.server, {
    maxPerAddress: deps.config.httpMaxConnectionsPerAddress,
    // A load balancer carries every client's connections: capping it would cap the whole site.
    exempt: trustedPeers(deps.config.trustProxy),
    // One line per 10 s at most: the refused client could otherwise fill the log.
    onRefused: (address) => {
      const now = Date.now()
      if (now - lastRefusalLog < 10_000) return
      lastRefusalLog = now
      app.log.warn({ address }, 'connection refused: too many open connections from this address')
    },
  })
  if (tls) {
    const stop = watchCertificate(app.server as unknown as TlsServer, tls, {
      onReloaded: (fingerprint) =>
        app.log.info({ fingerprint }, 'TLS certificate reloaded: new connections use it'),
      onRejected: (message) => app.log.warn(`${message}; the previous certificate stays in use`),
    })
    app.addHook('onClose', async () => stop())
  }
  app.register(gatewayApp, deps)
  return app
}

/**
 * The server Fastify builds: plain HTTP, or HTTPS with the certificate on disk and TLS 1.2 at
 * least. The http options (timeouts) go to whichever it is: Fastify reads `http` only for plain
 * HTTP, and https.createServer takes the same fields beside the TLS ones.
 */
function serverKind(tls: TlsConfig | undefined, http: HttpServerOptions): { http: HttpServerOptions } {
  // Fastify's types tie `https` to the instance's generic server type; the gateway's instance is
  // typed as plain HTTP everywhere (the request and reply objects are the same for both).
  if (!tls) return { http }
  return { https: { ...http, ...tlsServerOptions(tls) } } as unknown as { http: HttpServerOptions }
}
