/**
 * Audit events: one log line per write (upload, delete, mkdir, rmdir, move, copy), on the request's
 * logger so it carries the request id, marked `audit: true` so log pipelines can route it apart.
 * The REST write routes are audited by one app-level hook (production.ts) recognising them by
 * route pattern; other faces (WebDAV) call `audit()` themselves. Never logs a credential: the user
 * name is the only part of the identity written.
 */
import type { FastifyRequest } from 'fastify'
import { displayPath, pathFromBody, pathFromRawUrl } from './paths.js'
import { requestIdentity } from './rest/identity.js'

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

/** One audit event as the caller describes it. */
export interface AuditEntry {
  action: AuditAction
  /** The path acted on, as the client sees it ('/a/b.txt'). */
  path: string | undefined
  /** The target of a move or copy. */
  to?: string | undefined
  /** Bytes received (uploads). */
  size?: number | undefined
  outcome: 'success' | 'failure' | 'aborted'
  /** The HTTP status answered. */
  status?: number | undefined
  /** The problem code of a failure. */
  code?: string | undefined
  /** The user; defaults to the identity the REST authentication hook recorded. */
  user?: string | undefined
}

/** Writes the audit line for `entry` on the request's logger (info level). */
export function audit(request: FastifyRequest, entry: AuditEntry): void {
  const user = entry.user ?? userOf(request)
  request.log.info(
    {
      audit: true,
      action: entry.action,
      user,
      path: entry.path,
      to: entry.to,
      size: entry.size,
      outcome: entry.outcome,
      status: entry.status,
      code: entry.code,
    },
    'audit',
  )
}

function userOf(request: FastifyRequest): string | undefined {
  try {
    return requestIdentity(request).user
  } catch {
    // Authentication failed or never ran: the write was refused before anyone was known.
    return undefined
  }
}

/** REST write routes by `METHOD route-pattern`, and how to read their paths. */
const REST_WRITES: Record<string, { action: AuditAction; prefix?: readonly string[] }> = {
  'PUT /api/v1/files/*': { action: 'upload', prefix: ['api', 'v1', 'files'] },
  'DELETE /api/v1/files/*': { action: 'delete', prefix: ['api', 'v1', 'files'] },
  'POST /api/v1/dirs/*': { action: 'mkdir', prefix: ['api', 'v1', 'dirs'] },
  'DELETE /api/v1/dirs/*': { action: 'rmdir', prefix: ['api', 'v1', 'dirs'] },
  'POST /api/v1/move': { action: 'move' },
  'POST /api/v1/copy': { action: 'copy' },
}

/** True when the route is a REST write (audited by the app-level hook). */
export function isRestWrite(method: string, route: string | undefined): boolean {
  return route !== undefined && REST_WRITES[`${method} ${route}`] !== undefined
}

/**
 * Audits a finished REST write. `finished` is false when the connection closed before the
 * response was complete (the client went away or the transfer broke).
 */
export function auditRestWrite(
  request: FastifyRequest,
  route: string,
  status: number,
  finished: boolean,
  receivedBytes: number,
): void {
  const spec = REST_WRITES[`${request.method} ${route}`]
  if (spec === undefined) return
  let path: string | undefined
  let to: string | undefined
  if (spec.prefix) {
    path = safe(() => displayPath(pathFromRawUrl(request.raw.url ?? '', spec.prefix ?? []).path))
  } else {
    const body = request.body as { from?: unknown; to?: unknown } | undefined
    if (typeof body?.from === 'string') path = safe(() => displayPath(pathFromBody(body.from as string)))
    if (typeof body?.to === 'string') to = safe(() => displayPath(pathFromBody(body.to as string)))
  }
  const outcome = !finished ? 'aborted' : status < 400 ? 'success' : 'failure'
  audit(request, {
    action: spec.action,
    path,
    to,
    size: spec.action === 'upload' ? receivedBytes : undefined,
    outcome,
    status,
  })
}

function safe(fn: () => string): string | undefined {
  try {
    return fn()
  } catch {
    return undefined
  }
}
