/**
 * The two shared rules of src/http over fakes: which user files stay inline (user-content.ts), and
 * which requests count as cross-site (cross-site.ts), with and without a trusted proxy.
 */
import { describe, expect, it } from 'vitest'
import { isPassiveType, USER_CONTENT_POLICY, userContentHeaders } from '../../../src/http/user-content.js'
import { buildTestApp, GOOD_AUTH, testConfig } from '../../helpers/http-app.js'

describe('userContentHeaders', () => {
  it('keeps passive types inline and makes every active or unknown type an attachment', () => {
    for (const name of [
      'a.png',
      'a.JPG',
      'a.gif',
      'a.webp',
      'a.pdf',
      'a.txt',
      'a.csv',
      'a.md',
      'a.mp3',
      'a.mp4',
      'a.json',
    ]) {
      expect(userContentHeaders(name)['content-disposition'], name).toBeUndefined()
    }
    for (const name of [
      'a.html',
      'a.HTM',
      'a.svg',
      'a.xml',
      'a.js',
      'a.mjs',
      'a.css',
      'a.wasm',
      'a',
      'a.',
      '.html',
      'a.exe',
    ]) {
      expect(userContentHeaders(name)['content-disposition'], name).toMatch(/^attachment; filename="/)
    }
    expect(userContentHeaders('a.png', { download: true })['content-disposition']).toMatch(/^attachment/)
  })

  it('always sends the sandbox policy and nosniff with the real type', () => {
    const h = userContentHeaders('x.svg')
    expect(h['content-type']).toBe('image/svg+xml')
    expect(h['x-content-type-options']).toBe('nosniff')
    expect(h['content-security-policy']).toBe(USER_CONTENT_POLICY)
    expect(USER_CONTENT_POLICY).toMatch(/^sandbox; default-src 'none';/)
    expect(USER_CONTENT_POLICY).not.toMatch(/allow-|script-src|unsafe/)
  })

  it('classifies media types by their essence, parameters and case aside', () => {
    expect(isPassiveType('TEXT/PLAIN; charset=utf-8')).toBe(true)
    expect(isPassiveType('text/html; charset=utf-8')).toBe(false)
    expect(isPassiveType('application/xhtml+xml')).toBe(false)
    expect(isPassiveType('image/svg+xml')).toBe(false)
    expect(isPassiveType('application/octet-stream')).toBe(false)
  })
})

describe('cross-site refusal', () => {
  const mkdir = (headers: Record<string, string>) => ({
    method: 'POST' as const,
    url: '/api/v1/dirs/x',
    headers: { authorization: GOOD_AUTH, host: 'files.example:8080', ...headers },
  })

  it('compares Origin with the request’s own scheme and host', async () => {
    const { app, files } = await buildTestApp()
    const own = await app.inject(mkdir({ origin: 'http://files.example:8080' }))
    expect(own.statusCode).toBe(201)
    for (const origin of [
      'http://files.example',
      'https://files.example:8080',
      'http://evil.example:8080',
      'null',
      'not a url',
    ]) {
      const r = await app.inject(mkdir({ origin }))
      expect(r.statusCode, origin).toBe(403)
      expect(r.json().code).toBe('GW_ERR_CROSS_SITE')
    }
    expect(files.callsOf('mkdir')).toHaveLength(1)
  })

  it('believes X-Forwarded-Proto/Host only with TRUST_PROXY', async () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example' }
    const plain = await buildTestApp()
    const spoofed = await plain.app.inject(mkdir({ ...forwarded, origin: 'https://public.example' }))
    expect(spoofed.statusCode).toBe(403)
    const proxied = await buildTestApp({ config: testConfig({ trustProxy: 1 }) })
    const ok = await proxied.app.inject(mkdir({ ...forwarded, origin: 'https://public.example' }))
    expect(ok.statusCode).toBe(201)
  })

  it('lets reads through and form-typed API posts fail with 415 before authentication', async () => {
    const { app, auth } = await buildTestApp()
    const read = await app.inject({
      method: 'GET',
      url: '/api/v1/dirs/',
      headers: { authorization: GOOD_AUTH, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    })
    expect(read.statusCode).toBe(200)
    const before = auth.calls.length
    const form = await app.inject({
      ...mkdir({ 'content-type': 'application/x-www-form-urlencoded' }),
      payload: 'a=b',
    })
    expect(form.statusCode).toBe(415)
    expect(form.json().code).toBe('GW_ERR_MEDIA_TYPE')
    expect(auth.calls.length).toBe(before)
  })
})
