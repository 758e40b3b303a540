/**
 * GET, HEAD and PUT, replacing webdav-server's: downloads go through `files.read` with a real
 * byte range (the REST API's range and conditional rules), uploads through the atomic `files.write`,
 * and the 201/204 goes out only once the upstream has the whole file.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { FileError } from '../../files/errors.js'
import type { FileStat } from '../../files/types.js'
import {
  evaluateRead,
  formatEtag,
  ifRangeMatches,
  parseRange,
  type RangeRequest,
  resolveRange,
} from '../conditional.js'
import { parseContentLength, parseDigest, parseMtime, parseWritePreconditions } from '../upload-headers.js'
import { USER_CONTENT_POLICY, userContentHeaders } from '../user-content.js'
import { assertUnlocked, type DavServices, DavStatusError, davState, hrefOf, send } from './context.js'
import { listAll, statForDav } from './propfind.js'
import { escapeXml } from './xml.js'

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

function validators(res: ServerResponse, stat: FileStat): void {
  res.setHeader('etag', formatEtag(stat.etag))
  if (stat.modified) res.setHeader('last-modified', stat.modified.toUTCString())
}

/** GET and HEAD. */
export async function getOrHead(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const st = davState(req)
  const isGet = req.method === 'GET'
  const range: RangeRequest = isGet ? parseRange(req.headers.range) : { kind: 'none' }
  const stat = await statForDav(svc.files, st.who, st.path)
  if (stat.type === 'dir') {
    // A collection has no body of its own; a plain index helps people who open the URL in a browser.
    const entries = isGet ? await listAll(svc.files, st.who, st.path) : []
    const items = entries
      .map(
        (e) => `<li><a href="${escapeXml(hrefOf(e.path, e.type === 'dir'))}">${escapeXml(e.name)}</a></li>`,
      )
      .join('')
    // The names are the users' (escaped); the page is sandboxed like their files, no script at all.
    res.setHeader('content-type', 'text/html; charset=utf-8')
    res.setHeader('content-security-policy', USER_CONTENT_POLICY)
    res.setHeader('x-content-type-options', 'nosniff')
    return send(res, 200, isGet ? `<!doctype html><ul>${items}</ul>` : undefined)
  }
  validators(res, stat)
  if (evaluateRead(req.headers, stat) === 'not-modified') return send(res, 304)
  const wanted = ifRangeMatches(req.headers['if-range'] as string | undefined, stat)
    ? resolveRange(range, stat.size)
    : undefined
  res.setHeader('accept-ranges', 'bytes')
  // Sandboxed, nosniff, attachment for active types (user-content.ts): a file never scripts this origin.
  for (const [k, v] of Object.entries(userContentHeaders(stat.name))) res.setHeader(k, v)
  if (!isGet) {
    res.statusCode = 200
    if (stat.size !== undefined) res.setHeader('content-length', stat.size)
    res.end()
    return
  }
  const result = await svc.files.read(st.who, st.path, wanted === undefined ? {} : { range: wanted })
  validators(res, result.stat)
  if (result.range !== undefined) {
    const { start, end } = result.range
    res.statusCode = 206
    res.setHeader('content-range', `bytes ${start}-${end}/${result.stat.size ?? '*'}`)
    res.setHeader('content-length', end - start + 1)
  } else {
    res.statusCode = 200
    if (result.stat.size !== undefined) res.setHeader('content-length', result.stat.size)
  }
  if (result.bytes) {
    res.end(result.bytes)
    return
  }
  // pipeline destroys the FTP stream when the client leaves and the response when the FTP stream
  // fails: the client then sees a broken body, never a clean end.
  await pipeline(result.body, res).catch(() => undefined)
}

/** PUT. */
export async function put(svc: DavServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const st = davState(req)
  if (st.path === '' || st.trailingSlash) throw new DavStatusError(405, 'PUT to a collection')
  // Every upload header is parsed (and refused with 400) before anything touches the upstream.
  // Finder streams chunked bodies and declares the length in X-Expected-Entity-Length.
  const declared =
    parseContentLength(req.headers['content-length']) ??
    parseContentLength(req.headers['x-expected-entity-length'] as string | undefined)
  const pre = parseWritePreconditions(req.headers['if-match'], req.headers['if-none-match'])
  // ownCloud/Nextcloud clients send the file's time as X-OC-Mtime; Content-MD5 / Repr-Digest as REST.
  const mtime = parseMtime(headerOf(req, 'x-oc-mtime'), undefined)
  const digest = parseDigest(headerOf(req, 'repr-digest'), headerOf(req, 'content-md5'))
  assertUnlocked(st, st.path, { membership: true })
  const result = await svc.files
    .write(st.who, st.path, req, {
      ...pre,
      ...(declared === undefined ? {} : { expectedLength: declared }),
      ...(digest === undefined ? {} : { digest }),
      ...(mtime === undefined ? {} : { mtime }),
    })
    .catch((err: unknown) => {
      // A directory at that name: RFC 4918 leaves PUT on a collection undefined; 405 says "not here".
      if (
        err instanceof FileError &&
        err.code === 'FILE_ERR_CONFLICT' &&
        err.message.includes('directory has')
      )
        throw new DavStatusError(405, 'A collection has that name')
      throw err
    })
  if (result.created) await svc.props.removeWithin(st.path)
  validators(res, result.stat)
  if (mtime !== undefined) res.setHeader('x-oc-mtime', 'accepted')
  send(res, result.created ? 201 : 204)
}
