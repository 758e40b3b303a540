/**
 * Linked FTP accounts on `mapped` upstreams (issue 18): `PUT /api/v1/me/credentials/{upstream}`
 * links the caller's own FTP account there once the FTP server accepts it, `DELETE` unlinks it;
 * administrators do the same for anyone under `/api/v1/admin/users/{user}/credentials/{upstream}`.
 * The password goes to the FTP server and into the store sealed (auth/linked-accounts.ts); it is
 * never answered, logged or audited.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { LinkedAccounts } from '../../auth/linked-accounts.js'
import { audit } from '../audit.js'
import { requestIdentity } from '../identity.js'
import { type AdminPolicy, requireAdmin } from './admin.js'
import { COMMON_PROBLEMS, empty, problems, SECURITY } from './schemas.js'

/** Options of credentialRoutes. */
export interface CredentialRoutesOptions {
  links: Pick<LinkedAccounts, 'link' | 'unlink'>
  /** Runs a login attempt under the failed-login limits (Auth.guard). */
  guard: (user: string, address: string, via: string, attempt: () => Promise<boolean>) => Promise<boolean>
  /** Who may set other users' accounts; without it the admin routes are not mounted. */
  policy?: AdminPolicy | undefined
}

const NAME = '^[^\\u0000-\\u001f\\u007f]+$'
const UpstreamParam = Type.Object({
  upstream: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' }),
})
const UserUpstreamParams = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 256, pattern: NAME }),
  upstream: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' }),
})
const LinkBody = Type.Object(
  {
    username: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: '^[^\\r\\n\\u0000]+$',
      description: 'Your FTP user name on that upstream',
    }),
    password: Type.String({
      minLength: 1,
      maxLength: 512,
      pattern: '^[^\\r\\n\\u0000]+$',
      description: 'Its password: checked with an FTP login, then kept sealed, never shown again',
    }),
  },
  { title: 'FtpAccount', additionalProperties: false },
)

/** The routes (register inside the authenticated context, under /api/v1). */
export const credentialRoutes: FastifyPluginAsyncTypebox<CredentialRoutesOptions> = async (app, options) => {
  const { links, guard, policy } = options

  const link = async (
    request: FastifyRequest,
    principal: string,
    upstream: string,
    body: { username: string; password: string },
  ) => {
    const guarded = (attempt: () => Promise<boolean>) => guard(principal, request.ip, 'link', attempt)
    try {
      await links.link(principal, upstream, body.username, body.password, guarded)
    } catch (err) {
      audit(request, { action: 'link-account', path: undefined, to: upstream, outcome: 'failure' })
      throw err
    }
    audit(request, { action: 'link-account', path: undefined, to: upstream, outcome: 'success', status: 204 })
  }
  const unlink = async (request: FastifyRequest, principal: string, upstream: string) => {
    try {
      await links.unlink(principal, upstream)
    } catch (err) {
      audit(request, { action: 'unlink-account', path: undefined, to: upstream, outcome: 'failure' })
      throw err
    }
    audit(request, {
      action: 'unlink-account',
      path: undefined,
      to: upstream,
      outcome: 'success',
      status: 204,
    })
  }

  app.put(
    '/me/credentials/:upstream',
    {
      schema: {
        operationId: 'linkFtpAccount',
        summary: 'Link your FTP account on a mapped upstream',
        description:
          'The gateway logs in to the upstream with it first: 204 once the server accepted it (then every request of yours there runs as that account), 422 AUTH_ERR_LINK_REFUSED and nothing stored when it refused. The password is kept sealed in the store and never shown again.',
        tags: ['me'],
        security: SECURITY,
        params: UpstreamParam,
        body: LinkBody,
        response: {
          204: empty('Linked (replacing any account linked before)'),
          ...problems(...COMMON_PROBLEMS, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      await link(request, requestIdentity(request).principal, request.params.upstream, request.body)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/me/credentials/:upstream',
    {
      schema: {
        operationId: 'unlinkFtpAccount',
        summary: 'Unlink your FTP account on a mapped upstream',
        description:
          'Requests of yours there are 403 AUTH_ERR_NOT_LINKED from the next one on, on every instance.',
        tags: ['me'],
        security: SECURITY,
        params: UpstreamParam,
        response: {
          204: empty('Unlinked (also when nothing was linked)'),
          ...problems(...COMMON_PROBLEMS, 404, 409),
        },
      },
    },
    async (request, reply) => {
      await unlink(request, requestIdentity(request).principal, request.params.upstream)
      return reply.code(204).send(null)
    },
  )

  if (policy === undefined) return

  app.put(
    '/admin/users/:user/credentials/:upstream',
    {
      schema: {
        operationId: 'linkUserFtpAccount',
        summary: "Link a user's FTP account on a mapped upstream",
        description:
          'As `PUT /me/credentials/{upstream}`, for the principal `user`. Only for principals listed in GATEWAY_ADMINS.',
        tags: ['admin'],
        security: SECURITY,
        params: UserUpstreamParams,
        body: LinkBody,
        response: {
          204: empty('Linked'),
          ...problems(...COMMON_PROBLEMS, 403, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request, policy)
      await link(request, request.params.user, request.params.upstream, request.body)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/admin/users/:user/credentials/:upstream',
    {
      schema: {
        operationId: 'unlinkUserFtpAccount',
        summary: "Unlink a user's FTP account on a mapped upstream",
        description: 'Only for principals listed in GATEWAY_ADMINS.',
        tags: ['admin'],
        security: SECURITY,
        params: UserUpstreamParams,
        response: {
          204: empty('Unlinked (also when nothing was linked)'),
          ...problems(...COMMON_PROBLEMS, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request, policy)
      await unlink(request, request.params.user, request.params.upstream)
      return reply.code(204).send(null)
    },
  )
}
