/**
 * The REST API under `/api/v1`: the authenticated file routes, the session routes (which
 * authenticate themselves), and 405 answers (with `Allow`) for known paths called with a method
 * they do not take. Unknown paths are 404 GW_ERR_NOT_FOUND (the app's not-found handler).
 */
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { AppPasswordApi } from '../../auth/authenticator.js'
import type { Authenticator, SessionApi } from '../../auth/types.js'
import type { FileService } from '../../files/types.js'
import { simpleBodyHook } from '../cross-site.js'
import { GatewayError } from '../errors.js'
import { authenticateHook } from '../identity.js'
import { cookieAuthHook } from '../session-cookie.js'
import { type AdminApi, type AdminPolicy, adminRoutes, type BanApi } from './admin.js'
import { appPasswordRoutes } from './app-passwords.js'
import { type CredentialRoutesOptions, credentialRoutes } from './credentials.js'
import { dirRoutes } from './dirs.js'
import { fileRoutes } from './files.js'
import { type MeOptions, meRoutes } from './me.js'
import { moveCopyRoutes } from './move-copy.js'
import { sessionRoutes } from './sessions.js'
import { type ShareApiOptions, shareApiRoutes } from './shares.js'
import { statRoutes } from './stat.js'
import { uploadOptionsRoutes, uploadRoutes } from './uploads/routes.js'
import { UploadService, type UploadServiceOptions } from './uploads/service.js'
import { zipRoutes } from './zip.js'

/** Options of the API plugin. */
export interface ApiOptions {
  files: FileService
  auth: Authenticator
  sessions?: SessionApi | undefined
  /** The admin API (`/admin/...`); not mounted without it. */
  admin?: { api: AdminApi; policy: AdminPolicy; bans?: BanApi | undefined } | undefined
  /** Resumable uploads (`/uploads/`, tus); not mounted without them. */
  uploads?: Omit<UploadServiceOptions, 'files' | 'log'> | undefined
  /** Folder zips: ZIP_MAX_BYTES (0: no cap) and the metrics scope (the app's store). */
  zip?: { maxBytes: number; scope?: object | undefined } | undefined
  /** Share links (`/shares`); not mounted without them. */
  shares?: Omit<ShareApiOptions, 'files'> | undefined
  /** Each upstream's FTP account for a person (`/me`). */
  accountsOf?: MeOptions['accountsOf']
  /** App passwords (`/me/app-passwords`, and for admins `/admin/users/…/app-passwords`). */
  appPasswords?: { api: AppPasswordApi; policy?: AdminPolicy | undefined } | undefined
  /** Linked FTP accounts (`/me/credentials/…`, and for admins `/admin/users/…/credentials/…`). */
  links?: CredentialRoutesOptions | undefined
}

const METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS'] as const

// Methods each known path takes (HEAD comes with every GET).
const ALLOWED: Record<string, readonly string[]> = {
  '/files/*': ['GET', 'HEAD', 'PUT', 'DELETE'],
  '/dirs': ['GET', 'HEAD'],
  '/dirs/*': ['GET', 'HEAD', 'POST', 'DELETE'],
  '/stat/*': ['GET', 'HEAD'],
  '/zip/*': ['GET'],
  '/move': ['POST'],
  '/me': ['GET', 'HEAD'],
  '/copy': ['POST'],
}
const UPLOADS_ALLOWED: Record<string, readonly string[]> = {
  '/uploads': ['POST', 'OPTIONS'],
  '/uploads/': ['POST', 'OPTIONS'],
  '/uploads/:id': ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'],
}
const ADMIN_ALLOWED: Record<string, readonly string[]> = {
  '/admin/users/:user/sessions': ['DELETE'],
  '/admin/bans': ['GET', 'HEAD'],
  '/admin/bans/:id': ['DELETE'],
  '/admin/reload': ['POST'],
}
const SHARES_ALLOWED: Record<string, readonly string[]> = {
  '/shares': ['GET', 'HEAD', 'POST'],
  '/shares/:id': ['DELETE'],
}
const APP_PASSWORDS_ALLOWED: Record<string, readonly string[]> = {
  '/me/app-passwords': ['GET', 'HEAD', 'POST'],
  '/me/app-passwords/:id': ['DELETE'],
  '/admin/users/:user/app-passwords': ['GET', 'HEAD'],
  '/admin/users/:user/app-passwords/:id': ['DELETE'],
}
const LINKS_ALLOWED: Record<string, readonly string[]> = {
  '/me/credentials/:upstream': ['PUT', 'DELETE'],
  '/admin/users/:user/credentials/:upstream': ['PUT', 'DELETE'],
}
const SESSION_ALLOWED: Record<string, readonly string[]> = {
  '/sessions': ['POST'],
  '/sessions/current': ['GET', 'HEAD', 'DELETE'],
}

function methodNotAllowed(app: FastifyInstance, table: Record<string, readonly string[]>): void {
  // Bodies of refused requests are never parsed (a PUT to /dirs/x must be 405, not 415).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  for (const [url, allowed] of Object.entries(table)) {
    const others = METHODS.filter((m) => !allowed.includes(m))
    const allow = allowed.join(', ')
    app.route({
      method: others,
      url,
      schema: { hide: true },
      handler: async (request) => {
        throw new GatewayError('GW_ERR_METHOD', `${request.method} is not allowed here; use ${allow}`, {
          allow,
        })
      },
    })
  }
}

/** The `/api/v1` plugin (register with that prefix). */
export const apiRoutes: FastifyPluginAsync<ApiOptions> = async (app, options) => {
  const { files, auth, sessions, admin } = options
  // TypeBox's compiler converts query and params but never coerces a JSON body ("1" is not true).
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  const uploads = options.uploads && new UploadService({ ...options.uploads, files, log: app.log })
  if (uploads) {
    let stop: (() => void) | undefined
    app.addHook('onReady', async () => {
      stop = uploads.startSweeping()
    })
    app.addHook('onClose', async () => stop?.())
    await app.register(uploadOptionsRoutes, { maxBytes: uploads.maxBytes })
  }
  await app.register(async (authed) => {
    // The browse page's session cookie becomes a Bearer header (unsafe methods need its CSRF header).
    authed.addHook('onRequest', cookieAuthHook())
    // A form-typed POST (which needs no CORS preflight) is refused before authentication's FTP login.
    authed.addHook('onRequest', simpleBodyHook())
    authed.addHook('onRequest', authenticateHook(auth))
    await authed.register(fileRoutes, { files })
    await authed.register(dirRoutes, { files })
    await authed.register(statRoutes, { files })
    await authed.register(meRoutes, { accountsOf: options.accountsOf })
    await authed.register(moveCopyRoutes, { files })
    await authed.register(zipRoutes, {
      files,
      maxBytes: options.zip?.maxBytes ?? 0,
      scope: options.zip?.scope,
    })
    if (uploads) await authed.register(uploadRoutes, { uploads })
    if (options.shares) await authed.register(shareApiRoutes, { ...options.shares, files })
    if (options.appPasswords)
      await authed.register(appPasswordRoutes, {
        appPasswords: options.appPasswords.api,
        policy: options.appPasswords.policy,
      })
    if (options.links) await authed.register(credentialRoutes, options.links)
    if (admin !== undefined)
      await authed.register(adminRoutes, { admin: admin.api, policy: admin.policy, bans: admin.bans })
  })
  if (sessions !== undefined) await app.register(sessionRoutes, { sessions, authenticator: auth })
  await app.register(async (refused) =>
    methodNotAllowed(refused, {
      ...ALLOWED,
      ...(uploads === undefined ? {} : UPLOADS_ALLOWED),
      ...(sessions === undefined ? {} : SESSION_ALLOWED),
      ...(admin === undefined ? {} : ADMIN_ALLOWED),
      ...(options.shares === undefined ? {} : SHARES_ALLOWED),
      ...(options.appPasswords === undefined ? {} : APP_PASSWORDS_ALLOWED),
      ...(options.links === undefined ? {} : LINKS_ALLOWED),
    }),
  )
}
