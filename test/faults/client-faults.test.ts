/**
 * Hostile and broken HTTP clients, end to end through an in-process gateway to the embedded FTP
 * server: slowloris (headers a byte at a time, or nothing at all) is cut after
 * HTTP_HEADERS_TIMEOUT_MS without an FTP command; an upload body that stops is cut after
 * HTTP_BODY_IDLE_TIMEOUT_MS with a 408 and the STOR in progress is aborted (old file intact, no
 * temporary file, pool back to baseline); a body that trickles but never pauses that long goes
 * through (the limit is on pauses, not on the total); a reader that stops reading a download for
 * longer than the limit still gets every byte; a client that vanishes mid-upload leaves nothing
 * behind. Both faces (REST and WebDAV) are driven.
 */
import { randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../helpers/gateway.js'
import { captureLogs, failures, type LogRecord } from '../helpers/log-capture.js'
import { waitFor } from '../helpers/wait-for.js'
import { record } from './support/counters.js'
import {
  expectBaseline,
  quietProbe,
  rejectionCounter,
  request,
  sleep,
  startEmbedded,
} from './support/harness.js'

const HEADERS_TIMEOUT_MS = 1500
const BODY_IDLE_MS = 1500
const rejections = rejectionCounter()
/** The gateway's logs: which timer (body idle, headers, FTP) ended a request, not how long it took. */
const logs = captureLogs('info')
const bodyIdleLines = (records: LogRecord[]) =>
  records.filter((r) => r.msg === 'request body idle: closing the request')
let up: Awaited<ReturnType<typeof startEmbedded>>
let gw: GatewayHandle
let port: number
const big = randomBytes(8 * 1024 * 1024 + 5)
const small = randomBytes(10_000)
let userN = 0
/** A fresh user per case: its own pool key, so earlier cases' sessions do not interfere. */
const freshAuth = () => basicAuth(`client${++userN}`, 'pw')
/** Files a case must leave exactly as they were (name → bytes). */
const guarded = new Map<string, Buffer>()

async function guard(name: string, bytes: Buffer = randomBytes(64 * 1024 + 3)): Promise<Buffer> {
  await writeFile(path.join(up.root, name), bytes)
  guarded.set(name, bytes)
  return bytes
}

/** Temporary upload names (`.name.ftpgw-….part`) anywhere in the upstream root. */
async function tempFiles(): Promise<string[]> {
  const names = await readdir(up.root, { recursive: true })
  return names.filter((n) => /\.ftpgw-[0-9a-f]+\.part$/.test(n))
}

/** A raw TCP client: what the server sent, and when it closed the connection. */
function rawClient(localAddress?: string) {
  const socket = net.connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) })
  let text = ''
  socket.setEncoding('latin1')
  socket.on('data', (d: string) => {
    text += d
  })
  socket.on('error', () => {})
  const opened = Date.now()
  const closed = new Promise<{ text: string; atMs: number }>((resolve) =>
    socket.once('close', () => resolve({ text, atMs: Date.now() - opened })),
  )
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return { socket, closed, connected, opened, text: () => text }
}

/** Status line and JSON body of a raw HTTP answer. */
function parseRaw(text: string): { status: number; headers: string; body: string } {
  const end = text.indexOf('\r\n\r\n')
  const head = end < 0 ? text : text.slice(0, end)
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
    headers: head.toLowerCase(),
    body: end < 0 ? '' : text.slice(end + 4),
  }
}

beforeAll(async () => {
  up = await startEmbedded()
  await writeFile(path.join(up.root, 'big.bin'), big)
  await writeFile(path.join(up.root, 'small.bin'), small)
  gw = await startGateway(
    { host: '127.0.0.1', port: up.port },
    {
      REDIS_URL: '',
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_BODY_IDLE_TIMEOUT_MS: String(BODY_IDLE_MS),
      // Well above the body limit: what ends a stalled upload here must be the HTTP side.
      FTP_TIMEOUT_MS: '10000',
      FTP_POOL_MAX: '2',
      CACHE_TTL_MS: '0',
      FTP_IDLE_TIMEOUT_MS: '4000',
    },
    { logger: logs.logger },
  )
  port = Number(new URL(gw.url).port)
  quietProbe(gw)
})

afterEach(async (ctx) => {
  await expectBaseline(gw, () => up.server.connectionCount, ctx.task.name)
  expect(await tempFiles()).toEqual([])
  expect((await readFile(path.join(up.root, 'big.bin'))).equals(big)).toBe(true)
  expect((await readFile(path.join(up.root, 'small.bin'))).equals(small)).toBe(true)
  for (const [name, bytes] of guarded)
    expect((await readFile(path.join(up.root, name))).equals(bytes), name).toBe(true)
  expect(rejections()).toEqual([])
  record({ cases: 1, filesCompared: 2 + guarded.size })
  guarded.clear()
})

afterAll(async () => {
  await gw?.close()
  await up?.stop()
})

describe('slow and broken HTTP clients', () => {
  it('slowloris: headers a byte at a time (or nothing) → closed after HTTP_HEADERS_TIMEOUT_MS, no FTP command, others served', async () => {
    const commandsBefore = up.server.commands.length
    const lorises = Array.from({ length: 6 }, (_, i) => {
      const c = rawClient()
      let stopped = false
      // Two send nothing at all, two the request line a byte at a time, two a header a byte at a time.
      const text =
        i < 2
          ? ''
          : i < 4
            ? `GET /api/v1/files/loris-${i}.bin HTTP/1.1\r\n`
            : `GET /api/v1/files/loris-${i}.bin HTTP/1.1\r\nHost: x\r\nX-Loris: ${'a'.repeat(500)}`
      void c.connected.then(async () => {
        for (const ch of text) {
          if (stopped || c.socket.destroyed) return
          c.socket.write(ch)
          await sleep(100)
        }
      })
      return {
        ...c,
        stop: () => {
          stopped = true
        },
      }
    })
    record({ badInputs: lorises.length })
    // Meanwhile ordinary clients keep being served.
    const auth = freshAuth()
    const served: number[] = []
    let polling = true
    const poller = (async () => {
      while (polling) {
        const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
        expect(r.status).toBe(200)
        expect(r.body.equals(small)).toBe(true)
        served.push(r.ms)
        await sleep(100)
      }
    })()
    const results = await Promise.all(
      lorises.map((l) =>
        Promise.race([l.closed, sleep(HEADERS_TIMEOUT_MS * 4).then(() => ({ text: '', atMs: Infinity }))]),
      ),
    )
    polling = false
    await poller
    for (const l of lorises) l.stop()
    // Which timer closed them: Node's header-section timer, set to HTTP_HEADERS_TIMEOUT_MS (its
    // ERR_HTTP_REQUEST_TIMEOUT becomes the 408 below); the whole-request timer is not shorter.
    const httpServer = gw.gateway.app.server
    expect(httpServer.headersTimeout).toBe(HEADERS_TIMEOUT_MS)
    expect(httpServer.requestTimeout === 0 || httpServer.requestTimeout > HEADERS_TIMEOUT_MS).toBe(true)
    for (const [i, r] of results.entries()) {
      expect(r.atMs, `loris ${i} still open: nothing closed it`).not.toBe(Number.POSITIVE_INFINITY)
      const answer = parseRaw(r.text)
      expect(answer.status, `loris ${i}: ${r.text}`).toBe(408)
      expect(answer.headers).toContain('content-type: application/problem+json')
      expect(JSON.parse(answer.body).code).toBe('GW_ERR_REQUEST_TIMEOUT')
    }
    expect(served.length).toBeGreaterThanOrEqual(5)
    const sent = up.server.commands.slice(commandsBefore)
    expect(sent.filter((c) => c.arg.includes('loris'))).toEqual([])
    console.info(
      `slowloris: ${results.length} clients closed after ${results.map((r) => r.atMs).join(', ')} ms; ` +
        `${served.length} normal GETs served meanwhile (slowest ${Math.max(...served)} ms)`,
    )
  })

  it.each([
    ['REST', '/api/v1/files/victim-rest.bin', 'victim-rest.bin'],
    ['WebDAV', '/dav/victim-dav.bin', 'victim-dav.bin'],
  ])(
    '%s PUT whose body stops after 4 KiB → 408 after HTTP_BODY_IDLE_TIMEOUT_MS; STOR aborted, old file intact',
    async (_face, url, name) => {
      await guard(name)
      const auth = freshAuth()
      const commandsBefore = up.server.commands.length
      const c = rawClient()
      await c.connected
      c.socket.write(
        `PUT ${url} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/octet-stream\r\n` +
          `Content-Length: ${1024 * 1024}\r\n\r\n`,
      )
      const mark = logs.records.length
      c.socket.write(randomBytes(4096))
      const lastByteAt = Date.now()
      record({ badInputs: 1 })
      // The upload really is under way: the STOR of a temporary name reached the server.
      expect(
        await waitFor(
          () => up.server.commands.slice(commandsBefore).some((x) => x.verb === 'STOR'),
          BODY_IDLE_MS,
          10,
        ),
      ).toBe(true)
      const stor = up.server.commands.slice(commandsBefore).find((x) => x.verb === 'STOR')
      expect(stor?.arg).toMatch(/\.ftpgw-[0-9a-f]+\.part$/)
      const { text } = await Promise.race([
        c.closed,
        sleep(BODY_IDLE_MS * 4).then(() => ({ text: 'still open' })),
      ])
      const cutAfter = Date.now() - lastByteAt
      c.socket.destroy()
      const answer = parseRaw(text)
      expect(answer.status, text.slice(0, 300)).toBe(408)
      expect(answer.headers).toContain('content-type: application/problem+json')
      expect(answer.headers).toContain('connection: close')
      expect(answer.headers).toMatch(/x-request-id: \S+/)
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'GW_ERR_REQUEST_TIMEOUT', status: 408 })
      // The body-idle timer (HTTP_BODY_IDLE_TIMEOUT_MS) ended it, once: not the FTP side, not another timer.
      expect(bodyIdleLines(logs.since(mark))).toEqual([
        expect.objectContaining({
          code: 'GW_ERR_REQUEST_TIMEOUT',
          // The gateway's own reading when it gave up: never before the limit (it can only fire
          // once the limit has passed, so load can make this larger, never smaller).
          idleMs: expect.toSatisfy((ms: number) => ms >= BODY_IDLE_MS),
        }),
      ])
      // The session was freed: the same identity uploads and reads at once.
      await expectBaseline(gw, () => up.server.connectionCount, 'after the idle body')
      const fresh = randomBytes(20_000)
      const put = await request(`${gw.url}${url}-next`, {
        method: 'PUT',
        headers: { authorization: auth },
        body: fresh,
      })
      expect(put.status).toBe(201)
      guarded.set(`${name}-next`, fresh)
      console.info(`${_face} idle body: 408 ${cutAfter} ms after the last byte (limit ${BODY_IDLE_MS})`)
    },
  )

  it('a JSON body that stops → 408, and no FTP command for it', async () => {
    const auth = freshAuth()
    // Log this identity in first, so what follows can only be the move itself.
    expect(
      (await request(`${gw.url}/api/v1/stat/small.bin`, { headers: { authorization: auth } })).status,
    ).toBe(200)
    const commandsBefore = up.server.commands.length
    const mark = logs.records.length
    const c = rawClient()
    await c.connected
    c.socket.write(
      `POST /api/v1/move HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\n` +
        `Content-Length: 100\r\n\r\n{"from":"small.bin",`,
    )
    const started = Date.now()
    record({ badInputs: 1 })
    const { text } = await Promise.race([
      c.closed,
      sleep(BODY_IDLE_MS * 4).then(() => ({ text: 'still open' })),
    ])
    const cutAfter = Date.now() - started
    c.socket.destroy()
    const answer = parseRaw(text)
    expect(answer.status, text.slice(0, 300)).toBe(408)
    expect(JSON.parse(answer.body).code).toBe('GW_ERR_REQUEST_TIMEOUT')
    // The body-idle timer (HTTP_BODY_IDLE_TIMEOUT_MS) ended it, once.
    expect(bodyIdleLines(logs.since(mark))).toEqual([
      expect.objectContaining({
        code: 'GW_ERR_REQUEST_TIMEOUT',
        // The gateway's own reading when it gave up: never before the limit (it can only fire
        // once the limit has passed, so load can make this larger, never smaller).
        idleMs: expect.toSatisfy((ms: number) => ms >= BODY_IDLE_MS),
      }),
    ])
    console.info(`JSON idle body: 408 ${cutAfter} ms after the last byte (limit ${BODY_IDLE_MS})`)
    expect(up.server.commands.slice(commandsBefore).map((x) => x.verb)).not.toContain('RNFR')
  })

  it('bodies that trickle (1 KiB every 500 ms, 4 s in all, limit 1.5 s) complete on both faces', async () => {
    const chunks = Array.from({ length: 9 }, () => randomBytes(1024))
    const whole = Buffer.concat(chunks)
    const mark = logs.records.length
    const trickle = (url: string, auth: string) =>
      new Promise<{ status: number; ms: number; events: string[] }>((resolve, reject) => {
        const started = Date.now()
        const events: string[] = []
        const req = http.request(`${gw.url}${url}`, {
          method: 'PUT',
          agent: false,
          headers: { authorization: auth, 'content-length': whole.length },
        })
        req.on('response', (res) => {
          events.push('response')
          res.resume()
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - started, events }))
        })
        req.on('error', reject)
        void (async () => {
          for (const [i, chunk] of chunks.entries()) {
            if (i > 0) await sleep(500)
            req.write(chunk)
            events.push('chunk')
          }
          req.end()
          events.push('end')
        })()
      })
    const [rest, dav] = await Promise.all([
      trickle('/api/v1/files/trickle-rest.bin', freshAuth()),
      trickle('/dav/trickle-dav.bin', freshAuth()),
    ])
    for (const r of [rest, dav]) {
      expect(r.status).toBe(201)
      // The answer came after the whole trickle (nine chunks 500 ms apart, each gap under the
      // limit), and the body-idle timer never fired for either upload.
      expect(r.events).toEqual([...Array(9).fill('chunk'), 'end', 'response'])
    }
    expect(bodyIdleLines(logs.since(mark))).toEqual([])
    expect(failures(logs.since(mark))).toEqual([])
    for (const name of ['trickle-rest.bin', 'trickle-dav.bin']) {
      expect((await readFile(path.join(up.root, name))).equals(whole), name).toBe(true)
      guarded.set(name, whole)
    }
    console.info(`trickled uploads: REST ${rest.ms} ms, WebDAV ${dav.ms} ms, both complete`)
  })

  it.each([
    ['REST', '/api/v1/files/big.bin'],
    ['WebDAV', '/dav/big.bin'],
  ])('%s download not read for 3 s (2 × the body limit) still completes intact', async (_face, url) => {
    record({ badInputs: 1 })
    const mark = logs.records.length
    const events: string[] = []
    const r = await request(`${gw.url}${url}`, {
      headers: { authorization: freshAuth() },
      onResponse: (res) => {
        res.once('data', () => {
          res.pause()
          events.push('paused')
          setTimeout(() => {
            events.push('resumed')
            res.resume()
          }, 2 * BODY_IDLE_MS)
        })
        res.once('end', () => events.push('end'))
      },
    })
    expect(r.status).toBe(200)
    expect(r.ending).toBe('end')
    expect(r.body.equals(big)).toBe(true)
    // The stall happened inside the download, and no timer (body idle, FTP data) ended anything.
    expect(events).toEqual(['paused', 'resumed', 'end'])
    expect(bodyIdleLines(logs.since(mark))).toEqual([])
    expect(failures(logs.since(mark))).toEqual([])
  })

  it.each([
    ['REST', '/api/v1/files/gone-rest.bin', 'gone-rest.bin'],
    ['WebDAV', '/dav/gone-dav.bin', 'gone-dav.bin'],
  ])(
    '%s client vanishing after half the body → old file intact, no temp, baseline',
    async (_face, url, name) => {
      await guard(name)
      const auth = freshAuth()
      const commandsBefore = up.server.commands.length
      const c = rawClient()
      await c.connected
      const total = 2 * 1024 * 1024
      c.socket.write(
        `PUT ${url} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: ${total}\r\n\r\n`,
      )
      c.socket.write(randomBytes(total / 2))
      expect(
        await waitFor(
          () => up.server.commands.slice(commandsBefore).some((x) => x.verb === 'STOR'),
          5000,
          10,
        ),
      ).toBe(true)
      // Let some of it reach the temporary file before the client goes.
      await sleep(200)
      c.socket.destroy()
      record({ badInputs: 1 })
      await expectBaseline(gw, () => up.server.connectionCount, 'after the vanished client')
      expect(await tempFiles()).toEqual([])
      // And the identity is served at once.
      const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
      expect(r.status).toBe(200)
    },
  )
})
