/**
 * The browse routes and the API's cookie rule over fakes (no FTP, no browser): cookie attributes
 * behind a TLS-terminating proxy, the CSRF header rule on the API, HTML error pages, assets.
 */
import { describe, expect, it } from 'vitest'
import { AuthError } from '../../../src/auth/errors.js'
import type { SessionApi } from '../../../src/auth/types.js'
import { ASSET_URLS } from '../../../src/http/browse/assets.js'
import { CONTENT_SECURITY_POLICY } from '../../../src/http/browse/index.js'
import { buildTestApp, GOOD_TOKEN, testConfig } from '../../helpers/http-app.js'

const cookie = `ftpgw_session=${GOOD_TOKEN}`

function fakeSessions(): SessionApi & { revoked: string[] } {
  const revoked: string[] = []
  return {
    revoked,
    async create(username, password) {
      if (username === 'slow')
        throw new AuthError('AUTH_ERR_RATE_LIMITED', 'Too many failed logins', { retryAfterSeconds: 9 })
      if (username !== 'alice' || password !== 'secret')
        throw new AuthError('AUTH_ERR_INVALID', 'Invalid credentials')
      return { token: GOOD_TOKEN, expiresAt: new Date(Date.now() + 60_000) }
    },
    async describe() {
      return undefined
    },
    async revoke(token) {
      revoked.push(token)
      return true
    },
  }
}

const login = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/_browse/login',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  payload: new URLSearchParams(body).toString(),
})

describe('browse routes over fakes', () => {
  it('marks the cookie Secure when the request came over TLS through a trusted proxy', async () => {
    const { app } = await buildTestApp({ config: testConfig({ trustProxy: 1 }), sessions: fakeSessions() })
    const tls = await app.inject(
      login({ username: 'alice', password: 'secret' }, { 'x-forwarded-proto': 'https' }),
    )
    expect(tls.statusCode).toBe(303)
    expect(tls.headers['set-cookie']).toMatch(
      /^ftpgw_session=good-token; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict; Secure$/,
    )
    const plain = await app.inject(login({ username: 'alice', password: 'secret' }))
    expect(plain.headers['set-cookie']).not.toMatch(/Secure/)
  })

  it('shows wrong passwords and rate limits on the form, with the status', async () => {
    const { app } = await buildTestApp({ sessions: fakeSessions() })
    const wrong = await app.inject(login({ username: 'alice', password: 'nope', next: '/browse/x/' }))
    expect(wrong.statusCode).toBe(401)
    expect(wrong.headers['www-authenticate']).toBeUndefined()
    expect(wrong.body).toContain('The user name or password is wrong.')
    expect(wrong.body).toContain('value="/browse/x/"')
    const slow = await app.inject(login({ username: 'slow', password: 'x' }))
    expect(slow.statusCode).toBe(429)
    expect(slow.headers['retry-after']).toBe('9')
    expect(slow.body).toContain('Too many failed logins')
    const empty = await app.inject(login({ username: '', password: 'x' }))
    expect(empty.statusCode).toBe(400)
  })

  it('lets the API accept the cookie only with the CSRF header for unsafe methods', async () => {
    const { app, files } = await buildTestApp({ sessions: fakeSessions() })
    files.putFile('a.txt', 'hello')
    const refused = await app.inject({ method: 'POST', url: '/api/v1/dirs/new', headers: { cookie } })
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ code: 'FILE_ERR_FORBIDDEN' })
    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/b.txt',
      headers: { cookie },
      payload: 'x',
    })
    expect(put.statusCode).toBe(403)
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/dirs/new',
      headers: { cookie, 'x-requested-with': 'ftp-gateway' },
    })
    expect(ok.statusCode).toBe(201)
    const get = await app.inject({ method: 'GET', url: '/api/v1/files/a.txt', headers: { cookie } })
    expect(get.statusCode).toBe(200)
    expect(get.body).toBe('hello')
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/files/a.txt' })
    expect(anonymous.statusCode).toBe(401)
  })

  it('answers errors with HTML pages carrying the CSP', async () => {
    const { app } = await buildTestApp({ sessions: fakeSessions() })
    const missing = await app.inject({ url: '/browse/nope/', headers: { cookie } })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(missing.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY)
    expect(missing.headers['cache-control']).toBe('no-store')
    // Plain words and the signed-in header, no FTP reply text.
    expect(missing.body).toContain('This folder does not exist')
    expect(missing.body).toContain('Signed in as')
    for (const bad of ['page=0', 'page=x', 'page=1&page=2', 'q=a%00b', `q=${'x'.repeat(256)}`]) {
      const res = await app.inject({ url: `/browse/?${bad}`, headers: { cookie } })
      expect(res.statusCode, bad).toBe(400)
      expect(res.body).toContain('That address does not work')
      expect(res.body).toContain('Signed in as')
    }
    const limited = await app.inject({ url: '/browse/', headers: { authorization: 'Bearer limited' } })
    expect(limited.statusCode).toBe(429)
    const expired = await app.inject({ url: '/browse/', headers: { cookie: 'ftpgw_session=expired' } })
    expect(expired.statusCode).toBe(303)
    expect(expired.headers['set-cookie']).toMatch(/^ftpgw_session=; Path=\/; Max-Age=0/)
  })

  it('serves versioned assets with long caching and revalidation', async () => {
    const { app } = await buildTestApp()
    const css = await app.inject({ url: ASSET_URLS.css })
    expect(css.statusCode).toBe(200)
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(css.headers['cache-control']).toContain('immutable')
    const again = await app.inject({
      url: ASSET_URLS.css,
      headers: { 'if-none-match': String(css.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
    const unknown = await app.inject({ url: '/_browse/static/__proto__' })
    expect(unknown.statusCode).toBe(404)
  })

  it('offers no sign-in form without a session API, and signs out by revoking', async () => {
    const { app } = await buildTestApp()
    expect((await app.inject({ url: '/_browse/login' })).statusCode).toBe(501)
    const sessions = fakeSessions()
    const withSessions = await buildTestApp({ sessions })
    const out = await withSessions.app.inject({ method: 'POST', url: '/_browse/logout', headers: { cookie } })
    expect(out.statusCode).toBe(303)
    expect(sessions.revoked).toEqual([GOOD_TOKEN])
  })
})

describe('sign-in never leaves a session behind', () => {
  it('revokes the new session when its reply fails after it was created', async () => {
    const sessions = fakeSessions()
    // A token Node refuses in Set-Cookie: the reply fails after the session exists.
    sessions.create = async () => ({ token: 'bad\r\ntoken', expiresAt: new Date(Date.now() + 60_000) })
    const { app } = await buildTestApp({ sessions })
    const r = await app.inject(login({ username: 'alice', password: 'secret', next: '/browse/x/' }))
    expect(r.statusCode).toBe(500)
    expect(r.headers['set-cookie']).toBeUndefined()
    await app.close()
    expect(sessions.revoked).toEqual(['bad\r\ntoken'])
  })

  it('keeps a session whose redirect went out, even for a non-ASCII return URL', async () => {
    const sessions = fakeSessions()
    const { app } = await buildTestApp({ sessions })
    const r = await app.inject(login({ username: 'alice', password: 'secret', next: '/browse/Ā/' }))
    expect(r.statusCode).toBe(303)
    expect(r.headers.location).toBe('/browse/%C4%80/')
    expect(sessions.revoked).toEqual([])
  })
})
