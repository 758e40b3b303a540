/**
 * The browser face: `GET /browse/{path}` renders a directory listing server-side (through the
 * FileService, never FTP) with filter, sort and page numbers over the whole folder; sign-in and
 * sign-out set and clear the session cookie; the scripts served from here add upload (through
 * /_browse/upload.js, the upload contract shared with tus), new folder, rename, delete, move and
 * copy, multi-select, the file viewer and the Connect panel, all through the REST API.
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
import type { OidcSignIn } from '../../auth/oidc-signin.js'
import type { Authenticator, SessionApi } from '../../auth/types.js'
import { FileError, isFileError } from '../../files/errors.js'
import type { FileService, Identity, ListPage } from '../../files/types.js'
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
import { ASSETS, UPLOAD_ASSET } from './assets.js'
import { fileHref, parseSort, safeNext } from './format.js'
import { plainError } from './messages.js'
import { oidcSignOut, registerOidcRoutes } from './oidc-routes.js'
import { errorPage, loginPage, type SignInChoices, type Viewer } from './render.js'
import { listingPage } from './render-listing.js'

export { cookieAuthHook } from '../session-cookie.js'

/** Options of the browse plugin. */
export interface BrowseOptions {
  files: FileService
  auth: Authenticator
  /** Without a session API the sign-in form is unavailable; Basic credentials still work. */
  sessions?: SessionApi | undefined
  /** The OpenID sign-in (`oidc` configured): the sign-in page offers it, `/auth/*` serves it. */
  signIn?: OidcSignIn | undefined
  /**
   * Whether a user name and password can sign in (FTP accounts, or htpasswd users): false hides
   * the form where only the OpenID sign-in can work. Default true.
   */
  passwordSignIn?: boolean | undefined
}

/**
 * The policy of every browse response (scripts and styles only from this origin). The viewer
 * frames PDFs and plays media from the file URLs of this origin, which carry their own sandbox
 * policy (user-content.ts), so `frame-src` and `media-src` allow 'self' and nothing else.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
  "frame-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/** Entries per listing page unless `?limit=` says otherwise (the API's own limits apply). */
export const PAGE_SIZE = 500
const MAX_PAGE_SIZE = 10_000
// Far beyond any folder (10 million entries at the smallest page); only a typo goes past it.
const MAX_PAGE_NUMBER = 10_000_000
const FORM_BODY_LIMIT = 16 * 1024
const HTML = 'text/html; charset=utf-8'

// Who signed in, per request, so an error page keeps the same header as the page it replaces.
const viewers = new WeakMap<FastifyRequest, Viewer>()

interface Signed {
  who: Identity
  viewer: Viewer
}

/** The browse plugin (registered without a prefix: it owns `/`, `/browse/…` and `/_browse/…`). */
export const browsePlugin: FastifyPluginAsync<BrowseOptions> = async (
  app,
  { files, auth, sessions, signIn, passwordSignIn = true },
) => {
  const choices = (next: string): SignInChoices => ({
    password: passwordSignIn || signIn === undefined,
    provider: signIn && { name: signIn.providerName, href: `/auth/login?return=${encodeURIComponent(next)}` },
  })
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
    // Plain words for people; the problem's own detail (maybe an FTP reply) stays in the log.
    const words = plainError(p.status, p.code)
    return reply
      .code(p.status)
      .headers(headers)
      .type(HTML)
      .send(errorPage(p.status, words.title, words.detail, viewers.get(request)))
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
      // Only a refused credential means "not signed in"; a limit, a ban or a provider outage is an answer.
      if (
        isAuthError(err, 'AUTH_ERR_RATE_LIMITED') ||
        isAuthError(err, 'AUTH_ERR_BANNED') ||
        isAuthError(err, 'AUTH_ERR_PROVIDER_UNAVAILABLE') ||
        !isAuthError(err)
      )
        throw err
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
    viewers.set(request, signed.viewer)
    const query = request.query
    const { sort, order } = parseSort(query.sort, query.order)
    // A repeated parameter arrives as an array: only a single value counts.
    const q = typeof query.q === 'string' ? query.q.trim() : ''
    const asked = Number(query.limit)
    const customLimit = Number.isInteger(asked) && asked >= 1 && asked <= MAX_PAGE_SIZE
    const limit = customLimit ? asked : PAGE_SIZE
    const pageNumber =
      query.page === undefined ? 1 : typeof query.page === 'string' ? Number(query.page) : Number.NaN
    if (!Number.isSafeInteger(pageNumber) || pageNumber < 1 || pageNumber > MAX_PAGE_NUMBER) {
      throw new FileError('FILE_ERR_BAD_REQUEST', 'The page number is not valid; start from the first page.')
    }
    let page: ListPage
    try {
      page = await files.list(signed.who, path, {
        limit,
        offset: (pageNumber - 1) * limit,
        sort,
        order,
        ...(q === '' ? {} : { q }),
      })
    } catch (err) {
      if (path === '' || !isFileError(err)) throw err
      // Not a listable folder: a file (hand it over), or nothing at all (say so in plain words).
      // Servers disagree on how listing a file fails (550, 501, 450), so ask what the path is.
      const stat = await files.stat(signed.who, path).then(
        (s) => ({ s }),
        (e: unknown) => ({ e }),
      )
      if ('s' in stat && stat.s.type !== 'dir') return reply.redirect(fileHref(path), 303)
      if ('e' in stat && isFileError(stat.e, 'FILE_ERR_NOT_FOUND')) {
        const words = plainError(404, 'FILE_ERR_NOT_FOUND', 'folder')
        const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : ''
        return reply
          .code(404)
          .type(HTML)
          .send(errorPage(404, words.title, words.detail, signed.viewer, { back: parent }))
      }
      throw err
    }
    const view = { dir: path, page, sort, order, q, limit, customLimit, viewer: signed.viewer }
    return reply.type(HTML).send(listingPage(view))
  })

  app.get('/_browse/upload.js', async (request, reply) => {
    // Not under /static/: its URL is a contract (parallel.md), so it is revalidated, not immutable.
    reply.header('cache-control', 'no-cache').header('etag', UPLOAD_ASSET.etag)
    if (request.headers['if-none-match'] === UPLOAD_ASSET.etag) return reply.code(304).send()
    return reply.type(UPLOAD_ASSET.type).send(UPLOAD_ASSET.body)
  })

  app.get<{ Params: { name: string } }>('/_browse/static/:name', async (request, reply) => {
    const asset = Object.hasOwn(ASSETS, request.params.name) ? ASSETS[request.params.name] : undefined
    if (asset === undefined) throw new FileError('FILE_ERR_NOT_FOUND', 'No such asset')
    // URLs carry the content hash, so a version never changes: cache it for a long time.
    reply.header('cache-control', 'public, max-age=31536000, immutable').header('etag', asset.etag)
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
    return reply.type(asset.type).send(asset.body)
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
    return reply.type(HTML).send(loginPage(next, undefined, '', choices(next)))
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
        return reply
          .code(400)
          .type(HTML)
          .send(loginPage(next, 'Enter your user name.', '', choices(next)))
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
          .send(loginPage(next, message, username, choices(next)))
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

  if (signIn !== undefined) registerOidcRoutes(app, signIn)

  app.post('/_browse/logout', async (request, reply) => {
    const token = sessionToken(request)
    // The app's cross-site hook has refused a post from another site before this runs.
    if (signIn !== undefined) return oidcSignOut(request, reply, signIn, token)
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
