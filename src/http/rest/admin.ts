/**
 * The admin API under `/api/v1/admin`: operations on other users, allowed only to the principals
 * GATEWAY_ADMINS names: drop a user's pooled FTP sessions on every instance (after a password
 * change, or to cut off a user at once), and list and lift the bans the failed-login limits issue
 * (auth/bans.ts). Every check of the caller comes before anything is read or changed.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { BAN_ID_PATTERN, type Ban } from '../../auth/index.js'
import type { Identity } from '../../files/types.js'
import { audit } from '../audit.js'
import { GatewayError } from '../errors.js'
import { requestIdentity } from '../identity.js'
import { COMMON_PROBLEMS, empty, ok, problems, SECURITY } from './schemas.js'

/** What a reload of the config file did (src/reloader.ts's ReloadReport). */
export type AdminReloadReport =
  | { ok: true; upstreams: string[]; mounts: string[]; restartNeeded: readonly string[] }
  | { ok: false; reason: 'no-file' | 'invalid'; problems: readonly string[] }

/** What the admin routes act on (the file service's session pool, the gateway's config file). */
export interface AdminApi {
  /** Drops every pooled session of FTP user `user` on every instance sharing the store. */
  dropUserSessions(user: string): Promise<void>
  /** Re-reads GATEWAY_CONFIG here and, when it worked, on every other instance (as SIGHUP does here). */
  reload(): Promise<AdminReloadReport>
}

/** The shared ban list as the admin routes use it (auth/bans.ts's BanList). */
export interface BanApi {
  /** The bans in force on every instance. */
  list(): Promise<Ban[]>
  /** Lifts a ban in force (`by`: the admin, for the log); undefined when there is none. */
  lift(id: string, by: string): Promise<Ban | undefined>
}

/** Who may use the admin API (GATEWAY_ADMINS). */
export interface AdminPolicy {
  /** Principal names from `user:NAME` entries. */
  users: readonly string[]
  /** Group names from `group:NAME` entries (matched against the caller's groups). */
  groups?: readonly string[] | undefined
}

/**
 * Whether `who` is an administrator: the one check every admin route makes, so that admins from
 * the config file and groups are added here alone.
 */
export function isAdmin(who: Identity, policy: AdminPolicy): boolean {
  if (policy.users.includes(who.principal)) return true
  const groups = policy.groups
  return groups !== undefined && groups.length > 0 && (who.groups ?? []).some((g) => groups.includes(g))
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

const BanSchema = Type.Object(
  {
    id: Type.String({ pattern: BAN_ID_PATTERN, description: 'What `DELETE /admin/bans/{id}` takes' }),
    kind: Type.Unsafe<'address' | 'user'>({
      type: 'string',
      enum: ['address', 'user'],
      description:
        '`address`: every login from it is refused; `user`: logins as it are refused from addresses with failed logins in the current window',
    }),
    subject: Type.String({ description: 'The client address or the user name' }),
    since: Type.String({ format: 'date-time', description: 'When the ban started' }),
    until: Type.String({ format: 'date-time', description: 'When it ends (Retry-After counts down to it)' }),
    strikes: Type.Integer({
      minimum: 1,
      description:
        'Bans in a row for this subject; each doubles the length (BAN_BASE_SECONDS … BAN_MAX_SECONDS)',
    }),
    reason: Type.String({ description: 'The limit that was reached (its setting)' }),
  },
  { title: 'Ban', description: 'A ban in force on every instance' },
)

const BanListSchema = Type.Object(
  { bans: Type.Array(BanSchema, { description: 'The bans in force, the one ending soonest first' }) },
  { title: 'BanList', description: 'The bans in force' },
)

const ReloadSchema = Type.Object(
  {
    upstreams: Type.Array(Type.String(), { description: 'The upstreams now in effect' }),
    mounts: Type.Array(Type.String(), { description: 'The mount paths now in effect' }),
    restartNeeded: Type.Array(Type.String(), {
      description: 'Keys changed in the file that keep their running value until a restart',
    }),
  },
  { title: 'Reload', description: 'The configuration now in effect' },
)

const BanParam = Type.Object({
  id: Type.String({ pattern: BAN_ID_PATTERN, description: 'A ban id from `GET /admin/bans`' }),
})

const shown = (ban: Ban) => ({
  id: ban.id,
  kind: ban.kind,
  subject: ban.subject,
  since: new Date(ban.since).toISOString(),
  until: new Date(ban.until).toISOString(),
  strikes: ban.strikes,
  reason: ban.reason,
})

/** The admin routes (register inside the authenticated context, under /api/v1). */
export const adminRoutes: FastifyPluginAsyncTypebox<{
  admin: AdminApi
  policy: AdminPolicy
  bans?: BanApi | undefined
}> = async (app, { admin, policy, bans }) => {
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

  app.post(
    '/admin/reload',
    {
      schema: {
        operationId: 'reloadConfig',
        summary: 'Re-read the config file on every instance',
        description:
          'As SIGHUP: GATEWAY_CONFIG is read and validated as at start; a valid file takes effect for new requests (transfers in flight finish on what they started with) on this instance, which then asks every other instance sharing the store to reload its own file. An invalid file is refused with every problem (422) and nothing changes. 409 when the gateway was started without a config file. Only for principals listed in GATEWAY_ADMINS.',
        tags: ['admin'],
        security: SECURITY,
        response: {
          200: ok('Reloaded: what is now in effect', ReloadSchema),
          ...problems(...COMMON_PROBLEMS, 403, 409, 422),
        },
      },
    },
    async (request) => {
      let report: AdminReloadReport
      try {
        requireAdmin(request, policy)
        report = await admin.reload()
        if (!report.ok && report.reason === 'no-file')
          throw new GatewayError('GW_ERR_NO_CONFIG_FILE', 'The gateway was started without GATEWAY_CONFIG')
        if (!report.ok) throw new GatewayError('GW_ERR_CONFIG_INVALID', report.problems.join('; '))
      } catch (err) {
        audit(request, { action: 'reload', path: undefined, outcome: 'failure' })
        throw err
      }
      audit(request, { action: 'reload', path: undefined, outcome: 'success', status: 200 })
      return { upstreams: report.upstreams, mounts: report.mounts, restartNeeded: [...report.restartNeeded] }
    },
  )

  if (bans === undefined) return
  app.get(
    '/admin/bans',
    {
      schema: {
        operationId: 'listBans',
        summary: 'List the bans in force',
        description:
          'Addresses and user names banned after reaching a failed-login limit (LOGIN_FAIL_*), on every instance sharing the store. Only for principals listed in GATEWAY_ADMINS.',
        tags: ['admin'],
        security: SECURITY,
        response: { 200: ok('The bans in force', BanListSchema), ...problems(...COMMON_PROBLEMS, 403) },
      },
    },
    async (request) => {
      requireAdmin(request, policy)
      return { bans: (await bans.list()).map(shown) }
    },
  )

  app.delete(
    '/admin/bans/:id',
    {
      schema: {
        operationId: 'liftBan',
        summary: 'Lift a ban on every instance',
        description:
          'The address or user name may log in again at once, and its strikes are forgotten (its next ban is the first). Only for principals listed in GATEWAY_ADMINS.',
        tags: ['admin'],
        security: SECURITY,
        params: BanParam,
        response: {
          204: empty('Lifted'),
          ...problems(...COMMON_PROBLEMS, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      let lifted: Ban | undefined
      try {
        const who = requireAdmin(request, policy)
        lifted = await bans.lift(id, who.principal)
        if (lifted === undefined) throw new GatewayError('GW_ERR_NO_BAN', 'No ban with this id is in force')
      } catch (err) {
        audit(request, { action: 'ban-lift', path: undefined, to: id, outcome: 'failure' })
        throw err
      }
      audit(request, { action: 'ban-lift', path: undefined, to: id, outcome: 'success', status: 204 })
      return reply.code(204).send(null)
    },
  )
}
