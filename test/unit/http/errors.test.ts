import { describe, expect, it } from 'vitest'
import { AuthError } from '../../../src/auth/errors.js'
import { FileError, type FileErrorCode } from '../../../src/files/errors.js'
import { requestIdFor } from '../../../src/http/app.js'
import { classifyError, PROBLEM_CATALOGUE, PROBLEM_CODES } from '../../../src/http/errors.js'
import { buildTestApp, GOOD_AUTH, GOOD_TOKEN } from '../../helpers/http-app.js'

const FILE_CODES: Record<FileErrorCode, number> = {
  FILE_ERR_BAD_PATH: 400,
  FILE_ERR_BAD_REQUEST: 400,
  FILE_ERR_UNAUTHORIZED: 401,
  FILE_ERR_FORBIDDEN: 403,
  FILE_ERR_READ_ONLY: 403,
  FILE_ERR_NOT_FOUND: 404,
  FILE_ERR_CONFLICT: 409,
  FILE_ERR_EXISTS: 409,
  FILE_ERR_PRECONDITION: 412,
  FILE_ERR_RANGE: 416,
  FILE_ERR_DIGEST_MISMATCH: 400,
  FILE_ERR_INCOMPLETE_BODY: 400,
  FILE_ERR_NOT_EMPTY: 409,
  FILE_ERR_OVERLAP: 403,
  FILE_ERR_STORAGE_FULL: 507,
  FILE_ERR_NOT_SUPPORTED: 501,
  FILE_ERR_UNAVAILABLE: 503,
  FILE_ERR_UPSTREAM: 502,
  FILE_ERR_TIMEOUT: 504,
  FILE_ERR_ABORTED: 499,
}

describe('the catalogue', () => {
  it('keeps the FTP reply out of title and detail, in upstreamReply for 4xx only', async () => {
    const { FtpError } = await import('../../../src/ftp/errors.js')
    const { toFileError } = await import('../../../src/files/translate.js')
    const missing = classifyError(
      toFileError(new FtpError('not-found', 'MLST: 550 No such file or directory', { replyCode: 550 })),
    )
    expect(missing).toMatchObject({ status: 404, upstreamReply: 'MLST: 550 No such file or directory' })
    expect(`${missing.title} ${missing.detail}`).not.toMatch(/MLST|550/)
    const broken = classifyError(
      toFileError(new FtpError('data', 'RETR: 426 Connection closed; 10.0.0.7 gone', { replyCode: 426 })),
    )
    expect(broken.status).toBe(502)
    expect(broken.upstreamReply).toBeUndefined()
    expect(JSON.stringify(broken)).not.toMatch(/RETR|426|10\.0\.0\.7/)
  })

  it('says which conflict and which move/copy argument', () => {
    const clash = classifyError(new FileError('FILE_ERR_CONFLICT', 'x', { reason: 'not-a-directory' }))
    expect(clash).toMatchObject({ status: 409, reason: 'not-a-directory' })
    const from = classifyError(new FileError('FILE_ERR_NOT_FOUND', 'x', { argument: 'from' }))
    expect(from.missing).toBe('from')
    // An existing target is not a missing one.
    expect(classifyError(new FileError('FILE_ERR_EXISTS', 'x', { argument: 'to' })).missing).toBeUndefined()
  })

  it.each(Object.entries(FILE_CODES))('%s → %i', (code, status) => {
    expect(classifyError(new FileError(code as FileErrorCode, 'x')).status).toBe(status)
  })

  it('adds Retry-After, Content-Range and WWW-Authenticate where they belong', () => {
    expect(classifyError(new FileError('FILE_ERR_UNAVAILABLE', 'x')).headers['retry-after']).toBe('5')
    expect(classifyError(new FileError('FILE_ERR_RANGE', 'x', { size: 9 })).headers['content-range']).toBe(
      'bytes */9',
    )
    expect(classifyError(new AuthError('AUTH_ERR_INVALID', 'x')).headers['www-authenticate']).toBe(
      'Basic realm="ftp-gateway"',
    )
    expect(
      classifyError(new AuthError('AUTH_ERR_RATE_LIMITED', 'x', { retryAfterSeconds: 9 })).headers[
        'retry-after'
      ],
    ).toBe('9')
    expect(classifyError(new AuthError('AUTH_ERR_BAD_HEADER', 'x')).status).toBe(400)
  })

  it('unknown errors are a generic 500', () => {
    const p = classifyError(new Error('password=hunter2'))
    expect(p).toMatchObject({ code: 'GW_ERR_INTERNAL', status: 500, detail: 'Internal error' })
    expect(classifyError('not even an error').code).toBe('GW_ERR_INTERNAL')
  })

  it('every code has a distinct entry', () => {
    expect(new Set(PROBLEM_CODES).size).toBe(Object.keys(PROBLEM_CATALOGUE).length)
  })
})

describe('authentication', () => {
  it.each([
    [undefined, 401, 'AUTH_ERR_MISSING'],
    ['Basic d3Jvbmc6d3Jvbmc=', 401, 'AUTH_ERR_INVALID'],
    ['Bearer expired', 401, 'AUTH_ERR_INVALID'],
    ['Digest whatever here', 400, 'AUTH_ERR_BAD_HEADER'],
    ['Bearer limited', 429, 'AUTH_ERR_RATE_LIMITED'],
  ])('%s → %i %s, no file call', async (authorization, status, code) => {
    const { app, files } = await buildTestApp()
    const headers = authorization === undefined ? {} : { authorization }
    for (const [method, url] of [
      ['GET', '/api/v1/files/x'],
      ['PUT', '/api/v1/files/x'],
      ['GET', '/api/v1/dirs/'],
      ['GET', '/api/v1/dirs?limit=0'],
      ['POST', '/api/v1/move'],
      ['GET', '/api/v1/stat/%00'],
    ] as const) {
      const r = await app.inject({ method, url, headers })
      expect(r.statusCode, `${method} ${url}`).toBe(status)
      expect(r.json().code).toBe(code)
      // Basic always (WebDAV clients); a refused Bearer token also gets its own challenge (RFC 6750).
      const challenge = authorization?.startsWith('Bearer')
        ? 'Basic realm="ftp-gateway", Bearer realm="ftp-gateway", error="invalid_token"'
        : 'Basic realm="ftp-gateway"'
      if (status === 401) expect(r.headers['www-authenticate']).toBe(challenge)
      if (status === 429) expect(r.headers['retry-after']).toBe('30')
    }
    expect(files.calls).toHaveLength(0)
  })

  it('passes the client address; a Bearer token works', async () => {
    const { app, auth } = await buildTestApp()
    const r = await app.inject({
      url: '/api/v1/dirs/',
      headers: { authorization: `Bearer ${GOOD_TOKEN}` },
      remoteAddress: '10.1.2.3',
    })
    expect(r.statusCode).toBe(200)
    expect(auth.calls[0]).toEqual({ authorization: `Bearer ${GOOD_TOKEN}`, clientAddress: '10.1.2.3' })
  })

  it('health, readiness and the contract need no credentials', async () => {
    const { app, auth } = await buildTestApp()
    for (const url of ['/healthz', '/readyz', '/openapi.json', '/docs/']) {
      expect((await app.inject({ url })).statusCode, url).toBe(200)
    }
    expect(auth.calls).toHaveLength(0)
  })
})

describe('problems for requests the routes never see', () => {
  it('unknown route → 404 problem+json with instance and request id', async () => {
    const { app } = await buildTestApp()
    const r = await app.inject({
      url: '/api/v2/whatever?token=secret',
      headers: { 'x-request-id': 'abc-123' },
    })
    expect(r.statusCode).toBe(404)
    expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(r.headers['x-request-id']).toBe('abc-123')
    expect(r.json()).toEqual({
      type: 'https://ftp-gateway.dev/problems/gw_err_not_found',
      title: 'No such route',
      status: 404,
      detail: expect.any(String),
      code: 'GW_ERR_NOT_FOUND',
      instance: '/api/v2/whatever',
      requestId: 'abc-123',
    })
  })

  it.each([
    ['PATCH', '/api/v1/files/x', 'GET, HEAD, PUT, DELETE'],
    ['POST', '/api/v1/files/x', 'GET, HEAD, PUT, DELETE'],
    ['PUT', '/api/v1/dirs/x', 'GET, HEAD, POST, DELETE'],
    ['DELETE', '/api/v1/stat/x', 'GET, HEAD'],
    ['GET', '/api/v1/move', 'POST'],
    ['PUT', '/api/v1/copy', 'POST'],
  ])('known path, wrong method: %s %s → 405 with Allow', async (method, url, allow) => {
    const { app, auth } = await buildTestApp()
    const r = await app.inject({
      method,
      url,
      headers: { authorization: GOOD_AUTH, 'content-type': 'text/plain' },
      ...(method === 'GET' ? {} : { payload: 'x' }),
    })
    expect(r.statusCode).toBe(405)
    expect(r.headers.allow).toBe(allow)
    expect(r.json().code).toBe('GW_ERR_METHOD')
    expect(auth.calls).toHaveLength(0)
  })

  it('undecodable URL → 400 FILE_ERR_BAD_PATH', async () => {
    const { app } = await buildTestApp()
    const r = await app.inject({ url: '/api/v1/files/%ff', headers: { authorization: GOOD_AUTH } })
    expect(r.statusCode).toBe(400)
    expect(r.json().code).toBe('FILE_ERR_BAD_PATH')
  })

  it('request ids: safe incoming ids are kept, anything else replaced', () => {
    expect(requestIdFor('req-1.2:3_x')).toBe('req-1.2:3_x')
    expect(requestIdFor('bad id\r\n')).toMatch(/^[0-9a-f-]{36}$/)
    expect(requestIdFor('x'.repeat(200))).toMatch(/^[0-9a-f-]{36}$/)
    expect(requestIdFor(undefined)).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('readiness', () => {
  it('200 when ready, 503 when not or when the check throws', async () => {
    let state: 'ok' | 'down' | 'throw' = 'ok'
    const { app } = await buildTestApp({
      readiness: async () => {
        if (state === 'throw') throw new Error('redis gone')
        return { ok: state === 'ok', checks: { store: state } }
      },
    })
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ok', checks: { store: 'ok' } })
    state = 'down'
    const down = await app.inject({ url: '/readyz' })
    expect(down.statusCode).toBe(503)
    expect(down.json()).toEqual({ status: 'unavailable', checks: { store: 'down' } })
    state = 'throw'
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503)
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
  })
})
