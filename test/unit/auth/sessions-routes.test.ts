import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/auth/authenticator.js'
import { AuthError } from '../../../src/auth/errors.js'
import { sessionRoutes } from '../../../src/http/rest/sessions.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { basic, fakeFiles, testConfig } from './auth-fixtures.js'

const STATUS: Record<string, number> = {
  AUTH_ERR_MISSING: 401,
  AUTH_ERR_INVALID: 401,
  AUTH_ERR_BAD_HEADER: 400,
  AUTH_ERR_RATE_LIMITED: 429,
  AUTH_ERR_BANNED: 429,
}

describe('session routes', () => {
  let store: MemoryStore
  let app: FastifyInstance

  beforeEach(async () => {
    store = new MemoryStore()
    const { authenticator, sessions } = createAuth({
      config: testConfig({ loginFailLimit: 2 }),
      store,
      files: fakeFiles({ alice: 'pw:1' }),
    })
    app = Fastify()
    // A stand-in for the app's problem+json mapping.
    app.setErrorHandler((err, _request, reply) => {
      if (err instanceof AuthError) {
        if (err.retryAfterSeconds) reply.header('retry-after', String(err.retryAfterSeconds))
        return (
          reply
            .code(STATUS[err.code] ?? 500)
            .type('application/problem+json')
            // A string, as problem.ts sends it: problems skip the routes' response serialisers.
            .send(JSON.stringify({ code: err.code }))
        )
      }
      return reply
        .code((err as { statusCode?: number }).statusCode ?? 500)
        .send(JSON.stringify({ code: 'OTHER' }))
    })
    await app.register(sessionRoutes, { prefix: '/api/v1', sessions, authenticator })
    await app.ready()
  })
  afterEach(async () => {
    await app.close()
    await store.close()
  })

  const create = (body: unknown) =>
    app.inject({ method: 'POST', url: '/api/v1/sessions', payload: body as object })

  it('creates, describes and revokes a token', async () => {
    const created = await create({ username: 'alice', password: 'pw:1' })
    expect(created.statusCode).toBe(201)
    expect(created.headers['cache-control']).toBe('no-store')
    const { token, expiresAt } = created.json()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(new Date(expiresAt).toISOString()).toBe(expiresAt)

    const auth = { authorization: `Bearer ${token}` }
    const current = await app.inject({ method: 'GET', url: '/api/v1/sessions/current', headers: auth })
    expect(current.statusCode).toBe(200)
    expect(current.headers['cache-control']).toBe('no-store')
    expect(current.json()).toEqual({ username: 'alice', createdAt: expect.any(String), expiresAt })

    const revoked = await app.inject({ method: 'DELETE', url: '/api/v1/sessions/current', headers: auth })
    expect(revoked.statusCode).toBe(204)
    expect(revoked.body).toBe('')
    const after = await app.inject({ method: 'GET', url: '/api/v1/sessions/current', headers: auth })
    expect(after.statusCode).toBe(401)
    expect(after.json().code).toBe('AUTH_ERR_INVALID')
    const again = await app.inject({ method: 'DELETE', url: '/api/v1/sessions/current', headers: auth })
    expect(again.statusCode).toBe(401)
  })

  it('refuses wrong credentials, then rate-limits', async () => {
    expect((await create({ username: 'alice', password: 'no' })).statusCode).toBe(401)
    expect((await create({ username: 'alice', password: 'no' })).statusCode).toBe(401)
    const limited = await create({ username: 'alice', password: 'pw:1' })
    expect(limited.statusCode).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('validates the body', async () => {
    expect((await create({ username: 'alice' })).statusCode).toBe(400)
    expect((await create({ username: '', password: 'x' })).statusCode).toBe(400)
    expect((await create({ username: 'alice', password: 'x'.repeat(1025) })).statusCode).toBe(400)
    const crlf = await create({ username: 'alice', password: 'a\r\nb' })
    expect(crlf.statusCode).toBe(400)
    expect(crlf.json().code).toBe('AUTH_ERR_BAD_HEADER')
  })

  it('wants a bearer token on /sessions/current', async () => {
    const none = await app.inject({ method: 'GET', url: '/api/v1/sessions/current' })
    expect(none.statusCode).toBe(401)
    expect(none.json().code).toBe('AUTH_ERR_MISSING')
    const viaBasic = await app.inject({
      method: 'GET',
      url: '/api/v1/sessions/current',
      headers: { authorization: basic('alice', 'pw:1') },
    })
    expect(viaBasic.json().code).toBe('AUTH_ERR_MISSING')
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/sessions/current' })
    expect(del.statusCode).toBe(401)
  })
})
