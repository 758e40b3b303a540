/**
 * The browser face: `GET /browse/{path}` renders a directory listing server-side (through the
 * FileService, never FTP), sign-in and sign-out set and clear the session cookie, and a small
 * script served from here adds upload, new folder, rename and delete through the REST API.
 *
 * Page-only routes live under `/_browse/` rather than `/browse/`, because every name under
 * `/browse/` is a folder the user may have (a folder called `login` must stay reachable).
 *
 * Every response of this plugin carries a strict Content-Security-Policy (no inline script or
 * style anywhere), `nosniff`, `Referrer-Policy: same-origin` and `frame-ancestors 'none'`; errors
 * are HTML pages here, not problem+json, because a person is reading them.
 */
import { validateHeaderValue } from 'node:http'
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { isAuthError } from '../../auth/errors.js'
import type { Authenticator, SessionApi } from '../../auth/types.js'
import { FileError, isFileError } from '../../files/errors.js'
import type { FileService, Identity } from '../../files/types.js'
import { classifyError } from '../errors.js'
import { pathFromRawUrl } from '../paths.js'
import {
  authorizationFor,
  clearedSessionCookie,
  isSecure,
  SESSION_COOKIE,
  sessionToken,
  setSessionCookie,
} from '../session-cookie.js'
import { ASSETS, UPLOAD_SCRIPT } from './assets.js'
import { downloadHref, parseSort, safeNext } from './format.js'
import { errorPage, listingPage, loginPage, type Viewer } from './render.js'

export { cookieAuthHook } from '../session-cookie.js'

/** Options of the browse plugin. */
export interface BrowseOptions {
  files: FileService
  auth: Authenticator
  /** Without a session API the sign-in form is unavailable; Basic credentials still work. */
  sessions?: SessionApi | undefined
}

/** The policy of every browse response (scripts and styles only from this origin). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/** Entries per listing page unless `?limit=` says otherwise (the API's own limits apply). */
export const PAGE_SIZE = 500
const MAX_PAGE_SIZE = 10_000
// Cursors are opaque but printable ASCII, as the API requires; anything else is a bad request.
const CURSOR_SHAPE = /^[!-~]{1,2048}$/
const FORM_BODY_LIMIT = 16 * 1024
const HTML = 'text/html; charset=utf-8'

interface Signed {
  who: Identity
  viewer: Viewer
}

/** The browse plugin (registered without a prefix: it owns `/`, `/browse/…` and `/_browse/…`). */
export const browsePlugin: FastifyPluginAsync<BrowseOptions> = async (app, { files, auth, sessions }) => {
  // Pages for people, not API: kept out of the OpenAPI document.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true }
  })

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'same-origin')
    reply.header('x-frame-options', 'DENY')
    // Listings are private to the signed-in user: never stored by shared or browser caches.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
    return payload
  })

  // Sign-in posts are classic HTML forms; a tiny parser keeps them off the JSON-only default.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (reply.raw.headersSent) {
      reply.raw.destroy(err)
      return
    }
    const p = classifyError(err)
    if (p.status >= 500) request.log.error({ err, code: p.code }, 'browse request failed')
    else request.log.info({ code: p.code, status: p.status }, 'browse request refused')
    // A Basic challenge would make the browser pop its own login box over the page: go to the form.
    if (p.status === 401) return toLogin(request, reply)
    const { 'www-authenticate': _challenge, ...headers } = p.headers
    return reply
      .code(p.status)
      .headers(headers)
      .type(HTML)
      .send(errorPage(p.status, p.title, p.detail))
  })

  /** Who is asking, from the Authorization header or the session cookie; undefined when nobody. */
  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<Signed | undefined> {
    const authorization = authorizationFor(request)
    if (authorization === undefined) return undefined
    const viaCookie = request.headers.authorization === undefined
    try {
      const who = await auth.authenticate(authorization, request.ip)
      return { who, viewer: { user: who.user, viaCookie } }
    } catch (err) {
      if (isAuthError(err, 'AUTH_ERR_RATE_LIMITED') || !isAuthError(err)) throw err
      // An expired or revoked token: drop the cookie so the browser stops sending it.
      if (viaCookie) reply.header('set-cookie', clearedSessionCookie(isSecure(request)))
      return undefined
    }
  }

  function toLogin(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const next = safeNext(request.url)
    return reply.redirect(`/_browse/login?next=${encodeURIComponent(next)}`, 303)
  }

  app.get('/', async (_request, reply) => reply.redirect('/browse/', 302))
  app.get('/browse', async (_request, reply) => reply.redirect('/browse/', 302))

  app.get<{ Querystring: Record<string, string | undefined> }>('/browse/*', async (request, reply) => {
    const { path } = pathFromRawUrl(request.raw.url ?? '', ['browse'])
    const signed = await signedIn(request, reply)
    if (signed === undefined) return toLogin(request, reply)
    const { sort, order } = parseSort(request.query.sort, request.query.order)
    const cursor = request.query.cursor
    if (cursor !== undefined && !CURSOR_SHAPE.test(cursor)) {
      throw new FileError('FILE_ERR_BAD_REQUEST', 'The page cursor is malformed; start from the first page.')
    }
    const asked = Number(request.query.limit)
    const limit = Number.isInteger(asked) && asked >= 1 && asked <= MAX_PAGE_SIZE ? asked : undefined
    let page: Awaited<ReturnType<FileService['list']>>
    try {
      page = await files.list(signed.who, path, {
        limit: limit ?? PAGE_SIZE,
        ...(cursor === undefined ? {} : { cursor }),
      })
    } catch (err) {
      // /browse/some/file.txt: a file, not a folder; hand it over as a download.
      if (isFileError(err, 'FILE_ERR_CONFLICT') && path !== '') {
        const stat = await files.stat(signed.who, path).catch(() => undefined)
        if (stat !== undefined && stat.type !== 'dir') return reply.redirect(downloadHref(path), 303)
      }
      throw err
    }
    return reply
      .type(HTML)
      .send(listingPage({ dir: path, page, sort, order, cursor, limit, viewer: signed.viewer }))
  })

  app.get<{ Params: { name: string } }>('/_browse/static/:name', async (request, reply) => {
    const asset = Object.hasOwn(ASSETS, request.params.name) ? ASSETS[request.params.name] : undefined
    if (asset === undefined) throw new FileError('FILE_ERR_NOT_FOUND', 'No such asset')
    // URLs carry the content hash, so a version never changes: cache it for a long time.
    reply.header('cache-control', 'public, max-age=31536000, immutable').header('etag', asset.etag)
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
    return reply.type(asset.type).send(asset.body)
  })

  // The upload engine (upload-script.ts): an unversioned URL, so browsers revalidate it.
  app.get('/_browse/upload.js', async (request, reply) => {
    reply.header('cache-control', 'no-cache').header('etag', UPLOAD_SCRIPT.etag)
    if (request.headers['if-none-match'] === UPLOAD_SCRIPT.etag) return reply.code(304).send()
    return reply.type(UPLOAD_SCRIPT.type).send(UPLOAD_SCRIPT.body)
  })

  app.get<{ Querystring: { next?: string } }>('/_browse/login', async (request, reply) => {
    const next = safeNext(request.query.next)
    if (sessions === undefined) {
      return reply
        .code(501)
        .type(HTML)
        .send(
          errorPage(501, 'Sign-in is not available', 'This gateway has no session store; use HTTP Basic.'),
        )
    }
    return reply.type(HTML).send(loginPage(next))
  })

  app.post<{ Body: Record<string, string | undefined> | undefined }>(
    '/_browse/login',
    async (request, reply) => {
      // The app's cross-site hook (cross-site.ts) has already refused posts from other origins.
      const body = request.body ?? {}
      const next = safeNext(body.next)
      const username = typeof body.username === 'string' ? body.username : ''
      const password = typeof body.password === 'string' ? body.password : ''
      if (sessions === undefined) throw new FileError('FILE_ERR_NOT_SUPPORTED', 'Sign-in is not available')
      if (username === '') {
        return reply.code(400).type(HTML).send(loginPage(next, 'Enter your user name.'))
      }
      // The return URL is checked as a header value before a session exists (safeNext keeps it ASCII).
      validateHeaderValue('location', next)
      let created: Awaited<ReturnType<SessionApi['create']>>
      try {
        created = await sessions.create(username, password, request.ip)
      } catch (err) {
        const p = classifyError(err)
        if (p.status >= 500) throw err
        const message = p.status === 401 ? 'The user name or password is wrong.' : p.detail
        request.log.info({ code: p.code }, 'browse sign-in refused')
        const { 'www-authenticate': _challenge, ...headers } = p.headers
        return reply
          .code(p.status)
          .headers(headers)
          .type(HTML)
          .send(loginPage(next, message, username))
      }
      // A session whose redirect never reached the client (a header Node refused, an error after
      // this point, the client gone) is held by nobody: revoke it rather than leave it in the store.
      const res = reply.raw
      let delivered = false
      res.once('finish', () => {
        delivered = res.statusCode === 303
      })
      res.once('close', () => {
        if (delivered) return
        sessions.revoke(created.token).catch((err: unknown) => {
          request.log.warn({ err }, 'could not revoke an undelivered browse session')
        })
      })
      setSessionCookie(request, reply, created.token, created.expiresAt)
      return reply.redirect(next, 303)
    },
  )

  app.post('/_browse/logout', async (request, reply) => {
    const token = sessionToken(request)
    if (token !== undefined && sessions !== undefined) {
      // Revoke first so a copied cookie is dead too; an unknown token is already as good as revoked.
      await sessions.revoke(token)
    }
    reply.header('set-cookie', clearedSessionCookie(isSecure(request)))
    return reply.redirect('/_browse/login', 303)
  })
}

/** The cookie's name, for tests and documentation. */
export { SESSION_COOKIE }
