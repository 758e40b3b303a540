/** Real sockets: aborted downloads, client disconnects, header limits, raw paths inject would normalise. */
import http from 'node:http'
import net from 'node:net'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'
import { FileError } from '../../../src/files/errors.js'
import { createServer } from '../../../src/http/app.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'
import { FakeAuthenticator, GOOD_AUTH, testConfig } from '../../helpers/http-app.js'

async function listening(files = new FakeFileService(), logger: unknown = false) {
  const app: FastifyInstance = createServer(
    { config: testConfig(), files, auth: new FakeAuthenticator(), store: new MemoryStore() },
    { logger: logger as never },
  )
  onTestFinished(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as net.AddressInfo
  return { app, files, port }
}

/** Sends raw bytes and collects the whole answer until the server closes or 2 s pass. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request))
    let out = ''
    socket.setEncoding('latin1')
    socket.on('data', (d) => {
      out += d
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(out))
    socket.setTimeout(2000, () => socket.destroy())
  })
}

describe('downloads over a real socket', () => {
  it('a body that fails midway aborts the response (never a clean end)', async () => {
    const files = new FakeFileService()
    files.putFile('f.bin', 'x'.repeat(20))
    files.failReadAfter = { bytes: 8, error: new FileError('FILE_ERR_UPSTREAM', 'data connection lost') }
    const { port } = await listening(files)
    const outcome = await new Promise<{ status: number; bytes: number; error: string }>((resolve) => {
      const req = http.get(
        { port, host: '127.0.0.1', path: '/api/v1/files/f.bin', headers: { authorization: GOOD_AUTH } },
        (res) => {
          let bytes = 0
          res.on('data', (d: Buffer) => {
            bytes += d.length
          })
          res.on('aborted', () => resolve({ status: res.statusCode ?? 0, bytes, error: 'aborted' }))
          res.on('error', (err) => resolve({ status: res.statusCode ?? 0, bytes, error: err.message }))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, error: 'clean end' }))
        },
      )
      req.on('error', (err) => resolve({ status: 0, bytes: 0, error: err.message }))
    })
    expect(outcome.status).toBe(200)
    expect(outcome.error).not.toBe('clean end')
    expect(outcome.bytes).toBeLessThan(20)
  })

  it('a client that goes away gets its transfer destroyed', async () => {
    const files = new FakeFileService()
    files.putFile('big.bin', Buffer.alloc(1_000_000))
    files.chunkSize = 1000
    const { port } = await listening(files)
    await new Promise<void>((resolve) => {
      const req = http.get(
        { port, host: '127.0.0.1', path: '/api/v1/files/big.bin', headers: { authorization: GOOD_AUTH } },
        (res) => {
          res.once('data', () => {
            req.destroy()
            resolve()
          })
        },
      )
      req.on('error', () => undefined)
    })
    await expect.poll(() => files.destroyedBodies.length, { timeout: 2000 }).toBe(1)
  })

  it('an upload streams in (chunked, no Content-Length)', async () => {
    const { port, files } = await listening()
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          port,
          host: '127.0.0.1',
          method: 'PUT',
          path: '/api/v1/files/up.bin',
          headers: { authorization: GOOD_AUTH, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      let n = 0
      const tick = (): void => {
        if (n++ === 5) {
          req.end()
          return
        }
        req.write('chunk;')
        setTimeout(tick, 5)
      }
      tick()
    })
    expect(status).toBe(201)
    expect(files.content('up.bin')?.toString()).toBe('chunk;'.repeat(5))
  })
})

describe('raw request paths', () => {
  it.each([
    '/api/v1/files/..',
    '/api/v1/files/docs/../../etc/passwd',
    '/api/v1/files/%2e%2e/x',
    '/api/v1/files/%2E%2E',
    '/api/v1/files/a\\b',
    '/api/v1/dirs/../x',
    '/api/v1/stat/./x',
  ])('%s → 400 FILE_ERR_BAD_PATH, no file call', async (path) => {
    const { port, files } = await listening()
    const answer = await raw(
      port,
      `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${GOOD_AUTH}\r\nConnection: close\r\n\r\n`,
    )
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(answer).toContain('"code":"FILE_ERR_BAD_PATH"')
    expect(files.calls).toHaveLength(0)
  })

  it('a header section over the limit → 431 problem+json', async () => {
    const { port, files } = await listening()
    const answer = await raw(
      port,
      `GET /api/v1/dirs/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
    )
    expect(answer).toMatch(/^HTTP\/1\.1 431 /)
    expect(answer).toContain('Content-Type: application/problem+json')
    expect(answer).toContain('"code":"GW_ERR_HEADERS_TOO_LARGE"')
    expect(files.calls).toHaveLength(0)
  })
})

describe('logging', () => {
  it('never logs credentials', async () => {
    let logged = ''
    const stream = new Writable({
      write(chunk, _enc, done) {
        logged += chunk.toString()
        done()
      },
    })
    const files = new FakeFileService()
    files.failNext('list', new Error('upstream said PASS secret'))
    const { app } = await listening(files, { level: 'trace', stream })
    await app.inject({ url: '/api/v1/dirs/', headers: { authorization: GOOD_AUTH, cookie: 'sid=topsecret' } })
    expect(logged).toContain('request failed')
    expect(logged).not.toContain(GOOD_AUTH.slice(6))
    expect(logged).not.toContain('topsecret')
  })
})
