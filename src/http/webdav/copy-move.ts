/**
 * COPY and MOVE, replacing webdav-server's: `Overwrite` defaults to T (RFC 4918 §10.6), COPY
 * honours Depth, locks are checked on both ends by submitted token, and dead properties travel with
 * the resources (locks stay behind: a lock belongs to a URL, and the source's vanish with it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { assertSeparate } from '../../files/safe-replace.js'
import type { RelPath } from '../../files/types.js'
import {
  assertUnlocked,
  DAV_PREFIX,
  type DavServices,
  DavStatusError,
  davPath,
  davState,
  send,
} from './context.js'

/** The relative path a Destination header names; 502 when it points outside this drive. */
export function destinationOf(header: string | undefined): RelPath {
  if (header === undefined || header.trim() === '')
    throw new DavStatusError(400, 'Destination header missing')
  let pathname: string
  try {
    pathname = new URL(header.trim(), 'http://destination.invalid').pathname
  } catch {
    throw new DavStatusError(400, 'Destination is not a URL')
  }
  if (pathname !== DAV_PREFIX && !pathname.startsWith(`${DAV_PREFIX}/`)) {
    throw new DavStatusError(502, 'Destination is not on this drive')
  }
  return davPath(pathname).path
}

function overwriteOf(header: string | undefined): boolean {
  const v = (header ?? 'T').trim().toUpperCase()
  if (v !== 'T' && v !== 'F') throw new DavStatusError(400, 'Overwrite must be T or F')
  return v === 'T'
}

function depthOf(header: string | undefined): 0 | 'infinity' {
  const d = (header ?? 'infinity').trim().toLowerCase()
  if (d === '0') return 0
  if (d === 'infinity') return 'infinity'
  throw new DavStatusError(400, 'Depth must be 0 or infinity')
}

async function prepare(svc: DavServices, req: IncomingMessage) {
  const st = davState(req)
  const to = destinationOf(req.headers.destination as string | undefined)
  const overwrite = overwriteOf(req.headers.overwrite as string | undefined)
  const depth = depthOf(req.headers.depth as string | undefined)
  if (st.path === '' || to === '')
    throw new DavStatusError(403, 'The root cannot be copied, moved or replaced')
  // The same rule the file service applies, checked first so an overlap is refused (403, RFC 4918
  // §9.8.5/§9.9.4) before anything is asked of the server.
  assertSeparate(st.path, to)
  const source = await svc.files.stat(st.who, st.path)
  assertUnlocked(st, to, { subtree: true, membership: true })
  return { st, to, overwrite, depth, source }
}

/** The COPY handler. */
export async function copy(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { st, to, overwrite, depth, source } = await prepare(svc, req)
  const { replaced } = await svc.files.copy(st.who, st.path, to, {
    overwrite,
    depth: source.type === 'dir' ? depth : 'infinity',
  })
  await svc.props.transfer(st.path, to, { move: false, depth })
  send(res, replaced ? 204 : 201)
}

/** The MOVE handler. */
export async function move(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { st, to, overwrite, depth } = await prepare(svc, req)
  if (depth !== 'infinity') throw new DavStatusError(400, 'MOVE requires Depth: infinity')
  assertUnlocked(st, st.path, { subtree: true, membership: true })
  const { replaced } = await svc.files.move(st.who, st.path, to, { overwrite })
  await svc.props.transfer(st.path, to, { move: true, depth: 'infinity' })
  await svc.locks.removeWithin(st.path)
  send(res, replaced ? 204 : 201)
}
