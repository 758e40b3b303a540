/**
 * The admin API under `/api/v1/admin`: operations on other users, allowed only to the principals
 * GATEWAY_ADMINS names. Today one: drop a user's pooled FTP sessions on every instance (after a
 * password change, or to cut off a user at once).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Identity } from '../../files/types.js'
import { audit } from '../audit.js'
import { GatewayError } from '../errors.js'
import { requestIdentity } from '../identity.js'
import { COMMON_PROBLEMS, empty, problems, SECURITY } from './schemas.js'

/** What the admin routes act on (the file service's session pool). */
export interface AdminApi {
  /** Drops every pooled session of FTP user `user` on every instance sharing the store. */
  dropUserSessions(user: string): Promise<void>
}

/** Who may use the admin API (GATEWAY_ADMINS). */
export interface AdminPolicy {
  /** Principal names from `user:NAME` entries. */
  users: readonly string[]
}

/**
 * Whether `who` is an administrator: the one check every admin route makes, so that admins from
 * the config file and groups are added here alone.
 */
export function isAdmin(who: Identity, policy: AdminPolicy): boolean {
  return policy.users.includes(who.principal)
}

/** Refuses (403 GW_ERR_NOT_ADMIN) a request whose principal is not an administrator. */
export function requireAdmin(request: FastifyRequest, policy: AdminPolicy): Identity {
  const who = requestIdentity(request)
  if (!isAdmin(who, policy))
    throw new GatewayError('GW_ERR_NOT_ADMIN', 'This operation needs an administrator')
  return who
}

// A user name as the FTP server takes it: printable, no control characters, bounded.
const UserParam = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
})

/** The admin routes (register inside the authenticated context, under /api/v1). */
export const adminRoutes: FastifyPluginAsyncTypebox<{ admin: AdminApi; policy: AdminPolicy }> = async (
  app,
  { admin, policy },
) => {
  app.delete(
    '/admin/users/:user/sessions',
    {
      schema: {
        operationId: 'dropUserSessions',
        summary: "Drop a user's pooled FTP sessions on every instance",
        description:
          'Idle sessions close at once, busy ones when their request ends; the next request of that user logs in to the FTP server afresh. Only for principals listed in GATEWAY_ADMINS.',
        tags: ['admin'],
        security: SECURITY,
        params: UserParam,
        response: {
          204: empty('Dropped (also when the user had none)'),
          ...problems(...COMMON_PROBLEMS, 403),
        },
      },
    },
    async (request, reply) => {
      const { user } = request.params
      try {
        requireAdmin(request, policy)
        await admin.dropUserSessions(user)
      } catch (err) {
        audit(request, { action: 'drop-sessions', path: undefined, to: user, outcome: 'failure' })
        throw err
      }
      audit(request, { action: 'drop-sessions', path: undefined, to: user, outcome: 'success', status: 204 })
      return reply.code(204).send(null)
    },
  )
}
