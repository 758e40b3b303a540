/**
 * PROPPATCH, replacing webdav-server's (which crashed the process on a null-namespace property):
 * instructions apply in document order and all-or-nothing (RFC 4918 §9.2); DAV: live properties
 * are protected (403, the rest 424), except `getlastmodified`, which like Windows'
 * `Win32LastModifiedTime` sets the file's time: 200 only when the server kept it, else 403 for it
 * and 424 for the rest, nothing stored.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isFileError } from '../../files/errors.js'
import { isSettableTime } from '../upload-headers.js'
import {
  assertUnlocked,
  type DavServices,
  DavStatusError,
  davState,
  hrefOf,
  readBody,
  send,
  XML_HEAD,
} from './context.js'
import { propKey } from './properties.js'
import { emptyOf, statForDav } from './propfind.js'
import { elements, parseXml, serialize, textOf } from './xml.js'

const DAV = 'DAV:'
const MS = 'urn:schemas-microsoft-com:'

/**
 * Why a server may not take a time, each answered 403 for the time property (424 for the rest):
 * no way to set times, a folder it cannot date, a file it will not let this user touch.
 */
const TIME_REFUSALS = [
  'FILE_ERR_NOT_SUPPORTED',
  'FILE_ERR_NOT_FOUND',
  'FILE_ERR_FORBIDDEN',
  'FILE_ERR_CONFLICT',
] as const

/** A time from a property's text (an HTTP or ISO date) that FTP can carry, else undefined. */
function settable(text: string): Date | undefined {
  const t = new Date(text.trim())
  return isSettableTime(t) ? t : undefined
}

/** The PROPPATCH handler. */
export async function proppatch(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const st = davState(req)
  const root = parseXml(await readBody(req))
  if (root.ns !== DAV || root.name !== 'propertyupdate')
    throw new DavStatusError(400, 'Expected DAV:propertyupdate')
  const stat = await statForDav(svc.files, st.who, st.path)
  assertUnlocked(st, st.path)

  const bag = { ...(await svc.props.get(st.path)) }
  const results: Array<{ key: string; status: number }> = []
  let mtime: Date | undefined
  // The properties whose 200 depends on the server keeping the time.
  const timeKeys = new Set<string>()
  for (const op of elements(root)) {
    if (op.ns !== DAV || (op.name !== 'set' && op.name !== 'remove')) continue
    for (const prop of elements(op).filter((e) => e.ns === DAV && e.name === 'prop')) {
      for (const el of elements(prop)) {
        const key = propKey(el.ns, el.name)
        if (el.ns === DAV) {
          // Live properties are computed from the file; clients may not set them, except the
          // modification time where it is a settable time (some clients set it after a PUT).
          const t = op.name === 'set' && el.name === 'getlastmodified' ? settable(textOf(el)) : undefined
          if (t === undefined) {
            results.push({ key, status: 403 })
            continue
          }
          mtime = t
          timeKeys.add(key)
          results.push({ key, status: 200 })
          continue
        }
        if (op.name === 'remove') {
          delete bag[key]
        } else {
          if (el.ns === MS && el.name === 'Win32LastModifiedTime') {
            // A time FTP cannot carry (year past 9999) stays a dead property, like an unparseable one.
            const t = settable(textOf(el))
            if (t !== undefined) {
              mtime = t
              timeKeys.add(key)
            }
          }
          bag[key] = serialize(el)
        }
        results.push({ key, status: 200 })
      }
    }
  }
  let failed = results.some((r) => r.status !== 200)
  if (!failed && mtime) {
    // Set first: it is the one instruction the server may refuse, and nothing is stored then
    // (RFC 4918 §9.2: all or nothing). 200 only when the server shows the time afterwards.
    const refused = await svc.files.setModified(st.who, st.path, mtime).then(
      () => false,
      (err: unknown) => {
        if (TIME_REFUSALS.some((code) => isFileError(err, code))) return true
        throw err
      },
    )
    if (refused) {
      failed = true
      for (const r of results) if (timeKeys.has(r.key)) r.status = 403
    }
  }
  if (!failed) await svc.props.put(st.path, bag)
  const byStatus = new Map<number, string[]>()
  for (const r of results) {
    const status = failed && r.status === 200 ? 424 : r.status
    byStatus.set(status, [...(byStatus.get(status) ?? []), emptyOf(r.key)])
  }
  const reason: Record<number, string> = { 200: 'OK', 403: 'Forbidden', 424: 'Failed Dependency' }
  const propstats = [...byStatus]
    .map(
      ([s, props]) =>
        `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>HTTP/1.1 ${s} ${reason[s]}</D:status></D:propstat>`,
    )
    .join('')
  send(
    res,
    207,
    `${XML_HEAD}<D:multistatus xmlns:D="DAV:"><D:response><D:href>${hrefOf(st.path, stat.type === 'dir')}</D:href>${propstats}</D:response></D:multistatus>`,
  )
}
