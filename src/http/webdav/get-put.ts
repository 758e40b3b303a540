/**
 * GET, HEAD and PUT, replacing webdav-server's: they run the gateway's one download and upload
 * path (file-transfer.ts, shared with REST) and add what WebDAV frames differently: an index page
 * for a collection, the lock check before a write, 405 for a PUT onto a collection, dead properties
 * dropped with a new resource, and statuses without problem bodies. The 201/204 goes out only once
 * the upstream has the whole file.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isConflict } from '../../files/errors.js'
import { download, upload } from '../file-transfer.js'
import { responseSink } from '../file-transfer-sinks.js'
import { USER_CONTENT_POLICY } from '../user-content.js'
import { assertUnlocked, type DavServices, DavStatusError, davState, hrefOf, send } from './context.js'
import { listAll, statForDav } from './propfind.js'
import { escapeXml } from './xml.js'

/** GET and HEAD. */
export async function getOrHead(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const st = davState(req)
  const isGet = req.method === 'GET'
  await download(
    svc.files,
    {
      who: st.who,
      path: st.path,
      method: req.method ?? 'GET',
      headers: req.headers,
      stat: (options) => statForDav(svc.files, st.who, st.path, options),
      directory: async () => {
        // A collection has no body of its own; a plain index helps people who open the URL in a browser.
        const entries = isGet ? await listAll(svc.files, st.who, st.path) : []
        const items = entries
          .map(
            (e) =>
              `<li><a href="${escapeXml(hrefOf(e.path, e.type === 'dir'))}">${escapeXml(e.name)}</a></li>`,
          )
          .join('')
        // The names are the users' (escaped); the page is sandboxed like their files, no script at all.
        res.setHeader('content-type', 'text/html; charset=utf-8')
        res.setHeader('content-security-policy', USER_CONTENT_POLICY)
        res.setHeader('x-content-type-options', 'nosniff')
        send(res, 200, isGet ? `<!doctype html><ul>${items}</ul>` : undefined)
      },
    },
    responseSink(req, res),
  )
}

/** PUT. */
export async function put(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const st = davState(req)
  if (st.path === '' || st.trailingSlash) throw new DavStatusError(405, 'PUT to a collection')
  const sink = responseSink(req, res)
  const result = await upload(
    svc.files,
    {
      who: st.who,
      path: st.path,
      headers: req.headers,
      body: req,
      // Finder streams chunked bodies and declares the length in X-Expected-Entity-Length.
      expectedEntityLength: true,
      // After every upload header is parsed (and refused with 400), before the upstream is touched.
      beforeWrite: () => assertUnlocked(st, st.path, { membership: true }),
    },
    sink,
  ).catch((err: unknown) => {
    // A directory at that name: RFC 4918 leaves PUT on a collection undefined; 405 says "not here".
    if (isConflict(err, 'is-directory')) throw new DavStatusError(405, 'A collection has that name')
    throw err
  })
  if (result.created) await svc.props.removeWithin(st.path)
  if (result.stat.modified) res.setHeader('last-modified', result.stat.modified.toUTCString())
  send(res, result.created ? 201 : 204)
}
