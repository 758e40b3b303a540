/**
 * PROPFIND, replacing webdav-server's: one listing per Depth 1 request (children's live properties
 * come from that listing, their dead properties from one MGET), a missing Depth means 1,
 * `Depth: infinity` gets 403 with `propfind-finite-depth`, and a malformed body gets 400.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { FileError } from '../../files/errors.js'
import { nameOf, parentOf } from '../../files/paths.js'
import type { FileService, FileStat, Identity, RelPath } from '../../files/types.js'
import { formatEtag } from '../conditional.js'
import { contentTypeFor } from '../mime.js'
import { type DavServices, DavStatusError, davState, hrefOf, readBody, send, XML_HEAD } from './context.js'
import { covers, type DavLock } from './locks.js'
import { type PropertyBag, propKey } from './properties.js'
import { child, elements, escapeXml, escapeXmlAttr, parseXml, splitExpandedName } from './xml.js'

/** What a PROPFIND asks for: allprop (or no body), propname, or the named properties. */
export type Want =
  | { kind: 'all' }
  | { kind: 'names' }
  | { kind: 'props'; names: Array<{ ns: string; name: string }> }

const DAV = 'DAV:'
/** The live properties, in the order responses list them. */
export const LIVE = [
  'resourcetype',
  'getcontentlength',
  'getcontenttype',
  'getetag',
  'getlastmodified',
  'creationdate',
  'displayname',
  'supportedlock',
  'lockdiscovery',
] as const

/** The request's Depth for PROPFIND: missing is 1; infinity is refused as RFC 4918 §9.1 allows. */
function depthOf(header: string | undefined): 0 | 1 {
  const d = (header ?? '1').trim().toLowerCase()
  if (d === '0') return 0
  if (d === '1') return 1
  if (d === 'infinity') {
    throw new DavStatusError(
      403,
      'Depth: infinity is not supported',
      `${XML_HEAD}<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>`,
    )
  }
  throw new DavStatusError(400, 'Bad Depth header')
}

function parseWant(body: Buffer): Want {
  if (body.length === 0 || body.toString('utf8').trim() === '') return { kind: 'all' }
  const root = parseXml(body)
  if (root.ns !== DAV || root.name !== 'propfind') throw new DavStatusError(400, 'Expected DAV:propfind')
  if (child(root, DAV, 'propname')) return { kind: 'names' }
  if (child(root, DAV, 'allprop')) return { kind: 'all' }
  const prop = child(root, DAV, 'prop')
  if (!prop) throw new DavStatusError(400, 'Expected prop, allprop or propname')
  return { kind: 'props', names: elements(prop).map((e) => ({ ns: e.ns, name: e.name })) }
}

/** The `DAV:activelock` elements of locks (for lockdiscovery and LOCK responses). */
export function activeLocksXml(locks: DavLock[], now = Date.now()): string {
  return locks
    .map((l) => {
      const seconds = Math.max(0, Math.round((l.expiresAt - now) / 1000))
      return (
        `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:${l.scope}/></D:lockscope>` +
        `<D:depth>${l.depth === 0 ? '0' : 'infinity'}</D:depth>${l.owner}` +
        `<D:timeout>Second-${seconds}</D:timeout><D:locktoken><D:href>${escapeXml(l.token)}</D:href></D:locktoken>` +
        `<D:lockroot><D:href>${hrefOf(l.path, false)}</D:href></D:lockroot></D:activelock>`
      )
    })
    .join('')
}

/**
 * The locks covering each of `stats` (a resource, then, for Depth 1, its children), from one pass
 * over the scope's locks: a lock rooted at an entry covers it; a depth-infinity lock at or above
 * the first entry covers them all; nothing else can cover a direct child. So a listing costs
 * locks + what the responses show, not children × locks.
 */
export function locksByResource(
  stats: readonly FileStat[],
  locks: readonly DavLock[],
): Array<DavLock[] | undefined> {
  // Undefined for the (usual) resource without locks: a 100,000-entry folder gets no 100,000 arrays.
  const out = new Array<DavLock[] | undefined>(stats.length).fill(undefined)
  if (locks.length === 0 || stats.length === 0) return out
  const index = new Map<RelPath, number>()
  for (let i = 0; i < stats.length; i++) index.set((stats[i] as FileStat).path, i)
  const top = (stats[0] as FileStat).path
  const add = (at: number, lock: DavLock) => {
    const held = out[at]
    if (held) held.push(lock)
    else out[at] = [lock]
  }
  for (const lock of locks) {
    if (lock.depth === 'infinity' && covers(lock, top)) {
      for (let i = 0; i < out.length; i++) add(i, lock)
      continue
    }
    const at = index.get(lock.path)
    if (at !== undefined) add(at, lock)
  }
  return out
}

const SUPPORTED_LOCK =
  '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
  '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>'

/** A live property's value as XML content, undefined when the resource does not have it. */
function liveValue(name: (typeof LIVE)[number], stat: FileStat, locks: DavLock[]): string | undefined {
  const isDir = stat.type === 'dir'
  switch (name) {
    case 'resourcetype':
      return isDir ? '<D:collection/>' : ''
    case 'getcontentlength':
      return isDir ? undefined : String(stat.size ?? 0)
    case 'getcontenttype':
      return isDir ? undefined : escapeXml(contentTypeFor(stat.name))
    case 'getetag':
      return isDir ? undefined : escapeXml(formatEtag(stat.etag))
    case 'getlastmodified':
      return stat.modified ? stat.modified.toUTCString() : undefined
    case 'creationdate':
      return stat.modified ? stat.modified.toISOString() : undefined
    case 'displayname':
      return escapeXml(stat.name)
    case 'supportedlock':
      return SUPPORTED_LOCK
    case 'lockdiscovery':
      return activeLocksXml(locks.filter((l) => covers(l, stat.path)))
  }
}

/**
 * allprop's `DAV:response`: the same properties in the same order as LIVE through `liveValue`,
 * written as one string. Clients list folders this way (Depth 1, allprop or no body), and the
 * per-property arrays and closures of the general path made 2,000 entries take ~23 ms to render
 * against ~8 ms here (test/unit/webdav/propfind-xml.test.ts holds the two paths equal).
 */
function allPropsXml(stat: FileStat, dead: PropertyBag, locks: DavLock[]): string {
  const isDir = stat.type === 'dir'
  let xml = `<D:response><D:href>${hrefOf(stat.path, isDir)}</D:href><D:propstat><D:prop>`
  if (isDir) xml += '<D:resourcetype><D:collection/></D:resourcetype>'
  else
    xml +=
      `<D:resourcetype></D:resourcetype><D:getcontentlength>${stat.size ?? 0}</D:getcontentlength>` +
      `<D:getcontenttype>${escapeXml(contentTypeFor(stat.name))}</D:getcontenttype>` +
      `<D:getetag>${escapeXml(formatEtag(stat.etag))}</D:getetag>`
  if (stat.modified)
    xml +=
      `<D:getlastmodified>${stat.modified.toUTCString()}</D:getlastmodified>` +
      `<D:creationdate>${stat.modified.toISOString()}</D:creationdate>`
  const held = locks.length === 0 ? '' : activeLocksXml(locks.filter((l) => covers(l, stat.path)))
  xml +=
    `<D:displayname>${escapeXml(stat.name)}</D:displayname><D:supportedlock>${SUPPORTED_LOCK}</D:supportedlock>` +
    `<D:lockdiscovery>${held}</D:lockdiscovery>`
  for (const value of Object.values(dead)) xml += value
  return `${xml}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`
}

/** One `DAV:response` for a resource. */
export function responseXml(stat: FileStat, dead: PropertyBag, want: Want, locks: DavLock[]): string {
  if (want.kind === 'all') return allPropsXml(stat, dead, locks)
  const found: string[] = []
  const missing: string[] = []
  const live = (n: (typeof LIVE)[number]) => liveValue(n, stat, locks)
  if (want.kind === 'names') {
    for (const n of LIVE) if (live(n) !== undefined) found.push(`<D:${n}/>`)
    for (const k of Object.keys(dead)) found.push(emptyOf(k))
  } else {
    for (const { ns, name } of want.names) {
      const v =
        ns === DAV && (LIVE as readonly string[]).includes(name)
          ? live(name as (typeof LIVE)[number])
          : undefined
      const d = dead[propKey(ns, name)]
      if (v !== undefined) found.push(`<D:${name}>${v}</D:${name}>`)
      else if (d !== undefined) found.push(d)
      else missing.push(emptyOf(propKey(ns, name)))
    }
  }
  let out = `<D:response><D:href>${hrefOf(stat.path, stat.type === 'dir')}</D:href>`
  if (found.length > 0 || missing.length === 0)
    out += `<D:propstat><D:prop>${found.join('')}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`
  if (missing.length > 0)
    out += `<D:propstat><D:prop>${missing.join('')}</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`
  return `${out}</D:response>`
}

/**
 * An empty element for a `{ns}name` key, in its own namespace. The key splits at its last `}` (a
 * namespace URI may hold one, a name may not); a key whose name is not an XML name cannot be
 * written and gives '' (PROPPATCH only stores names the parser accepted).
 */
export function emptyOf(key: string): string {
  const parts = splitExpandedName(key)
  if (!parts) return ''
  if (parts.ns === DAV) return `<D:${parts.name}/>`
  return `<${parts.name} xmlns="${escapeXmlAttr(parts.ns)}"/>`
}

/** Names macOS probes constantly; answered from the parent's listing. */
export function isAppleProbe(path: RelPath): boolean {
  const n = nameOf(path)
  return n.startsWith('._') || n === '.DS_Store' || n === '.localized'
}

/**
 * Stats a resource; for macOS probe names the parent's (cached) listing answers, so Finder's flood
 * of `._*` lookups costs at most one listing per directory.
 */
export async function statForDav(
  files: FileService,
  who: Identity,
  path: RelPath,
  options: { fresh?: boolean } = {},
): Promise<FileStat> {
  if (path !== '' && isAppleProbe(path) && !options.fresh) {
    const entries = await listAll(files, who, parentOf(path)).catch(() => [])
    const hit = entries.find((e) => e.path === path)
    if (!hit) throw new FileError('FILE_ERR_NOT_FOUND', 'No such file or directory')
    return hit
  }
  return files.stat(who, path, options)
}

/** Every entry of a directory (the file service answers from one listing, cached). */
export async function listAll(files: FileService, who: Identity, path: RelPath): Promise<FileStat[]> {
  const out: FileStat[] = []
  let cursor: string | undefined
  do {
    const page = await files.list(who, path, { limit: 10_000, ...(cursor ? { cursor } : {}) })
    for (const e of page.entries) out.push(e)
    cursor = page.next ?? undefined
  } while (cursor)
  return out
}

/** The PROPFIND handler. */
export async function propfind(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const st = davState(req)
  const depth = depthOf(req.headers.depth as string | undefined)
  const want = parseWant(await readBody(req))
  const stat = await statForDav(svc.files, st.who, st.path)
  const stats =
    stat.type === 'dir' && depth === 1 ? [stat].concat(await listAll(svc.files, st.who, st.path)) : [stat]
  const bags = await svc.props.getMany(stats.map((s) => s.path))
  const held = locksByResource(stats, st.locks)
  // A folder whose body depends on its stats alone may have been rendered a moment ago.
  const plain =
    want.kind === 'all' &&
    stats.length > 1 &&
    held.every((h) => h === undefined) &&
    bags.every((b) => b === undefined || Object.keys(b).length === 0)
  const key = `${st.who.key}\0${st.path}`
  const kept = plain ? svc.bodies?.get(key, stats) : undefined
  if (kept) return send(res, 207, kept)
  const render = (i: number) => responseXml(stats[i] as FileStat, bags[i] ?? {}, want, held[i] ?? NO_LOCKS)
  if (stats.length > STREAM_ABOVE) return streamMultistatus(res, stats.length, render)
  const parts = stats.map((_, i) => render(i))
  const body = Buffer.from(`${XML_HEAD}${MULTISTATUS_OPEN}${parts.join('')}${MULTISTATUS_CLOSE}`)
  if (plain) svc.bodies?.set(key, stats, body)
  send(res, 207, body)
}

const NO_LOCKS: DavLock[] = []
const MULTISTATUS_OPEN = '<D:multistatus xmlns:D="DAV:">'
const MULTISTATUS_CLOSE = '</D:multistatus>'
// Folders up to this many entries are answered whole, with a Content-Length, and may be kept
// (ListingBodies keeps bodies up to 4 MiB, a few thousand entries); bigger ones are written as they
// are rendered, so the body never exists whole (it is about 750 bytes per entry).
const STREAM_ABOVE = 4000
// Entries rendered per write: large enough that writes are few, small enough to be a few hundred KiB.
const STREAM_BATCH = 500

/**
 * Writes a multistatus of `count` responses in batches, waiting for the client to drain each, so
 * memory holds one batch of rendered XML at a time however big the folder (chunked encoding).
 */
async function streamMultistatus(
  res: ServerResponse,
  count: number,
  render: (i: number) => string,
): Promise<void> {
  res.statusCode = 207
  res.setHeader('content-type', 'application/xml; charset=utf-8')
  let chunk = `${XML_HEAD}${MULTISTATUS_OPEN}`
  for (let i = 0; i < count; i++) {
    chunk += render(i)
    if ((i + 1) % STREAM_BATCH !== 0) continue
    if (!res.write(chunk) && !(await drained(res))) return
    chunk = ''
  }
  res.end(`${chunk}${MULTISTATUS_CLOSE}`)
}

/** Resolves true once `res` drains, false when it closes first (the client went away). */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain)
      res.off('close', onClose)
      resolve(ok)
    }
    const onDrain = done(true)
    const onClose = done(false)
    res.once('drain', onDrain)
    res.once('close', onClose)
  })
}
