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
import { empty, jsonContent, PROBLEM_SCHEMA_ID, ProblemSchema, PUBLIC, problems } from './schemas.js'

/** Options of sessionRoutes. */
export interface SessionRoutesOptions {
  sessions: SessionApi
  authenticator: Authenticator
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
  {
    additionalProperties: false,
    title: 'SessionRequest',
    description: 'Credentials to trade for a token',
    examples: [{ username: 'alice', password: 'correct horse battery staple' }],
  },
)

const Created = Type.Object(
  {
    token: Type.String({ description: 'Send as `Authorization: Bearer <token>`' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  {
    title: 'SessionToken',
    description: 'A new API session token',
    examples: [
      { token: 'q1XGk1m0dS6y2gRk6nWnE5l3Vb3JmQYp1T2pQm9q8Xc', expiresAt: '2026-12-08T09:00:00.000Z' },
    ],
  },
)

const Current = Type.Object(
  {
    username: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Session', description: 'The session of a bearer token' },
)

const bearerSecurity = [{ bearerAuth: [] }]

/** POST /sessions, GET and DELETE /sessions/current (registered under /api/v1 by the app). */
export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { sessions, authenticator } = options
  // Mounted alone (tests, tools), the shared problem schema the responses reference is added here.
  if (fastify.getSchema(PROBLEM_SCHEMA_ID) === undefined) fastify.addSchema(ProblemSchema)

  app.post(
    '/sessions',
    {
      schema: {
        operationId: 'createSession',
        tags: ['sessions'],
        summary: 'Create an API session token',
        description: 'Checks the credentials (an FTP login, or htpasswd in service-account mode).',
        security: PUBLIC,
        body: CreateBody,
        response: {
          201: {
            description: 'The token (not stored by any cache: Cache-Control: no-store)',
            ...jsonContent(Created),
          },
          ...problems(...PROBLEMS),
        },
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
        operationId: 'getCurrentSession',
        tags: ['sessions'],
        summary: 'Describe the bearer token of this request',
        security: bearerSecurity,
        response: { 200: { description: 'The session', ...jsonContent(Current) }, ...problems(...PROBLEMS) },
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
        operationId: 'deleteCurrentSession',
        tags: ['sessions'],
        summary: 'Revoke the bearer token of this request',
        security: bearerSecurity,
        response: { 204: empty('Revoked'), ...problems(...PROBLEMS) },
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
