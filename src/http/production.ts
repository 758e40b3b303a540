/**
 * The production face: `/metrics`, the per-client rate limit, request metrics, the active-transfers
 * gauge and the audit line of every write (REST and WebDAV), all from app-level hooks so no route file changes.
 *
 * It must be registered BEFORE the routes: Fastify copies a context's hooks into each child context
 * when the child is created, so a hook added to the root after `apiRoutes` was registered would never
 * run for the API. Registered early, it reaches every route of every face.
 */
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { GatewayConfig } from '../config.js'
import type { Identity } from '../files/types.js'
import type { Store } from '../store/store.js'
import { auditWrite, isAuditedWrite } from './audit.js'
import { warnOnUntrustedForwarding } from './forwarded-warning.js'
import { GatewayMetrics, type GatewayStats, type TransferDirection } from './metrics.js'
import { installRateLimit } from './rate-limit.js'

/** Options of the production face. */
export interface ProductionOptions {
  config: GatewayConfig
  stats?: (() => GatewayStats) | undefined
  /** The gateway's store: its errors are counted, and the rate limit counts in its Redis if it has one. */
  store: Store
  /** The upstream a path lives on for an identity (audit lines name it). */
  upstreamOf?: ((who: Identity, path: string) => string | undefined) | undefined
  /** The bans in force, by kind, for the metrics' gauge. */
  activeBans?: (() => Promise<Record<string, number>>) | undefined
}

/** Route label of requests no route matched: raw URLs never become labels. */
export const UNMATCHED_ROUTE = '(unmatched)'

// Bytes already attributed per connection: each response takes what its socket moved since the
// previous response on that socket closed, so keep-alive connections are counted exactly once.
const seen = new WeakMap<Socket, { read: number; written: number }>()

function socketDelta(socket: Socket | null): { read: number; written: number } {
  if (socket === null) return { read: 0, written: 0 }
  const last = seen.get(socket) ?? { read: 0, written: 0 }
  // light-my-request's fake sockets (app.inject) have no counters.
  const now = { read: socket.bytesRead || 0, written: socket.bytesWritten || 0 }
  seen.set(socket, now)
  return { read: now.read - last.read, written: now.written - last.written }
}

function transferDirection(method: string, route: string): TransferDirection | undefined {
  const file = route === '/api/v1/files/*' || route.startsWith('/dav')
  if (method === 'PATCH' && route === '/api/v1/uploads/:id') return 'upload'
  if (method === 'GET' && route === '/api/v1/zip/*') return 'download'
  if (!file) return undefined
  if (method === 'GET') return 'download'
  if (method === 'PUT') return 'upload'
  return undefined
}

function declaredLength(request: FastifyRequest): number | undefined {
  const raw = request.headers['content-length']
  return typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined
}

/** The plugin (runs in its parent's context, like gatewayApp). */
export const productionFace: FastifyPluginAsync<ProductionOptions> = async (app, options) => {
  const metrics = new GatewayMetrics({
    stats: options.stats,
    store: options.store,
    activeBans: options.activeBans,
  })
  app.addHook('onClose', async () => metrics.close())

  app.addHook('onRequest', async (request, reply) => {
    const started = process.hrtime.bigint()
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE
    const direction = transferDirection(request.method, route)
    const transferEnded = direction ? metrics.transferStarted(direction) : undefined
    const res = reply.raw
    // As it arrived: the WebDAV face rewrites raw.url while serving.
    const rawUrl = request.raw.url ?? ''
    // 'close' fires once per response whether it finished or the connection broke mid-transfer,
    // which onResponse does not promise; the request and its socket are captured now.
    res.once('close', () => {
      transferEnded?.()
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const bytes = socketDelta(request.raw.socket)
      metrics.observeRequest(request.method, route, res.statusCode, seconds, bytes.read, bytes.written)
      if (isAuditedWrite(request.method, route)) {
        const receivedBytes = declaredLength(request) ?? 0
        auditWrite(request, {
          route,
          rawUrl,
          status: res.statusCode,
          finished: res.writableFinished,
          receivedBytes,
          upstreamOf: options.upstreamOf,
        })
      }
    })
  })

  warnOnUntrustedForwarding(app as FastifyInstance, options.config.trustProxy)
  await installRateLimit(app as FastifyInstance, options.config, options.store, () => metrics.rateLimited())

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await metrics.registry.metrics()
    return reply.type(metrics.registry.contentType).send(body)
  })
}
// Like gatewayApp: hooks and routes land on the parent, so they reach every later context.
Object.assign(productionFace, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'ftp-gateway-production',
})
