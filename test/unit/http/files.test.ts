import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { FileError } from '../../../src/files/errors.js'
import { buildTestApp, GOOD_AUTH } from '../../helpers/http-app.js'

const auth = { authorization: GOOD_AUTH }

async function setup() {
  const t = await buildTestApp()
  t.files.putFile('docs/hello.txt', 'hello world', new Date('2024-01-01T00:00:00Z'))
  t.files.putFile('docs/résumé.pdf', 'pdf')
  t.files.calls.length = 0
  return t
}

function problemOf(body: string): { code: string; status: number } {
  return JSON.parse(body)
}

describe('GET/HEAD /api/v1/files/*', () => {
  it('downloads with validators and a content type', async () => {
    const { app } = await setup()
    const r = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: auth })
    expect(r.statusCode).toBe(200)
    expect(r.body).toBe('hello world')
    expect(r.headers['content-length']).toBe('11')
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(r.headers['accept-ranges']).toBe('bytes')
    expect(r.headers.etag).toMatch(/^"/)
    expect(r.headers['last-modified']).toBe('Mon, 01 Jan 2024 00:00:00 GMT')
    expect(r.headers['content-disposition']).toBeUndefined()
  })

  it('?download=1 adds Content-Disposition', async () => {
    const { app } = await setup()
    const r = await app.inject({ url: '/api/v1/files/docs/r%C3%A9sum%C3%A9.pdf?download=1', headers: auth })
    expect(r.statusCode).toBe(200)
    expect(r.headers['content-type']).toBe('application/pdf')
    expect(r.headers['content-disposition']).toBe(
      `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
    )
  })

  it('HEAD sends the headers and never opens a transfer', async () => {
    const { app, files } = await setup()
    const r = await app.inject({
      method: 'HEAD',
      url: '/api/v1/files/docs/hello.txt',
      headers: { ...auth, range: 'bytes=0-1' },
    })
    expect(r.statusCode).toBe(200)
    expect(r.headers['content-length']).toBe('11')
    expect(r.body).toBe('')
    expect(files.callsOf('read')).toHaveLength(0)
  })

  it.each([
    ['bytes=0-4', 206, 'hello', 'bytes 0-4/11'],
    ['bytes=6-', 206, 'world', 'bytes 6-10/11'],
    ['bytes=-5', 206, 'world', 'bytes 6-10/11'],
    ['bytes=6-1000', 206, 'world', 'bytes 6-10/11'],
    ['items=0-1', 200, 'hello world', undefined],
    ['bytes=0-1,3-4', 200, 'hello world', undefined],
  ])('Range %s → %i', async (range, status, body, contentRange) => {
    const { app } = await setup()
    const r = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: { ...auth, range } })
    expect(r.statusCode).toBe(status)
    expect(r.body).toBe(body)
    expect(r.headers['content-range']).toBe(contentRange)
    expect(r.headers['content-length']).toBe(String(body.length))
  })

  it.each(['bytes=5-2', 'bytes=abc', 'bytes=', 'bytes=1-2,zz'])(
    'malformed Range %s → 400 GW_ERR_BAD_RANGE',
    async (range) => {
      const { app, files } = await setup()
      const r = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: { ...auth, range } })
      expect(r.statusCode).toBe(400)
      expect(problemOf(r.body).code).toBe('GW_ERR_BAD_RANGE')
      expect(files.calls).toHaveLength(0)
    },
  )

  it.each(['bytes=999999-', 'bytes=11-', 'bytes=-0'])('unsatisfiable %s → 416', async (range) => {
    const { app, files } = await setup()
    const r = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: { ...auth, range } })
    expect(r.statusCode).toBe(416)
    expect(r.headers['content-range']).toBe('bytes */11')
    expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(problemOf(r.body).code).toBe('FILE_ERR_RANGE')
    expect(files.callsOf('read')).toHaveLength(0)
  })

  it('If-Range: a matching ETag keeps the range, a stale one sends everything', async () => {
    const { app } = await setup()
    const first = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: auth })
    const etag = first.headers.etag as string
    const hit = await app.inject({
      url: '/api/v1/files/docs/hello.txt',
      headers: { ...auth, range: 'bytes=0-0', 'if-range': etag },
    })
    expect(hit.statusCode).toBe(206)
    const stale = await app.inject({
      url: '/api/v1/files/docs/hello.txt',
      headers: { ...auth, range: 'bytes=0-0', 'if-range': '"old"' },
    })
    expect(stale.statusCode).toBe(200)
    expect(stale.body).toBe('hello world')
    const byDate = await app.inject({
      url: '/api/v1/files/docs/hello.txt',
      headers: { ...auth, range: 'bytes=0-0', 'if-range': 'Mon, 01 Jan 2024 00:00:00 GMT' },
    })
    expect(byDate.statusCode).toBe(206)
  })

  it('conditional GET: 304 with the ETag, no transfer', async () => {
    const { app, files } = await setup()
    const first = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: auth })
    files.calls.length = 0
    const etag = first.headers.etag as string
    for (const headers of [
      { 'if-none-match': etag },
      { 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' },
    ]) {
      const r = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: { ...auth, ...headers } })
      expect(r.statusCode).toBe(304)
      expect(r.headers.etag).toBe(etag)
      expect(r.body).toBe('')
    }
    expect(files.callsOf('read')).toHaveLength(0)
  })

  it.each([
    [{ 'if-match': '"nope"' }],
    [{ 'if-match': 'W/"weak"' }],
    [{ 'if-unmodified-since': 'Sun, 31 Dec 2023 00:00:00 GMT' }],
  ])('precondition %o → 412', async (headers) => {
    const { app, files } = await setup()
    const r = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: { ...auth, ...headers } })
    expect(r.statusCode).toBe(412)
    expect(problemOf(r.body).code).toBe('FILE_ERR_PRECONDITION')
    expect(files.callsOf('read')).toHaveLength(0)
  })

  it('missing file → 404, directory → 409', async () => {
    const { app } = await setup()
    const missing = await app.inject({ url: '/api/v1/files/docs/nope', headers: auth })
    expect(missing.statusCode).toBe(404)
    expect(problemOf(missing.body).code).toBe('FILE_ERR_NOT_FOUND')
    const dir = await app.inject({ url: '/api/v1/files/docs', headers: auth })
    expect(dir.statusCode).toBe(409)
    expect(problemOf(dir.body).code).toBe('FILE_ERR_CONFLICT')
  })

  it.each([
    ['%00', 'NUL'],
    ['a%0d%0aDELE%20x', 'CRLF'],
    ['..%2fx', 'dot-dot with an encoded slash'],
    ['a%5cb', 'encoded backslash'],
    ['%ff', 'invalid UTF-8'],
    ['%zz', 'invalid escape'],
    ['n'.repeat(256), 'overlong name'],
    [Array.from({ length: 20 }, () => 'x'.repeat(250)).join('/'), 'overlong path'],
    // `..`, `%2e%2e` and a raw backslash are normalised away by inject's URL parser: see streaming.test.ts.
  ])('bad path %s (%s) → 400 FILE_ERR_BAD_PATH, no file call', async (path) => {
    const { app, files } = await setup()
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE'] as const) {
      const r = await app.inject({
        method,
        url: `/api/v1/files/${path}`,
        headers: auth,
        ...(method === 'PUT' ? { payload: 'x' } : {}),
      })
      expect(r.statusCode, method).toBe(400)
      if (method !== 'HEAD') expect(problemOf(r.body).code).toBe('FILE_ERR_BAD_PATH')
    }
    expect(files.calls).toHaveLength(0)
  })

  it('service errors map to statuses; 5xx details stay generic', async () => {
    const { app, files } = await setup()
    files.failNext(
      'stat',
      new FileError('FILE_ERR_UNAVAILABLE', 'pool exhausted at 10.0.0.5', { retryAfterSeconds: 7 }),
    )
    const r = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: auth })
    expect(r.statusCode).toBe(503)
    expect(r.headers['retry-after']).toBe('7')
    expect(r.body).not.toContain('10.0.0.5')
    files.failNext('stat', new FileError('FILE_ERR_FORBIDDEN', 'no'))
    expect((await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: auth })).statusCode).toBe(403)
    files.failNext('stat', new FileError('FILE_ERR_TIMEOUT', 'slow'))
    expect((await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: auth })).statusCode).toBe(504)
    files.failNext('stat', new FileError('FILE_ERR_UPSTREAM', '425'))
    expect((await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: auth })).statusCode).toBe(502)
    files.failNext('stat', new FileError('FILE_ERR_UNAUTHORIZED', '530'))
    const unauth = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: auth })
    expect(unauth.statusCode).toBe(401)
    expect(unauth.headers['www-authenticate']).toBe('Basic realm="ftp-gateway"')
    files.failNext('stat', new TypeError('boom with secret'))
    const internal = await app.inject({ url: '/api/v1/files/docs/hello.txt', headers: auth })
    expect(internal.statusCode).toBe(500)
    expect(internal.body).not.toContain('secret')
  })
})

describe('PUT /api/v1/files/*', () => {
  it('creates (201 + Location + ETag), then replaces (204)', async () => {
    const { app, files } = await setup()
    const created = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/docs/new%20file.json',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"not":"parsed"',
    })
    expect(created.statusCode).toBe(201)
    expect(created.headers.location).toBe('/api/v1/files/docs/new%20file.json')
    expect(created.headers.etag).toMatch(/^"/)
    expect(created.json()).toMatchObject({ path: '/docs/new file.json', type: 'file', size: 15 })
    expect(files.content('docs/new file.json')?.toString()).toBe('{"not":"parsed"')
    const replaced = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/docs/new%20file.json',
      headers: auth,
      payload: 'v2',
    })
    expect(replaced.statusCode).toBe(204)
    expect(replaced.body).toBe('')
    expect(files.content('docs/new file.json')?.toString()).toBe('v2')
  })

  it('an empty body makes an empty file', async () => {
    const { app, files } = await setup()
    const r = await app.inject({ method: 'PUT', url: '/api/v1/files/empty', headers: auth })
    expect(r.statusCode).toBe(201)
    expect(files.content('empty')?.length).toBe(0)
  })

  it('passes If-Match, If-None-Match: *, digests, mtime and Content-Length', async () => {
    const { app, files } = await setup()
    const body = 'new content'
    const sha = createHash('sha256').update(body).digest('base64')
    const r = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/docs/x.bin',
      headers: {
        ...auth,
        'if-none-match': '*',
        'repr-digest': `sha-256=:${sha}:`,
        'x-oc-mtime': '1700000000',
      },
      payload: body,
    })
    expect(r.statusCode).toBe(201)
    expect(r.headers['x-oc-mtime']).toBe('accepted')
    const opts = files.callsOf('write')[0]!.args[0]
    expect(opts).toMatchObject({
      ifNoneMatch: '*',
      digest: { algorithm: 'sha-256', base64: sha },
      mtime: new Date(1_700_000_000_000),
      expectedLength: 11,
    })
    const again = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/docs/x.bin',
      headers: { ...auth, 'if-none-match': '*' },
      payload: 'x',
    })
    expect(again.statusCode).toBe(412)
    // A failed conditional header is FILE_ERR_PRECONDITION (it was FILE_ERR_EXISTS before issue 21).
    expect(problemOf(again.body).code).toBe('FILE_ERR_PRECONDITION')
    const etag = r.headers.etag as string
    const ok = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/docs/x.bin?mtime=2024-05-01T00:00:00Z',
      headers: { ...auth, 'if-match': etag },
      payload: 'y',
    })
    expect(ok.statusCode).toBe(204)
    const stale = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/docs/x.bin',
      headers: { ...auth, 'if-match': etag },
      payload: 'z',
    })
    expect(stale.statusCode).toBe(412)
    expect(problemOf(stale.body).code).toBe('FILE_ERR_PRECONDITION')
  })

  it('a digest mismatch leaves the old file in place', async () => {
    const { app, files } = await setup()
    const md5 = createHash('md5').update('something else').digest('base64')
    const r = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/docs/hello.txt',
      headers: { ...auth, 'content-md5': md5 },
      payload: 'evil',
    })
    expect(r.statusCode).toBe(400)
    expect(problemOf(r.body).code).toBe('FILE_ERR_DIGEST_MISMATCH')
    expect(files.content('docs/hello.txt')?.toString()).toBe('hello world')
  })

  it.each([
    [{ 'if-none-match': '"abc"' }, 'GW_ERR_BAD_HEADER'],
    [{ 'if-match': '"a", "b"' }, 'GW_ERR_BAD_HEADER'],
    [{ 'content-md5': 'not base64!' }, 'GW_ERR_BAD_HEADER'],
    [{ 'repr-digest': 'sha-256=:AAAA:' }, 'GW_ERR_BAD_HEADER'],
    [{ 'repr-digest': 'garbage' }, 'GW_ERR_BAD_HEADER'],
    [{ 'x-oc-mtime': 'yesterday' }, 'GW_ERR_BAD_HEADER'],
  ])('bad header %o → 400 %s, no file call', async (headers, code) => {
    const { app, files } = await setup()
    const r = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/docs/y',
      headers: { ...auth, ...headers },
      payload: 'x',
    })
    expect(r.statusCode).toBe(400)
    expect(problemOf(r.body).code).toBe(code)
    expect(files.calls).toHaveLength(0)
  })

  it('bad ?mtime= → 400 GW_ERR_VALIDATION', async () => {
    const { app, files } = await setup()
    const r = await app.inject({
      method: 'PUT',
      url: '/api/v1/files/docs/y?mtime=soon',
      headers: auth,
      payload: 'x',
    })
    expect(r.statusCode).toBe(400)
    expect(problemOf(r.body).code).toBe('GW_ERR_VALIDATION')
    expect(files.calls).toHaveLength(0)
  })

  it.each(['/api/v1/files/', '/api/v1/files/docs/', '/api/v1/files/docs%2F'])(
    'PUT %s → 400 (no file name)',
    async (url) => {
      const { app, files } = await setup()
      const r = await app.inject({ method: 'PUT', url, headers: auth, payload: 'x' })
      expect(r.statusCode).toBe(400)
      expect(problemOf(r.body).code).toBe('FILE_ERR_BAD_PATH')
      expect(files.calls).toHaveLength(0)
    },
  )

  it('a missing parent is a conflict', async () => {
    const { app } = await setup()
    const r = await app.inject({ method: 'PUT', url: '/api/v1/files/nowhere/x', headers: auth, payload: 'x' })
    expect(r.statusCode).toBe(409)
  })
})

describe('DELETE /api/v1/files/*', () => {
  it('204, then 404', async () => {
    const { app, files } = await setup()
    const r = await app.inject({ method: 'DELETE', url: '/api/v1/files/docs/hello.txt', headers: auth })
    expect(r.statusCode).toBe(204)
    expect(files.exists('docs/hello.txt')).toBe(false)
    const again = await app.inject({ method: 'DELETE', url: '/api/v1/files/docs/hello.txt', headers: auth })
    expect(again.statusCode).toBe(404)
  })

  it('the root → 400', async () => {
    const { app, files } = await setup()
    const r = await app.inject({ method: 'DELETE', url: '/api/v1/files/', headers: auth })
    expect(r.statusCode).toBe(400)
    expect(files.calls).toHaveLength(0)
  })
})
