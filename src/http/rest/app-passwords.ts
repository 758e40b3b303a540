/**
 * App passwords (issue 18): `POST /api/v1/me/app-passwords` makes one (the password is in that
 * answer only), `GET` lists them without secrets, `DELETE …/{id}` revokes one on every instance.
 * They are used as HTTP Basic with the person's own name (auth/app-passwords.ts); an app password
 * cannot make or revoke app passwords. Administrators list and revoke anyone's under
 * `/api/v1/admin/users/{user}/app-passwords`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { APP_PASSWORD_ID_PATTERN } from '../../auth/app-passwords.js'
import type { AppPasswordApi } from '../../auth/authenticator.js'
import { audit } from '../audit.js'
import { requestIdentity } from '../identity.js'
import { type AdminPolicy, requireAdmin } from './admin.js'
import { COMMON_PROBLEMS, created, empty, jsonContent, problems, SECURITY } from './schemas.js'

/** Longest label, in characters. */
export const MAX_LABEL = 100

const LabelSchema = Type.String({
  minLength: 1,
  maxLength: MAX_LABEL,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  description: 'What the password is for (a device or a program), for your list',
})
const CreateBody = Type.Object(
  { label: LabelSchema },
  { title: 'AppPasswordInput', additionalProperties: false },
)
const CreatedSchema = Type.Object(
  {
    id: Type.String(),
    label: Type.String(),
    password: Type.String({
      description: 'Shown this once: use it as the Basic password with your user name',
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'NewAppPassword' },
)
const InfoSchema = Type.Object(
  {
    id: Type.String(),
    label: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'Within a minute; null: never used',
    }),
  },
  { title: 'AppPassword' },
)
const ListSchema = Type.Object({ appPasswords: Type.Array(InfoSchema) }, { title: 'AppPasswordList' })
const IdParam = Type.Object({ id: Type.String({ pattern: APP_PASSWORD_ID_PATTERN }) })
const UserParam = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
})
const UserIdParams = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
  id: Type.String({ pattern: APP_PASSWORD_ID_PATTERN }),
})

/** The JSON form of a list (no secrets). */
function listJson(list: Awaited<ReturnType<AppPasswordApi['list']>>) {
  return {
    appPasswords: list.map((p) => ({
      id: p.id,
      label: p.label,
      createdAt: p.createdAt.toISOString(),
      lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
    })),
  }
}

/** The routes (register inside the authenticated context, under /api/v1). */
export const appPasswordRoutes: FastifyPluginAsyncTypebox<{
  appPasswords: AppPasswordApi
  /** Who may list and revoke other people's (the admin routes are not mounted without it). */
  policy?: AdminPolicy | undefined
}> = async (app, { appPasswords, policy }) => {
  app.post(
    '/me/app-passwords',
    {
      schema: {
        operationId: 'createAppPassword',
        summary: 'Make an app password',
        description:
          'For clients that cannot sign in otherwise (WebDAV drives, rclone, scripts): HTTP Basic with your user name and this password acts as you (your groups as now). The password is in this answer only. Not with an app password.',
        tags: ['me'],
        security: SECURITY,
        body: CreateBody,
        response: {
          201: created('The new app password', CreatedSchema),
          ...problems(...COMMON_PROBLEMS, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const who = requestIdentity(request)
      const made = await appPasswords.create(who, request.body.label)
      audit(request, {
        action: 'app-password-create',
        path: undefined,
        to: made.id,
        outcome: 'success',
        status: 201,
      })
      reply.header('cache-control', 'no-store')
      return reply
        .code(201)
        .header('location', `/api/v1/me/app-passwords/${made.id}`)
        .send({ ...made, createdAt: made.createdAt.toISOString() })
    },
  )

  app.get(
    '/me/app-passwords',
    {
      schema: {
        operationId: 'listAppPasswords',
        summary: 'Your app passwords (no secrets)',
        tags: ['me'],
        security: SECURITY,
        response: {
          200: { description: 'Oldest first', ...jsonContent(ListSchema) },
          ...problems(...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      const who = requestIdentity(request)
      reply.header('cache-control', 'no-store')
      return listJson(await appPasswords.list(who.principal))
    },
  )

  app.delete(
    '/me/app-passwords/:id',
    {
      schema: {
        operationId: 'deleteAppPassword',
        summary: 'Revoke an app password',
        description:
          'Its next request is 401 on every instance. Another user’s id is 404 (its existence is not revealed). Not with an app password.',
        tags: ['me'],
        security: SECURITY,
        params: IdParam,
        response: {
          204: empty('Revoked'),
          ...problems(...COMMON_PROBLEMS, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const who = requestIdentity(request)
      const { id } = request.params
      return revoked(request, reply, id, () => appPasswords.remove(who, id))
    },
  )

  if (policy === undefined) return

  app.get(
    '/admin/users/:user/app-passwords',
    {
      schema: {
        operationId: 'listUserAppPasswords',
        summary: "A user's app passwords (no secrets)",
        description: 'Only for administrators (GATEWAY_ADMINS).',
        tags: ['admin'],
        security: SECURITY,
        params: UserParam,
        response: {
          200: { description: 'Oldest first', ...jsonContent(ListSchema) },
          ...problems(...COMMON_PROBLEMS, 403),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request, policy)
      reply.header('cache-control', 'no-store')
      return listJson(await appPasswords.list(request.params.user))
    },
  )

  app.delete(
    '/admin/users/:user/app-passwords/:id',
    {
      schema: {
        operationId: 'deleteUserAppPassword',
        summary: "Revoke a user's app password",
        description: 'Its next request is 401 on every instance. Only for administrators (GATEWAY_ADMINS).',
        tags: ['admin'],
        security: SECURITY,
        params: UserIdParams,
        response: {
          204: empty('Revoked'),
          ...problems(...COMMON_PROBLEMS, 403, 404),
        },
      },
    },
    async (request, reply) => {
      requireAdmin(request, policy)
      const { user, id } = request.params
      return revoked(request, reply, id, () => appPasswords.removeFor(user, id))
    },
  )
}

/** Runs a revocation and audits it either way (the caller's own and an admin's alike); 204. */
async function revoked(
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  remove: () => Promise<unknown>,
): Promise<FastifyReply> {
  try {
    await remove()
  } catch (err) {
    audit(request, { action: 'app-password-delete', path: undefined, to: id, outcome: 'failure' })
    throw err
  }
  audit(request, { action: 'app-password-delete', path: undefined, to: id, outcome: 'success', status: 204 })
  return reply.code(204).send(null)
}
