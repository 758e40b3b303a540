/**
 * The public side of share links (issue 20), no account needed: `GET /s/{id}` the share's page,
 * `GET /s/{id}/download` a shared file, `GET /s/{id}/files/{path}` a file (or a folder's page)
 * inside a shared folder, `PUT /s/{id}/files/{name}` into a drop box, and `POST /s/{id}` the
 * password form, and `GET /s/{id}/zip` a shared folder as one zip (zip-download.ts, as the
 * creator, one use).
 *
 * Order of every request: the path is parsed first (paths.ts: every traversal form is 400 before
 * any store or FTP work), then the share is opened (access.ts), then the file service runs as the
 * creator. Downloads take the one download path (file-transfer.ts: Range, conditional requests,
 * user-content headers); a download (GET, not HEAD) or an upload claims one use first, atomically
 * in the store, and gives it back when it fails before any byte. People get HTML pages; scripts
 * (no `text/html` in Accept) get problem+json. Every use writes one audit line and one metrics
 * event when its response closes.
 */
import { Readable } from 'node:stream'
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { FileError } from '../../files/errors.js'
import { childOf } from '../../files/paths.js'
import type { FileService, RelPath } from '../../files/types.js'
import type { Store } from '../../store/store.js'
import { auditOn } from '../audit.js'
import { classifyError, GatewayError } from '../errors.js'
import { download, type TransferSink, upload } from '../file-transfer.js'
import { replySink } from '../file-transfer-sinks.js'
import { displayPath, pathFromRawUrl } from '../paths.js'
import { sendProblem } from '../problem.js'
import { isSecure } from '../session-cookie.js'
import { publishShareEvent } from '../share-events.js'
import { dropName, pathInShare } from '../share-rules.js'
import { ACCESS_COOKIE_TTL_MS, type ShareStore } from '../share-store.js'
import { sendFolderZip } from '../zip-download.js'
import {
  type AccessOptions,
  assertNoLinks,
  assertUsesLeft,
  checkPasswordOf,
  type OpenShare,
  openShare,
  resolveShareForZip,
  SHARE_COOKIE,
} from './access.js'
import { SHARE_CSS, SHARE_JS } from './assets.js'
import { dropPage, filePage, folderPage, passwordPage, shareErrorPage, shareWords } from './page.js'
import { PUBLIC_SHARE_SCHEMAS } from './schemas.js'

/** Options of the public share face. */
export interface SharesOptions {
  files: FileService
  shares: ShareStore
  /** SHARE_RATE_LIMIT. */
  rateLimit: number
  /** ZIP_MAX_BYTES (0: no cap), for a shared folder's zip. */
  zipMaxBytes: number
  /** The app's store: scopes the metrics events to this app. */
  store: Store
}

/** The policy of every share page: scripts and styles from this origin only, never framed. */
export const SHARE_PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const HTML = 'text/html; charset=utf-8'
const FORM_BODY_LIMIT = 16 * 1024

// What a share use did, for the audit line and the metrics event when its response closes.
interface UseRecord {
  id: string
  kind: 'read' | 'drop'
  path?: string
  bytes?: number
}
const uses = new WeakMap<FastifyRequest, UseRecord>()

/**
 * The path under `/s/{id}/files/` of a request, parsed from the raw URL by paths.ts (every
 * traversal form refused there with 400). An absolute path (`files//etc`, `files/%2Fetc`) is
 * refused too rather than read as relative: nobody means it, and nothing may reach the server.
 */
export function sharedSubPath(rawUrl: string, id: string): RelPath {
  const q = rawUrl.indexOf('?')
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q)
  const prefix = `/s/${id}/files/`
  const rest = rawPath.startsWith(prefix) ? rawPath.slice(prefix.length) : undefined
  if (rest !== undefined && (rest.startsWith('/') || /^%2f/i.test(rest)))
    throw new GatewayError('GW_ERR_BAD_REQUEST', 'A path inside a share is relative to it')
  return pathFromRawUrl(rawUrl, ['s', id, 'files']).path
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html')
}

/** The public share plugin (registered without a prefix: it owns `/s/…` and `/_share/…`). */
export const sharesPlugin: FastifyPluginAsync<SharesOptions> = async (app, options) => {
  const { files, shares } = options
  const access: AccessOptions = { shares, rateLimit: options.rateLimit }

  app.addHook('onSend', async (_request, reply, payload) => {
    // Downloads carry the user-content sandbox policy (file-transfer.ts); pages get this one.
    if (!reply.hasHeader('content-security-policy'))
      reply.header('content-security-policy', SHARE_PAGE_POLICY)
    // The share's id is its key: never sent on to another site, never indexed, never cached.
    // same-origin rather than no-referrer: under no-referrer Chromium sends `Origin: null` with the
    // password form's POST, which the cross-site hook rightly refuses.
    reply.header('referrer-policy', 'same-origin')
    reply.header('x-robots-tag', 'noindex')
    reply.header('x-frame-options', 'DENY')
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
    return payload
  })

  // Uploads stay streams; the password form is a small urlencoded body.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )

  app.setErrorHandler((raw: FastifyError, request, reply) => {
    if (reply.raw.headersSent) {
      reply.raw.destroy(raw)
      return
    }
    // The creator's login was refused (password changed, account gone): the link stops working.
    // Never a 401 with a challenge, which would ask the visitor for the creator's password.
    const err =
      raw instanceof FileError && (raw.code === 'FILE_ERR_UNAUTHORIZED' || raw.code === 'FILE_ERR_FORBIDDEN')
        ? new GatewayError('GW_ERR_SHARE_NOT_FOUND', 'This share no longer works')
        : raw
    if (!wantsHtml(request)) return sendProblem(request, reply, err)
    const p = classifyError(err)
    if (p.status >= 500) request.log.error({ err, code: p.code }, 'share request failed')
    else request.log.info({ code: p.code, status: p.status }, 'share request refused')
    const { 'www-authenticate': _challenge, ...headers } = p.headers
    if (p.code === 'GW_ERR_SHARE_PASSWORD') {
      const id = (request.params as { id?: string }).id ?? ''
      return reply.code(401).headers(headers).type(HTML).send(passwordPage(id, false))
    }
    const words = shareWords(p.status, p.code)
    return reply
      .code(p.status)
      .headers(headers)
      .type(HTML)
      .send(shareErrorPage(p.status, words.title, words.detail))
  })

  // One audit line and one metrics event per use, whatever its outcome (refusals included).
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url ?? ''
    // Pages and password attempts too: a guessed password is a use worth a line.
    if (!route.startsWith('/s/:id') || request.method === 'HEAD') return
    const res = reply.raw
    res.once('close', () => {
      const use = uses.get(request)
      const id = (request.params as { id?: string }).id ?? ''
      const status = res.statusCode
      const outcome = !res.writableFinished
        ? 'aborted'
        : status < 400
          ? 'success'
          : status < 500
            ? 'refused'
            : 'failure'
      const bytes = outcome === 'success' ? (use?.bytes ?? Number(res.getHeader('content-length') ?? 0)) : 0
      auditOn(request.log, {
        action: 'share-use',
        share: id,
        address: request.ip,
        path: use?.path,
        size: bytes,
        outcome: outcome === 'refused' ? 'failure' : outcome,
        status,
      })
      publishShareEvent(options.store, {
        kind: use?.kind ?? (request.method === 'PUT' ? 'drop' : 'read'),
        outcome,
        bytes,
      })
    })
  })

  app.get('/_share/share.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(SHARE_JS),
  )
  app.get('/_share/share.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(SHARE_CSS),
  )

  /**
   * The reply as a transfer sink that settles a claimed use: only bytes going out (200, 206) count;
   * any other answer (a 304, a folder's page) gives the use back at once. `counted` tells a caller
   * whose transfer threw whether the use still has to be given back.
   */
  function claimingSink(
    request: FastifyRequest,
    reply: FastifyReply,
    claim: { ok: boolean; release(): Promise<void> } | undefined,
  ): { sink: TransferSink; counted: () => boolean } {
    const inner = replySink(request, reply)
    let counted = false
    const sink: TransferSink = {
      header: inner.header,
      gone: inner.gone,
      send: (status, body) => {
        counted = status === 200 || status === 206
        if (!counted && claim?.ok) void claim.release()
        return inner.send(status, body)
      },
    }
    return { sink, counted: () => counted }
  }

  /** Serves one file of an open share through the one download path, claiming a use for a GET. */
  async function serveFile(
    request: FastifyRequest,
    reply: FastifyReply,
    open: OpenShare,
    path: RelPath,
    sub: RelPath,
  ) {
    const { record, who } = open
    uses.set(request, { id: record.id, kind: 'read', path: displayPath(path) })
    const isGet = request.method === 'GET'
    const claim = isGet ? await shares.claimUse(record) : undefined
    if (claim !== undefined && !claim.ok)
      throw new GatewayError('GW_ERR_SHARE_USED_UP', 'This share has been used as often as allowed')
    const { sink, counted } = claimingSink(request, reply, claim)
    try {
      await download(
        files,
        {
          who,
          path,
          method: request.method,
          headers: request.headers,
          stat: (o) => files.stat(who, path, o),
          directory: async () => {
            if (claim?.ok) await claim.release()
            const page = await files.list(who, path, { limit: 10_000 })
            reply.type(HTML).send(folderPage(record, sub, page.entries))
          },
        },
        sink,
      )
    } catch (err) {
      if (claim?.ok && !counted()) await claim.release()
      throw err
    }
    return reply
  }

  /** Opens a read share and the path asked under it (parsed before anything else). */
  async function readTarget(request: FastifyRequest<{ Params: { id: string } }>) {
    const { id } = request.params
    const sub = sharedSubPath(request.raw.url ?? '', id)
    const open = await openShare(request, id, access)
    uses.set(request, { id, kind: open.record.kind })
    if (open.record.kind !== 'read')
      throw new GatewayError('GW_ERR_SHARE_KIND', 'A drop box is never listed or read')
    const full = pathInShare(open.record.path, sub)
    await assertNoLinks(files, open.who, open.record.path, full)
    return { open, full, sub }
  }

  app.get<{ Params: { id: string } }>('/s/:id', { schema: { hide: true } }, async (request, reply) => {
    const open = await openShare(request, request.params.id, access)
    const { record, who } = open
    // A used-up link says so on its page too, rather than offering a download that would be 410.
    await assertUsesLeft(shares, record)
    reply.type(HTML)
    if (record.kind === 'drop') return reply.send(dropPage(record))
    const stat = await files.stat(who, record.path)
    if (stat.type !== 'dir') return reply.send(filePage(record, stat))
    const page = await files.list(who, record.path, { limit: 10_000 })
    return reply.send(folderPage(record, '', page.entries))
  })

  app.post<{ Params: { id: string }; Body: Record<string, string> | undefined }>(
    '/s/:id',
    { schema: { hide: true } },
    async (request, reply) => {
      // The password form itself: every check but the password (the cross-site hook refused other sites).
      const { record } = await openShare(request, request.params.id, access, { password: false })
      const given = typeof request.body?.password === 'string' ? request.body.password : ''
      if (!(await checkPasswordOf(record, given)))
        return reply.code(401).type(HTML).send(passwordPage(record.id, true))
      const secure = isSecure(request) ? '; Secure' : ''
      reply.header(
        'set-cookie',
        `${SHARE_COOKIE}=${shares.accessToken(record)}; Path=/s/${record.id}; Max-Age=${ACCESS_COOKIE_TTL_MS / 1000}; HttpOnly; SameSite=Lax${secure}`,
      )
      return reply.redirect(`/s/${record.id}`, 303)
    },
  )

  const download1 = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const open = await openShare(request, request.params.id, access)
    uses.set(request, { id: open.record.id, kind: open.record.kind, path: displayPath(open.record.path) })
    if (open.record.kind !== 'read') throw new GatewayError('GW_ERR_SHARE_KIND', 'A drop box is never read')
    const stat = await files.stat(open.who, open.record.path)
    if (stat.type === 'dir')
      throw new GatewayError('GW_ERR_SHARE_KIND', 'A folder share downloads its files one by one')
    return serveFile(request, reply, open, open.record.path, '')
  }
  // HEAD first, so Fastify does not add its own (which would run the GET and claim a use).
  app.head('/s/:id/download', { schema: PUBLIC_SHARE_SCHEMAS.headDownload }, download1)
  app.get('/s/:id/download', { schema: PUBLIC_SHARE_SCHEMAS.download }, download1)

  // A shared folder as one zip: every check a download makes, one use (given back when the zip is
  // refused before its first byte), written as the creator. No HEAD: it would list the whole folder.
  app.get<{ Params: { id: string } }>(
    '/s/:id/zip',
    { schema: PUBLIC_SHARE_SCHEMAS.zip, exposeHeadRoute: false },
    async (request, reply) => {
      const { who, path, record } = await resolveShareForZip(request, request.params.id, {
        ...access,
        files,
      })
      uses.set(request, { id: record.id, kind: 'read', path: displayPath(path) })
      const claim = await shares.claimUse(record)
      if (!claim.ok)
        throw new GatewayError('GW_ERR_SHARE_USED_UP', 'This share has been used as often as allowed')
      const { sink, counted } = claimingSink(request, reply, claim)
      try {
        const result = await sendFolderZip(
          files,
          { who, folder: path, maxBytes: options.zipMaxBytes, log: request.log, scope: options.store },
          sink,
        )
        uses.set(request, { id: record.id, kind: 'read', path: displayPath(path), bytes: result.bytes })
      } catch (err) {
        if (!counted()) await claim.release()
        throw err
      }
      return reply
    },
  )

  const inFolder = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const { open, full, sub } = await readTarget(request)
    return serveFile(request, reply, open, full, sub)
  }
  app.head('/s/:id/files/*', { schema: PUBLIC_SHARE_SCHEMAS.headFile }, inFolder)
  app.get('/s/:id/files/*', { schema: PUBLIC_SHARE_SCHEMAS.file }, inFolder)

  app.put<{ Params: { id: string } }>(
    '/s/:id/files/*',
    { schema: PUBLIC_SHARE_SCHEMAS.drop },
    async (request, reply) => {
      const { id } = request.params
      const { path: sub } = pathFromRawUrl(request.raw.url ?? '', ['s', id, 'files'])
      const { record, who } = await openShare(request, id, access)
      uses.set(request, { id, kind: record.kind })
      if (record.kind !== 'drop') throw new GatewayError('GW_ERR_SHARE_KIND', 'A read share takes no uploads')
      const path = childOf(record.path, dropName(sub))
      uses.set(request, { id, kind: 'drop', path: displayPath(path) })
      const claim = await shares.claimUse(record)
      if (!claim.ok)
        throw new GatewayError('GW_ERR_SHARE_USED_UP', 'This drop box has taken as many files as allowed')
      // No body at all (Content-Length: 0 or none) is an empty file, as for the REST PUT.
      const body = request.body instanceof Readable ? request.body : Readable.from([])
      // A drop box never replaces: If-None-Match: * whatever the client sent (the existing upload rule).
      const { 'if-match': _m, ...rest } = request.headers
      try {
        const result = await upload(
          files,
          { who, path, headers: { ...rest, 'if-none-match': '*' }, body },
          { header: (name, value) => reply.header(name, value) },
        )
        uses.set(request, { id, kind: 'drop', path: displayPath(path), bytes: result.stat.size ?? 0 })
      } catch (err) {
        await claim.release()
        throw err
      }
      return reply.code(201).send(null)
    },
  )

  // Without a path, the folder's own page.
  app.get<{ Params: { id: string } }>('/s/:id/files', { schema: { hide: true } }, async (request, reply) =>
    reply.redirect(`/s/${encodeURIComponent(request.params.id)}`, 303),
  )
}
