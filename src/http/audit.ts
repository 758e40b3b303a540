/**
 * Audit events: one log line per write, through every face (REST, WebDAV, and the browse page,
 * whose writes are REST calls), on the request's logger so it carries the request id, marked
 * `audit: true` so log pipelines can route it apart. One app-level hook (production.ts) audits
 * every write when its response closes, recognising writes by method and route pattern: no route
 * or DAV handler audits itself. Never logs a credential: `user` is the person authenticated
 * (Identity.principal), `groups` theirs (mount rules match them), `method` how they authenticated
 * (basic, token, jwt, cookie), `ftpUser` the FTP account the request ran as.
 */
import type { FastifyRequest } from 'fastify'
import type { Identity } from '../files/types.js'
import { callerIdentity } from './identity.js'
import { displayPath, pathFromBody, pathFromRawUrl, pathFromUrl } from './paths.js'

/** What was written. */
export type AuditAction =
  | 'upload'
  | 'delete'
  | 'mkdir'
  | 'rmdir'
  | 'move'
  | 'copy'
  | 'lock'
  | 'unlock'
  | 'proppatch'
  | 'drop-sessions'
  // An admin lifted a ban (rest/admin.ts); `to` is the ban's id. Bans starting are logged by auth.
  | 'ban-lift'
  // An admin reloaded the config file (POST /api/v1/admin/reload).
  | 'reload'
  // Resumable uploads: each step of an upload's life (its PATCHes are not audited one by one).
  | 'upload-create'
  | 'upload-complete'
  | 'upload-terminate'
  | 'upload-expire'
  // A folder zip downloaded (zip-download.ts): reads are not audited one by one, a whole folder is.
  | 'zip'
  // Share links (issue 20): made, revoked, and every use of one by whoever holds the link.
  | 'share-create'
  | 'share-delete'
  | 'share-use'
  // Issue 18: mapped FTP accounts linked and unlinked (`to`: the upstream), app passwords (`to`: the id).
  | 'link-account'
  | 'unlink-account'
  | 'app-password-create'
  | 'app-password-delete'

/** One audit event as the caller describes it. */
export interface AuditEntry {
  action: AuditAction
  /** The path acted on, as the client sees it ('/a/b.txt'); the source of a move or copy. */
  path: string | undefined
  /** The source of a move or copy (the same as `path`, named for log queries). */
  from?: string | undefined
  /** The target of a move or copy. */
  to?: string | undefined
  /** Bytes received (uploads), or bytes of the archive sent (zips). */
  size?: number | undefined
  outcome: 'success' | 'failure' | 'aborted'
  /** The HTTP status answered. */
  status?: number | undefined
  /** The problem code of a failure. */
  code?: string | undefined
  /** Who; defaults to the identity the face's authentication recorded for the request. */
  who?:
    | (Pick<Identity, 'user' | 'principal'> & Partial<Pick<Identity, 'groups' | 'method' | 'noFtpLogin'>>)
    | undefined
  /** The upstream (configured name) `path` lives on, and `to`'s when it differs. */
  upstream?: string | undefined
  toUpstream?: string | undefined
  /** The share link a public request used (its id). */
  share?: string | undefined
  /** The client address (share uses: nobody is signed in, the address is who). */
  address?: string | undefined
}

/** The logger an audit line goes to (a request's, or the app's for work no request asked for). */
export interface AuditLogger {
  info(obj: object, msg: string): void
}

/** Writes the audit line for `entry` on the request's logger (info level). */
export function audit(request: FastifyRequest, entry: AuditEntry): void {
  auditOn(request.log, { ...entry, who: entry.who ?? callerIdentity(request.raw) })
}

/** Writes the audit line for `entry` on `log` (an expiry found by a timer has no request). */
export function auditOn(log: AuditLogger, entry: AuditEntry): void {
  const who = entry.who
  log.info(
    {
      audit: true,
      action: entry.action,
      user: who?.principal,
      groups: who?.groups,
      method: who?.method,
      // A JWT's person has no FTP account of their own; the upstream's service account is in `upstream`.
      ftpUser: who?.noFtpLogin ? undefined : who?.user,
      upstream: entry.upstream,
      toUpstream: entry.toUpstream,
      path: entry.path,
      from: entry.from,
      to: entry.to,
      size: entry.size,
      outcome: entry.outcome,
      status: entry.status,
      code: entry.code,
      share: entry.share,
      address: entry.address,
    },
    'audit',
  )
}

/** How an audited write names its paths. */
type PathSource =
  /** The path after a URL prefix (['api', 'v1', 'files']). */
  | { url: readonly string[] }
  /** `from` and `to` in the JSON body (REST move/copy). */
  | { body: true }
  /** The path after /dav, and for MOVE/COPY the Destination header. */
  | { dav: true }

const DAV_ACTIONS: Record<string, AuditAction> = {
  PUT: 'upload',
  DELETE: 'delete',
  MKCOL: 'mkdir',
  MOVE: 'move',
  COPY: 'copy',
  PROPPATCH: 'proppatch',
  LOCK: 'lock',
  UNLOCK: 'unlock',
}

/** Every write by `METHOD route-pattern`, and how to read its paths. */
const WRITES: Record<string, { action: AuditAction; paths: PathSource }> = {
  'PUT /api/v1/files/*': { action: 'upload', paths: { url: ['api', 'v1', 'files'] } },
  'DELETE /api/v1/files/*': { action: 'delete', paths: { url: ['api', 'v1', 'files'] } },
  'POST /api/v1/dirs/*': { action: 'mkdir', paths: { url: ['api', 'v1', 'dirs'] } },
  'DELETE /api/v1/dirs/*': { action: 'rmdir', paths: { url: ['api', 'v1', 'dirs'] } },
  'POST /api/v1/move': { action: 'move', paths: { body: true } },
  'POST /api/v1/copy': { action: 'copy', paths: { body: true } },
  ...Object.fromEntries(
    Object.entries(DAV_ACTIONS).flatMap(([method, action]) =>
      ['/dav', '/dav/*'].map((route) => [`${method} ${route}`, { action, paths: { dav: true } as const }]),
    ),
  ),
}

/** True when the route is a write (audited by the app-level hook). */
export function isAuditedWrite(method: string, route: string | undefined): boolean {
  return route !== undefined && WRITES[`${method} ${route}`] !== undefined
}

/** What the hook knows about a finished write. */
export interface FinishedWrite {
  /** The route pattern it matched. */
  route: string
  /** The request URL as it arrived (a face may rewrite `request.raw.url` while serving). */
  rawUrl: string
  status: number
  /** False when the connection closed before the response was complete. */
  finished: boolean
  /** Bytes the client declared it was sending (uploads). */
  receivedBytes: number
  /** Names the upstream of a path (absent: none named). */
  upstreamOf?: ((who: Identity, path: string) => string | undefined) | undefined
}

/** Audits a finished write of any face. */
export function auditWrite(request: FastifyRequest, write: FinishedWrite): void {
  const spec = WRITES[`${request.method} ${write.route}`]
  if (spec === undefined) return
  let path: string | undefined
  let to: string | undefined
  const move = spec.action === 'move' || spec.action === 'copy'
  if ('url' in spec.paths) {
    const prefix = spec.paths.url
    path = safe(() => displayPath(pathFromRawUrl(write.rawUrl, prefix).path))
  } else if ('body' in spec.paths) {
    const body = request.body as { from?: unknown; to?: unknown } | undefined
    if (typeof body?.from === 'string') path = safe(() => displayPath(pathFromBody(body.from as string)))
    if (typeof body?.to === 'string') to = safe(() => displayPath(pathFromBody(body.to as string)))
  } else {
    path = safe(() => displayPath(pathFromRawUrl(write.rawUrl, ['dav']).path))
    const destination = request.headers.destination
    if (move && typeof destination === 'string')
      to = safe(() => displayPath(pathFromUrl(destination, ['dav'])))
  }
  const outcome = !write.finished ? 'aborted' : write.status < 400 ? 'success' : 'failure'
  const who = callerIdentity(request.raw)
  const where = (p: string | undefined) =>
    p === undefined || who === undefined ? undefined : write.upstreamOf?.(who, p)
  const upstream = where(path)
  const toUpstream = where(to)
  audit(request, {
    upstream,
    toUpstream: toUpstream === upstream ? undefined : toUpstream,
    action: spec.action,
    path,
    from: move ? path : undefined,
    to,
    size: spec.action === 'upload' ? write.receivedBytes : undefined,
    outcome,
    status: write.status,
  })
}

function safe(fn: () => string): string | undefined {
  try {
    return fn()
  } catch {
    return undefined
  }
}
