/**
 * Per-request WebDAV state and the helpers every DAV handler shares: the identity the plugin
 * authenticated, its scope (whose tree, whose locks), the services bound to that scope, the lock
 * tokens the `If` header submitted, one snapshot of the scope's lock table, hrefs, lock
 * enforcement and error answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isFileError } from '../../files/errors.js'
import { parentOf } from '../../files/paths.js'
import type { FileService, Identity, RelPath } from '../../files/types.js'
import { classifyError } from '../errors.js'
import { encodePath, pathFromRawUrl } from '../paths.js'
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../problem.js'
import { IfHeaderError } from './if-header.js'
import type { ListingBodies } from './listing-bodies.js'
import { covers, type DavLock, LockConflictError, LockLimitError, type LockManager } from './locks.js'
import type { PropertyStore } from './properties.js'
import type { DavScope } from './scope.js'
import { parseXml, XmlError } from './xml.js'

/** The mount point. */
export const DAV_PREFIX = '/dav'

/** Services the handlers run on; locks and properties are those of the request's scope. */
export interface DavServices {
  files: FileService
  locks: LockManager
  props: PropertyStore
  /** Rendered folder listings (PROPFIND); absent when the metadata cache is off. */
  bodies?: ListingBodies | undefined
}

/** What the plugin established before handing the request to webdav-server. */
export interface DavState {
  who: Identity
  /** Whose tree (store keys) and who owns the locks this request makes. */
  scope: DavScope
  /** The services bound to `scope`. */
  svc: DavServices
  path: RelPath
  trailingSlash: boolean
  /** Lock tokens the If header submitted (outside `Not`) that name this principal's own locks. */
  submitted: Set<string>
  /** The scope's lock table as it was when the request arrived. */
  locks: DavLock[]
  /** The XML body, read and checked before webdav-server saw the request (readBody returns it). */
  body?: Buffer | undefined
}

const states = new WeakMap<IncomingMessage, DavState>()

/** Attaches state to a raw request. */
export function setDavState(req: IncomingMessage, state: DavState): void {
  states.set(req, state)
}

/** The state of a raw request (set by the plugin before any handler runs). */
export function davState(req: IncomingMessage): DavState {
  const s = states.get(req)
  if (!s) throw new Error('WebDAV request without state')
  return s
}

/** The path-absolute href of a resource (path-absolute, so it is right behind any proxy). */
export function hrefOf(path: RelPath, isDir: boolean): string {
  if (path === '') return `${DAV_PREFIX}/`
  return `${DAV_PREFIX}/${encodePath(path)}${isDir ? '/' : ''}`
}

/** The drive path in a raw URL or path under /dav; 400 when it is not a valid path. */
export function davPath(rawUrl: string): { path: RelPath; trailingSlash: boolean } {
  try {
    return pathFromRawUrl(rawUrl, ['dav'])
  } catch (err) {
    throw new DavStatusError(400, err instanceof Error ? err.message : 'Bad path')
  }
}

/** A resource is locked against this request (423). */
export class LockedError extends Error {
  override readonly name = 'LockedError'
  constructor(readonly lockRoot: RelPath) {
    super(`/${lockRoot} is locked`)
  }
}

/** An error carrying the status to answer with. */
export class DavStatusError extends Error {
  override readonly name = 'DavStatusError'
  constructor(
    readonly status: number,
    message: string,
    readonly body?: string,
  ) {
    super(message)
  }
}

/**
 * Throws LockedError unless the request submitted the token of every lock that protects `path`:
 * locks covering it, with `subtree` also locks below it (delete, move), with `membership` also a
 * depth-0 lock on the parent (adding or removing a member changes the collection).
 */
export function assertUnlocked(
  state: DavState,
  path: RelPath,
  options: { subtree?: boolean; membership?: boolean } = {},
): void {
  for (const lock of state.locks) {
    const relevant =
      covers(lock, path) ||
      (options.subtree === true && (path === '' || lock.path.startsWith(`${path}/`))) ||
      (options.membership === true && path !== '' && lock.path === parentOf(path))
    if (relevant && !state.submitted.has(lock.token)) throw new LockedError(lock.path)
  }
}

/**
 * The body of a LOCK refused because the caller (or the drive) holds as many locks as allowed:
 * 507 (the server cannot store more lock state) with a stable precondition element to tell it
 * from a full disk.
 */
export const LOCK_LIMIT_BODY =
  '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><G:lock-limit-reached xmlns:G="urn:ftp-gateway:dav"/></D:error>'

/** The status for anything a DAV handler throws. */
export function statusOf(err: unknown): { status: number; headers: Record<string, string>; body?: string } {
  if (err instanceof DavStatusError)
    return { status: err.status, headers: {}, ...(err.body ? { body: err.body } : {}) }
  if (err instanceof IfHeaderError) return { status: 400, headers: {} }
  if (err instanceof LockLimitError) return { status: 507, headers: {}, body: LOCK_LIMIT_BODY }
  if (err instanceof LockedError || err instanceof LockConflictError) {
    const body = `<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:lock-token-submitted><D:href>${hrefOf(err instanceof LockedError ? err.lockRoot : '', false)}</D:href></D:lock-token-submitted></D:error>`
    return { status: 423, headers: {}, ...(err instanceof LockedError ? { body } : {}) }
  }
  // Request paths are validated before any file operation (davPath), so a bad name reported here
  // is the FTP server refusing it (vsftpd's 553 on an unwritable directory): a permission failure,
  // 403 and never 401, which would make Windows ask for the password again.
  if (isFileError(err, 'FILE_ERR_BAD_PATH')) return { status: 403, headers: {} }
  // COPY/MOVE onto an existing resource with `Overwrite: F` is 412 (RFC 4918 §10.6): in WebDAV the
  // Overwrite header is a precondition, where REST's `overwrite: false` makes it a 409.
  if (isFileError(err, 'FILE_ERR_EXISTS')) return { status: 412, headers: {} }
  const p = classifyError(err)
  return { status: p.status, headers: p.headers }
}

/** Writes a complete response (no-op when one was already started). */
export function send(
  res: ServerResponse,
  status: number,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.destroy()
    return
  }
  res.statusCode = status
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  if (body === undefined) {
    res.setHeader('content-length', '0')
    res.end()
    return
  }
  if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/xml; charset=utf-8')
  res.setHeader('content-length', Buffer.byteLength(body))
  res.end(body)
}

/** Answers an error; a stream already under way is cut so the client sees a broken transfer. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof XmlError) {
    // A refused body says why with its catalogue code (GW_ERR_BAD_XML, GW_ERR_XML_LIMIT).
    const p = classifyError(err)
    const st = res.req ? states.get(res.req) : undefined
    // Before the plugin hands the request on, the raw URL still carries its /dav prefix.
    const instance = st
      ? hrefOf(st.path, st.trailingSlash)
      : ((res.req?.url ?? DAV_PREFIX).split('?')[0] ?? DAV_PREFIX)
    const problem = buildProblem(p, instance, String(res.getHeader('x-request-id') ?? ''))
    send(res, p.status, JSON.stringify(problem), { ...p.headers, 'content-type': PROBLEM_CONTENT_TYPE })
    return
  }
  const { status, headers, body } = statusOf(err)
  send(res, status, body, headers)
}

/** Methods whose XML body the plugin reads and checks before webdav-server sees the request. */
export const XML_BODY_METHODS: ReadonlySet<string> = new Set(['PROPFIND', 'PROPPATCH', 'LOCK'])

/**
 * Reads an XML body and parses it when it is not blank, so that a malformed or over-limit body is
 * refused (XmlError, DavStatusError 413) before webdav-server, which stats the resource over FTP
 * before any method handler runs, is involved.
 */
export async function readXmlBody(req: IncomingMessage): Promise<Buffer> {
  const body = await readBody(req)
  if (body.toString('utf8').trim() !== '') parseXml(body)
  return body
}

/**
 * Reads a request body up to `limit` bytes (XML bodies of PROPFIND, PROPPATCH, LOCK); the body
 * the plugin already read (DavState.body) when there is one.
 */
export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  const kept = states.get(req)?.body
  if (kept) return kept
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > limit) throw new DavStatusError(413, 'Request body too large')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/** The XML preamble of every DAV body. */
export const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'
