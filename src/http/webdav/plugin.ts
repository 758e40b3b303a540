/**
 * The WebDAV drive at /dav: webdav-server mounted in Fastify. A route-level onRequest hook hijacks
 * the reply (no Fastify parser touches the body), authenticates with the gateway's authenticator,
 * binds locks and properties to the caller's scope (scope.ts), takes one snapshot of that scope's
 * lock table, evaluates the `If` header with our own code (a token counts only for the principal
 * that created its lock), and hands the
 * request to webdav-server, whose method table holds our handlers for everything but MKCOL and
 * DELETE. Every handler is wrapped, so no request can take the process down.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { v2 } from 'webdav-server'
import type { Authenticator } from '../../auth/types.js'
import type { GatewayConfig } from '../../config.js'
import type { FileService, Identity, RelPath } from '../../files/types.js'
import type { Store } from '../../store/store.js'
import { formatEtag } from '../conditional.js'
import { setCallerIdentity } from '../identity.js'
import {
  DAV_PREFIX,
  type DavServices,
  type DavState,
  DavStatusError,
  davPath,
  davState,
  LockedError,
  readXmlBody,
  send,
  sendError,
  setDavState,
  statusOf,
  XML_BODY_METHODS,
} from './context.js'
import { copy, move } from './copy-move.js'
import { GatewayFileSystem } from './filesystem.js'
import { getOrHead, put } from './get-put.js'
import { evaluateIf, parseIfHeader } from './if-header.js'
import { ListingBodies } from './listing-bodies.js'
import { lock, unlock } from './lock-methods.js'
import { covers, LockManager } from './locks.js'
import { PropertyStore } from './properties.js'
import { propfind } from './propfind.js'
import { proppatch } from './proppatch.js'
import { davScopeOf, viewOfAccount } from './scope.js'

/** Options of the WebDAV plugin. */
export interface WebdavOptions {
  files: FileService
  auth: Authenticator
  /** Where locks and dead properties live: the gateway's store, shared by every instance on Redis. */
  store: Store
  config: GatewayConfig
  /**
   * Which files `who` sees (the lock and property scope): identities with the same view share
   * locks. Defaults to one upstream 'default' seen through the caller's FTP account.
   */
  viewOf?: ((who: Identity) => string) | undefined
}

type Handler = (svc: DavServices, req: IncomingMessage, res: ServerResponse) => Promise<void>

const EXTRA_METHODS = ['PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK']
const ALL_METHODS = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', ...EXTRA_METHODS]
const DAV_HEADERS = { dav: '1, 2', 'ms-author-via': 'DAV', allow: ALL_METHODS.join(', ') }
/** Bodies webdav-server buffers whole (MKCOL, DELETE) have no business being large. */
const BUFFERED_LIMIT = 64 * 1024

const OURS: Record<string, Handler> = {
  PROPFIND: propfind,
  PROPPATCH: proppatch,
  LOCK: lock,
  UNLOCK: unlock,
  COPY: copy,
  MOVE: move,
  GET: getOrHead,
  HEAD: getOrHead,
  PUT: put,
}

/** The WebDAV drive at /dav (and the OPTIONS probe Windows sends to the server root). */
export const webdavPlugin: FastifyPluginAsync<WebdavOptions> = async (app, opts) => {
  const store = opts.store
  const viewOf = opts.viewOf ?? ((who: Identity) => viewOfAccount('default', who.user))
  const shared = {
    files: opts.files,
    // As long as the metadata cache keeps a listing; 16 MiB holds ~20 folders of 1,000 entries.
    bodies:
      opts.config.cacheTtlMs > 0
        ? new ListingBodies({
            ttlMs: opts.config.cacheTtlMs,
            maxBytes: 16 * 1024 * 1024,
            maxBodyBytes: 4 * 1024 * 1024,
          })
        : undefined,
  }
  app.addHook('onClose', async () => shared.bodies?.clear())
  const dav = createDavServer(app, shared)

  for (const m of EXTRA_METHODS) {
    if (!app.supportedMethods.includes(m)) app.addHttpMethod(m, { hasBody: true })
  }
  // Windows' Mini-Redirector probes the server root before it mounts anything.
  app.options('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(DAV_HEADERS).code(200).send(),
  )

  const onRequest = (request: FastifyRequest, reply: { hijack(): void; raw: ServerResponse }) => {
    reply.hijack()
    handle(request, reply.raw).catch((err: unknown) => {
      // Refused requests (a bad body, a failed login) are the client's business, not an error here.
      if (statusOf(err).status >= 500) app.log.error({ err }, 'WebDAV request failed outside its handler')
      sendError(reply.raw, err)
    })
  }
  const handle = async (request: FastifyRequest, res: ServerResponse) => {
    const raw = request.raw
    const method = raw.method ?? 'GET'
    res.setHeader('x-request-id', request.id)
    const { path, trailingSlash } = davPath(raw.url ?? '')
    if (method === 'OPTIONS') return send(res, 200, undefined, DAV_HEADERS)
    if (method === 'MKCOL' || method === 'DELETE') {
      const length = Number(raw.headers['content-length'] ?? 0)
      // webdav-server would allocate Content-Length bytes up front, and ignores a chunked body.
      if (length > BUFFERED_LIMIT) return send(res, 413)
      if (raw.headers['transfer-encoding'] !== undefined) return send(res, 415)
    }
    const who = await opts.auth.authenticate(raw.headers.authorization, request.ip)
    setCallerIdentity(raw, who)
    // The tree's rules first: a change nobody may make here sends no FTP command (the library
    // would stat the resource before refusing).
    if (CHANGING_METHODS.has(method)) {
      if (method !== 'COPY') opts.files.assertMayChange?.(who, path)
      const destination = raw.headers.destination
      if ((method === 'COPY' || method === 'MOVE') && typeof destination === 'string') {
        const to = tagPath(destination)
        if (to !== undefined) opts.files.assertMayChange?.(who, to)
      }
    }
    const scope = davScopeOf(viewOf(who), who)
    const svc: DavServices = {
      ...shared,
      locks: new LockManager(store, scope.tree),
      props: new PropertyStore(store, scope.tree),
    }
    // Checked here: webdav-server stats the resource over FTP before our handler would parse it.
    const body = XML_BODY_METHODS.has(method) ? await readXmlBody(raw) : undefined
    // Only this tree's locks: another user's locks on their own tree never reach this request.
    const locks = await svc.locks.all()
    const state: DavState = { who, scope, svc, path, trailingSlash, submitted: new Set(), locks, body }
    const ifHeader = raw.headers.if
    if (typeof ifHeader === 'string') {
      // RFC 4918 §6.4: a lock token is usable only by the principal that created the lock.
      const own = new Map(locks.filter((l) => l.principal === scope.principal).map((l) => [l.token, l]))
      const outcome = await evaluateIf(parseIfHeader(ifHeader), path, {
        pathOf: (tag) => tagPath(tag),
        etagOf: (p) =>
          svc.files.stat(who, p).then(
            (s) => formatEtag(s.etag),
            () => undefined,
          ),
        tokenCovers: (token, p) => {
          const lock = own.get(token)
          return lock !== undefined && covers(lock, p)
        },
      })
      if (!outcome.passed) {
        // Someone else's token for a lock on this tree: the resource is locked against this caller.
        const foreign = locks.find((l) => l.principal !== scope.principal && outcome.tokens.includes(l.token))
        return sendError(res, foreign ? new LockedError(foreign.path) : new DavStatusError(412, 'If failed'))
      }
      state.submitted = new Set(outcome.tokens.filter((t) => own.has(t)))
      // webdav-server's own If parser passes everything and crashes on resource tags: hide it.
      delete raw.headers.if
    }
    setDavState(raw, state)
    raw.url = raw.url?.slice(DAV_PREFIX.length) || '/'
    dav.executeRequest(raw, res, DAV_PREFIX)
  }

  app.route({
    method: ALL_METHODS,
    url: DAV_PREFIX,
    // WebDAV is its own protocol (RFC 4918), not part of the REST contract.
    schema: { hide: true },
    onRequest: (request, reply) => onRequest(request, reply),
    handler: async () => undefined,
  })
  app.route({
    method: ALL_METHODS,
    url: `${DAV_PREFIX}/*`,
    schema: { hide: true },
    onRequest: (request, reply) => onRequest(request, reply),
    handler: async () => undefined,
  })
}
// Register in the parent's context (what fastify-plugin does): the added HTTP methods are global anyway.
Object.assign(webdavPlugin, { [Symbol.for('skip-override')]: true })

/** Methods that change the resource (or, for COPY, its destination). */
const CHANGING_METHODS = new Set(['PUT', 'MKCOL', 'DELETE', 'MOVE', 'COPY', 'PROPPATCH', 'LOCK'])

/** The drive path a resource tag in an If header names; undefined when it is not on this drive. */
function tagPath(tag: string): RelPath | undefined {
  try {
    const pathname = new URL(tag, 'http://tag.invalid').pathname
    if (pathname !== DAV_PREFIX && !pathname.startsWith(`${DAV_PREFIX}/`)) return undefined
    return davPath(pathname).path
  } catch {
    return undefined
  }
}

function createDavServer(app: FastifyInstance, shared: Pick<DavServices, 'files'>): v2.WebDAVServer {
  const dav = new v2.WebDAVServer({
    rootFileSystem: new GatewayFileSystem(shared),
    requireAuthentification: true,
    // The plugin has already authenticated; the library only needs a stable, non-admin user.
    httpAuthentication: {
      askForAuthentication: () => ({}),
      getUser: (_ctx, callback) => {
        callback(null as unknown as Error, { uid: 'dav', username: 'dav', isAdministrator: false })
      },
    },
    strictMode: true,
    respondWithPaths: true,
    maxRequestDepth: 1,
  })
  dav.beforeRequest((ctx, next) => {
    // The library sets permissive CORS headers and its own DAV header on every response.
    for (const h of [
      'Access-Control-Allow-Origin',
      'Access-Control-Allow-Credentials',
      'Access-Control-Expose-Headers',
      'Server',
    ])
      ctx.response.removeHeader(h)
    ctx.response.setHeader('DAV', DAV_HEADERS.dav)
    next()
  })
  for (const [name, handler] of Object.entries(OURS)) {
    dav.method(name, {
      isValidFor: () => true,
      chunked: (ctx, _input, _done) => {
        // Our handlers answer the response themselves; the library's exit would end it twice.
        handler(davState(ctx.request).svc, ctx.request, ctx.response).catch((err: unknown) => {
          if (statusOf(err).status >= 500) app.log.warn({ err }, 'WebDAV handler failed')
          sendError(ctx.response, err)
        })
      },
    })
  }
  return dav
}
