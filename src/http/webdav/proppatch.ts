/**
 * PROPPATCH, replacing webdav-server's (which crashed the process on a null-namespace property):
 * instructions apply in document order and all-or-nothing (RFC 4918 §9.2); DAV: live properties
 * are protected (403, the rest 424); Windows' `Win32LastModifiedTime` sets the file's mtime.
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
  for (const op of elements(root)) {
    if (op.ns !== DAV || (op.name !== 'set' && op.name !== 'remove')) continue
    for (const prop of elements(op).filter((e) => e.ns === DAV && e.name === 'prop')) {
      for (const el of elements(prop)) {
        const key = propKey(el.ns, el.name)
        if (el.ns === DAV) {
          // Live properties are computed from the file; clients may not set them.
          results.push({ key, status: 403 })
          continue
        }
        if (op.name === 'remove') {
          delete bag[key]
        } else {
          if (el.ns === MS && el.name === 'Win32LastModifiedTime') {
            const t = new Date(textOf(el).trim())
            // A time FTP cannot carry (year past 9999) stays a dead property, like an unparseable one.
            if (isSettableTime(t)) mtime = t
          }
          bag[key] = serialize(el)
        }
        results.push({ key, status: 200 })
      }
    }
  }
  const failed = results.some((r) => r.status !== 200)
  if (!failed) {
    if (mtime && stat.type !== 'dir') {
      // Servers without MFMT or SITE UTIME (vsftpd) cannot take it; the value stays a dead property,
      // and Windows, which only needs the PROPPATCH to succeed, carries on.
      await svc.files.setModified(st.who, st.path, mtime).catch((err: unknown) => {
        if (!isFileError(err, 'FILE_ERR_NOT_SUPPORTED')) throw err
      })
    }
    await svc.props.put(st.path, bag)
  }
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
