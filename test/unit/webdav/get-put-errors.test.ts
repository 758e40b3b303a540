/**
 * The WebDAV face over the shared transfer path and the one error catalogue, on the fake file
 * service: PUT onto a collection (a conflict's reason, not its message), 304 and ranges, and
 * MKCOL/DELETE failures answered with the catalogue's statuses.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { FileError } from '../../../src/files/errors.js'
import { buildTestApp, GOOD_AUTH } from '../../helpers/http-app.js'

const auth = { authorization: GOOD_AUTH }

async function setup() {
  const t = await buildTestApp()
  t.files.putFile('docs/a.txt', '0123456789')
  t.files.putDir('docs/sub')
  t.files.calls.length = 0
  return t
}

describe('WebDAV GET/HEAD/PUT', () => {
  it('PUT onto a collection → 405, whatever the error message says', async () => {
    const { app } = await setup()
    const r = await app.inject({ method: 'PUT', url: '/dav/docs/sub', headers: auth, payload: 'x' })
    expect(r.statusCode).toBe(405)
  })

  it('PUT: 201 then 204 with ETag, Last-Modified and X-OC-Mtime: accepted', async () => {
    const { app, files } = await setup()
    const headers = { ...auth, 'x-oc-mtime': '1700000000' }
    const created = await app.inject({ method: 'PUT', url: '/dav/docs/n.txt', headers, payload: 'abc' })
    expect(created.statusCode).toBe(201)
    expect(created.headers).toMatchObject({ 'x-oc-mtime': 'accepted', 'last-modified': expect.any(String) })
    expect(created.headers.etag).toMatch(/^"/)
    const replaced = await app.inject({ method: 'PUT', url: '/dav/docs/n.txt', headers: auth, payload: 'd' })
    expect(replaced.statusCode).toBe(204)
    expect(files.content('docs/n.txt')?.toString()).toBe('d')
  })

  it('a conditional GET is 304 without a Content-Length; a range is 206', async () => {
    const { app, files } = await setup()
    const etag = (await files.stat({} as never, 'docs/a.txt')).etag
    const r = await app.inject({ url: '/dav/docs/a.txt', headers: { ...auth, 'if-none-match': etag } })
    expect(r.statusCode).toBe(304)
    expect(r.headers['content-length']).toBeUndefined()
    const part = await app.inject({ url: '/dav/docs/a.txt', headers: { ...auth, range: 'bytes=-3' } })
    expect(part.statusCode).toBe(206)
    expect(part.headers['content-range']).toBe('bytes 7-9/10')
    expect(part.body).toBe('789')
  })
})

describe('WebDAV downloads over a real socket', () => {
  it('streams the file, and a client that leaves gets its transfer destroyed', async () => {
    const t = await setup()
    t.files.putFile('big.bin', Buffer.alloc(200_000, 'x'))
    t.files.chunkSize = 1000
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as AddressInfo
    const get = (path: string, leave: boolean) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get({ port, host: '127.0.0.1', path, headers: auth }, (res) => {
          let body = ''
          res.setEncoding('latin1')
          res.on('data', (d: string) => {
            body += d
            if (leave) {
              req.destroy()
              resolve({ status: res.statusCode ?? 0, body })
            }
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        })
        req.on('error', (err) => (leave ? undefined : reject(err)))
      })
    expect(await get('/dav/docs/a.txt', false)).toEqual({ status: 200, body: '0123456789' })
    expect((await get('/dav/big.bin', true)).status).toBe(200)
    await expect.poll(() => t.files.destroyedBodies.length, { timeout: 2000 }).toBe(1)
  })
})

describe('WebDAV MKCOL and DELETE errors come from the catalogue', () => {
  it('MKCOL: existing collection → 405, upstream unavailable → 503 with Retry-After', async () => {
    const { app, files } = await setup()
    expect((await app.inject({ method: 'MKCOL', url: '/dav/docs/sub', headers: auth })).statusCode).toBe(405)
    files.failNext('mkdir', new FileError('FILE_ERR_UNAVAILABLE', 'pool exhausted', { retryAfterSeconds: 7 }))
    const r = await app.inject({ method: 'MKCOL', url: '/dav/docs/new', headers: auth })
    expect(r.statusCode).toBe(503)
    expect(r.headers['retry-after']).toBe('7')
  })

  it('MKCOL whose parent vanished meanwhile → 409 (a "does not exist" is not "already exists")', async () => {
    const { app, files } = await setup()
    files.failNext(
      'mkdir',
      new FileError('FILE_ERR_CONFLICT', 'Parent directory does not exist', { reason: 'parent-missing' }),
    )
    const r = await app.inject({ method: 'MKCOL', url: '/dav/docs/new', headers: auth })
    expect(r.statusCode).toBe(409)
  })

  it('DELETE: an upstream timeout → 504, a bad name from the server → 403', async () => {
    const { app, files } = await setup()
    files.failNext('delete', new FileError('FILE_ERR_TIMEOUT', 'no reply'))
    expect((await app.inject({ method: 'DELETE', url: '/dav/docs/a.txt', headers: auth })).statusCode).toBe(
      504,
    )
    files.failNext('delete', new FileError('FILE_ERR_BAD_PATH', '553 refused'))
    expect((await app.inject({ method: 'DELETE', url: '/dav/docs/a.txt', headers: auth })).statusCode).toBe(
      403,
    )
    expect(files.exists('docs/a.txt')).toBe(true)
  })
})
