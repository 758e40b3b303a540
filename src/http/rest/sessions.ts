/**
 * API session routes: trade a user name and password for a bearer token, inspect it, revoke it.
 * Errors are thrown as AuthError/FileError; the app's error handler turns them into problem+json.
 * Token responses are `Cache-Control: no-store`: a token must not sit in any cache.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { bearerToken, MAX_PASSWORD_BYTES, MAX_USER_BYTES } from '../../auth/basic.js'
import { AuthError } from '../../auth/errors.js'
import type { Authenticator, SessionApi } from '../../auth/types.js'
import { PROBLEM_CONTENT_TYPE } from '../problem.js'

/** Options of sessionRoutes. */
export interface SessionRoutesOptions {
  sessions: SessionApi
  authenticator: Authenticator
}

// Every field optional: the app's error handler shapes problems, this only documents them and must
// never make their serialisation fail. Declared as application/problem+json, which is what the
// error handler sends (the contract said application/json, which no response ever was).
const Problem = Type.Object(
  {
    type: Type.Optional(Type.String()),
    title: Type.Optional(Type.String()),
    status: Type.Optional(Type.Integer()),
    detail: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
)
/** Problem responses for `statuses`, as application/problem+json. */
function problems(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {}
  for (const status of statuses) {
    out[status] = { description: 'Problem', content: { [PROBLEM_CONTENT_TYPE]: { schema: Problem } } }
  }
  return out
}
// 500 from anything unexpected; 502/503/504 when the FTP login or the store cannot be reached.
const PROBLEMS = [400, 401, 429, 500, 502, 503, 504]

// Character limits are loose upper bounds (a UTF-8 character is at most 4 bytes); the exact byte
// limits, and the CR/LF/NUL refusal, are checked by the session API.
const CreateBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: MAX_USER_BYTES }),
    password: Type.String({ maxLength: MAX_PASSWORD_BYTES }),
  },
  { additionalProperties: false },
)

const Created = Type.Object({
  token: Type.String({ description: 'Send as `Authorization: Bearer <token>`' }),
  expiresAt: Type.String({ format: 'date-time' }),
})

const Current = Type.Object({
  username: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
})

const bearerSecurity = [{ bearerAuth: [] }]

/** POST /sessions, GET and DELETE /sessions/current (registered under /api/v1 by the app). */
export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { sessions, authenticator } = options

  app.post(
    '/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Create an API session token',
        description: 'Checks the credentials (an FTP login, or htpasswd in service-account mode).',
        body: CreateBody,
        response: { 201: Created, ...problems(...PROBLEMS) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body
      const { token, expiresAt } = await sessions.create(username, password, request.ip)
      reply.header('cache-control', 'no-store')
      return reply.code(201).send({ token, expiresAt: expiresAt.toISOString() })
    },
  )

  app.get(
    '/sessions/current',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Describe the bearer token of this request',
        security: bearerSecurity,
        response: { 200: Current, ...problems(...PROBLEMS) },
      },
    },
    async (request, reply) => {
      const token = bearerToken(request.headers.authorization)
      // Full validation (and the sliding expiry push) first, then the metadata as it now stands.
      await authenticator.authenticate(request.headers.authorization, request.ip)
      const current = await sessions.describe(token)
      if (!current) throw new AuthError('AUTH_ERR_INVALID', 'the token is invalid, expired or revoked')
      reply.header('cache-control', 'no-store')
      return {
        username: current.username,
        createdAt: current.createdAt.toISOString(),
        expiresAt: current.expiresAt.toISOString(),
      }
    },
  )

  app.delete(
    '/sessions/current',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Revoke the bearer token of this request',
        security: bearerSecurity,
        response: { 204: Type.Null(), ...problems(...PROBLEMS) },
      },
    },
    async (request, reply) => {
      const token = bearerToken(request.headers.authorization)
      if (!(await sessions.revoke(token))) {
        throw new AuthError('AUTH_ERR_INVALID', 'the token is invalid, expired or revoked')
      }
      return reply.code(204).send(null)
    },
  )
}
