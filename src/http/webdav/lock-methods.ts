/**
 * LOCK and UNLOCK, replacing webdav-server's: the `Timeout` header is honoured, `Lock-Token` goes
 * out in angle brackets, conflicts are checked atomically in the shared lock table (an exclusive
 * lock is never granted over a shared one), a refresh finds the lock through the submitted token
 * (also from a member of a locked collection), and LOCK on a missing resource creates an empty file.
 * Locks belong to the scope's table and to the principal that made them: only it refreshes (its
 * own tokens are the only ones the plugin counts as submitted) or UNLOCKs them (403 otherwise).
 * Nobody locks what the gateway knows they cannot write (mayLock).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { isFileError } from '../../files/errors.js'
import { parentOf } from '../../files/paths.js'
import type { FileStat } from '../../files/types.js'
import {
  type DavServices,
  type DavState,
  DavStatusError,
  davState,
  readBody,
  send,
  XML_HEAD,
} from './context.js'
import { covers, type DavLock, parseTimeout } from './locks.js'
import { activeLocksXml, statForDav } from './propfind.js'
import { child, elements, parseXml, serialize } from './xml.js'

const DAV = 'DAV:'

function lockBody(lock: DavLock): string {
  return `${XML_HEAD}<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLocksXml([lock])}</D:lockdiscovery></D:prop>`
}

/**
 * The one place that decides whether this caller may lock this resource: a lock is a claim to
 * write, so nobody may lock what the gateway knows they cannot write. Today that is what the FTP
 * server says (MLSx `perm` facts, FileStat.writable) about the resource or, for a new resource,
 * its parent; a server without perm facts (vsftpd) is asked by creating the lock-null file.
 * Read-only mounts (issue 17) add their rule here.
 */
export function assertMayLock(
  _st: DavState,
  existing: FileStat | undefined,
  parent: FileStat | undefined,
): void {
  const judged = existing ?? parent
  if (judged?.writable === false)
    throw new DavStatusError(
      403,
      existing ? 'The resource is read-only for you' : 'The folder is read-only for you',
    )
}

/** The LOCK handler (new locks and refreshes). */
export async function lock(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const st = davState(req)
  const timeoutSec = parseTimeout(req.headers.timeout as string | undefined)
  const body = await readBody(req)
  if (body.toString('utf8').trim() === '') {
    // A refresh: the If header must name a lock that covers this resource.
    const held = st.locks.find((l) => st.submitted.has(l.token) && covers(l, st.path))
    if (!held) throw new DavStatusError(412, 'No lock token submitted for a refresh')
    const fresh = await svc.locks.refresh(held.token, timeoutSec)
    if (!fresh) throw new DavStatusError(412, 'The lock has expired')
    return send(res, 200, lockBody(fresh))
  }
  const info = parseXml(body)
  if (info.ns !== DAV || info.name !== 'lockinfo') throw new DavStatusError(400, 'Expected DAV:lockinfo')
  const scopeEl = child(info, DAV, 'lockscope')
  const scope = scopeEl && elements(scopeEl)[0]?.name
  const typeEl = child(info, DAV, 'locktype')
  if ((scope !== 'exclusive' && scope !== 'shared') || !typeEl || !child(typeEl, DAV, 'write')) {
    throw new DavStatusError(400, 'Only exclusive or shared write locks exist')
  }
  const ownerEl = child(info, DAV, 'owner')
  const depthHeader = ((req.headers.depth as string | undefined) ?? 'infinity').trim().toLowerCase()
  if (depthHeader !== '0' && depthHeader !== 'infinity')
    throw new DavStatusError(400, 'Depth must be 0 or infinity')

  const existing = await statForDav(svc.files, st.who, st.path).catch((err: unknown) => {
    if (isFileError(err, 'FILE_ERR_NOT_FOUND')) return undefined
    throw err
  })
  let parent: FileStat | undefined
  if (!existing && st.path !== '' && parentOf(st.path) !== '') {
    parent = await svc.files.stat(st.who, parentOf(st.path)).catch((err: unknown) => {
      throw isFileError(err, 'FILE_ERR_NOT_FOUND')
        ? new DavStatusError(409, 'Parent collection missing')
        : err
    })
  }
  assertMayLock(st, existing, parent)
  const granted = await svc.locks.create({
    path: st.path,
    scope,
    depth: depthHeader === '0' ? 0 : 'infinity',
    // Stored as standalone XML (default namespace DAV:) so its content round-trips as sent.
    owner: ownerEl ? serialize(ownerEl) : '',
    principal: st.scope.principal,
    timeoutSec,
  })
  let created = false
  if (!existing) {
    try {
      await svc.files.write(st.who, st.path, Readable.from([]), { ifNoneMatch: '*' })
      created = true
      await svc.props.removeWithin(st.path)
    } catch (err) {
      await svc.locks.remove(granted.token)
      throw err
    }
  }
  send(res, created ? 201 : 200, lockBody(granted), { 'lock-token': `<${granted.token}>` })
}

/** The UNLOCK handler. */
export async function unlock(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const st = davState(req)
  const header = (req.headers['lock-token'] as string | undefined)?.trim()
  const m = header ? /^<([^>]+)>$/.exec(header) : null
  if (!m) throw new DavStatusError(400, 'Lock-Token header missing or malformed')
  const token = m[1] as string
  const held = await svc.locks.get(token)
  if (!held || !covers(held, st.path)) {
    throw new DavStatusError(
      409,
      'The token does not name a lock on this resource',
      `${XML_HEAD}<D:error xmlns:D="DAV:"><D:lock-token-matches-request-uri/></D:error>`,
    )
  }
  // RFC 4918 §6.4: only the principal that created a lock removes it.
  if (held.principal !== st.scope.principal) throw new DavStatusError(403, 'The lock belongs to someone else')
  await svc.locks.remove(token)
  send(res, 204)
}
