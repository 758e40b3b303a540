/**
 * Upstream faults through HTTP end to end, with the embedded server as the gateway's upstream
 * (FTP_URL=ftp://127.0.0.1:<its port>) and its fault knobs: logins refused with 421 for a while,
 * pooled sessions idle-closed by the server, a data connection that stalls forever, a 226 that
 * never comes, a port that refuses connections. Each case has its exact outcome, then the pool and
 * the server's connection count go back to baseline, files on disk are byte-compared, and the
 * worker saw no unhandled rejection.
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../helpers/gateway.js'
import { captureLogs, failures } from '../helpers/log-capture.js'
import { pickFreePort } from '../helpers/process-gateway.js'
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

const TIMEOUT_MS = 1000
const rejections = rejectionCounter()
/** The gateway's logs: which error (and which timer) ended a request, instead of how long it took. */
const logs = captureLogs('warn')
let up: Awaited<ReturnType<typeof startEmbedded>>
let gw: GatewayHandle
const big = randomBytes(8 * 1024 * 1024 + 13)
const small = randomBytes(10_000)
let userN = 0
/** A fresh user per case: its own pool key, so earlier cases' sessions do not interfere. */
const freshAuth = () => basicAuth(`user${++userN}`, 'pw')

beforeAll(async () => {
  up = await startEmbedded()
  await writeFile(path.join(up.root, 'big.bin'), big)
  await writeFile(path.join(up.root, 'small.bin'), small)
  gw = await startGateway(
    { host: '127.0.0.1', port: up.port },
    {
      REDIS_URL: '',
      FTP_TIMEOUT_MS: String(TIMEOUT_MS),
      FTP_POOL_MAX: '2',
      CACHE_TTL_MS: '0',
      // Sessions the server closed are unusable at once but leave the pool at its next sweep
      // (every min(15 s, idle/4)): a short idle timeout keeps that within the baseline wait.
      FTP_IDLE_TIMEOUT_MS: '4000',
    },
    { logger: logs.logger },
  )
  quietProbe(gw)
})

afterEach(async (ctx) => {
  for (const k of Object.keys(up.server.faults)) delete (up.server.faults as Record<string, unknown>)[k]
  up.server.clearIntercepts()
  await expectBaseline(gw, () => up.server.connectionCount, ctx.task.name)
  // Nothing a fault did may have damaged the files in place.
  expect((await readFile(path.join(up.root, 'big.bin'))).equals(big)).toBe(true)
  expect((await readFile(path.join(up.root, 'small.bin'))).equals(small)).toBe(true)
  expect(rejections()).toEqual([])
  record({ cases: 1, filesCompared: 2 })
})

afterAll(async () => {
  await gw?.close()
  await up?.stop()
})

describe('upstream faults, end to end', () => {
  it('421 to every login for a while → 503 with Retry-After, then recovery on its own', async () => {
    const auth = freshAuth()
    up.server.intercept('USER', (ctx) => ctx.reply(421, 'Too many users, try later'))
    record({ faults: 1 })
    const from = up.server.commands.length
    const mark = logs.records.length
    const refused = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
    expect(refused.status).toBe(503)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(JSON.parse(refused.body.toString()).code).toBe('FILE_ERR_UNAVAILABLE')
    // Refused on the 421 itself, not after retrying until a timer ran out: one login attempt, and
    // the logged cause is the server's reply.
    expect(up.server.commands.slice(from).filter((c) => c.verb === 'USER')).toHaveLength(1)
    expect(failures(logs.since(mark))).toEqual([
      expect.objectContaining({
        code: 'FILE_ERR_UNAVAILABLE',
        upstreamReply: 'login: 421 Too many users, try later',
      }),
    ])
    up.server.clearIntercepts()
    // The server is fine again: the gateway must recover within the Retry-After it announced.
    const deadline = Date.now() + (Number(refused.headers['retry-after']) + 3) * 1000
    let last = refused
    while (Date.now() < deadline) {
      last = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
      if (last.status === 200) break
      await sleep(200)
    }
    expect(last.status).toBe(200)
    expect(last.body.equals(small)).toBe(true)
  })

  it('pooled sessions idle-closed by the server (421 + close) → the next requests still succeed', async () => {
    const auth = freshAuth()
    // Fill the pool with two sessions, then let the server drop them behind the gateway's back.
    await Promise.all(
      [1, 2].map(() => request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })),
    )
    const before = up.server.connectionCount
    expect(before).toBeGreaterThan(0)
    for (const s of (up.server as unknown as { sessions: Set<{ destroy(): void }> }).sessions) s.destroy()
    record({ faults: before })
    const results = await Promise.all(
      [1, 2, 3, 4].map(() =>
        request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } }),
      ),
    )
    for (const r of results) {
      expect(r.status).toBe(200)
      expect(r.ending).toBe('end')
      expect(r.body.equals(small)).toBe(true)
    }
  })

  it('a data connection that stalls forever → 504 or a broken body, ended by the data idle timer (FTP_TIMEOUT_MS); session discarded', async () => {
    const auth = freshAuth()
    up.server.faults.dataStall = true
    record({ faults: 1 })
    const created = gw.gateway.upstream.pool.stats().evicted
    const mark = logs.records.length
    const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
    if (r.status === 200) expect(r.ending).not.toBe('end')
    else expect(r.status, r.body.toString()).toBe(504)
    // The data connection's inactivity timer (FTP_TIMEOUT_MS) ended it: not a hang (the request
    // would run into the harness's 30 s guard) and not some other timer or error.
    expect(await waitFor(() => failures(logs.since(mark)).length > 0, 5000)).toBe(true)
    const [failure, ...more] = failures(logs.since(mark))
    expect(more).toEqual([])
    expect(failure?.code).toMatch(/^(FILE|FTP)_ERR_TIMEOUT$/)
    expect(`${failure?.upstreamReply} ${failure?.message}`).toContain(
      `Data connection idle for ${TIMEOUT_MS} ms`,
    )
    expect(await waitFor(() => gw.gateway.upstream.pool.stats().evicted > created, 5000)).toBe(true)
  })

  it('a 226 that never comes → never a wrong body; the session is discarded', async () => {
    // What the gateway does (measured, documented): the data connection delivers every byte and
    // closes in order, and the byte count matches SIZE, so with Content-Length the client already
    // holds the complete, correct file when the missing 226 times out. The timeout then discards
    // the session (never handed out again). Holding the last chunk back until the 226 would turn
    // this into a broken body; see the report. What must never happen: a short or wrong body that
    // ends cleanly.
    const auth = freshAuth()
    up.server.faults.never226 = true
    record({ faults: 1 })
    const evicted = gw.gateway.upstream.pool.stats().evicted
    const r = await request(`${gw.url}/api/v1/files/big.bin`, { headers: { authorization: auth } })
    if (r.status === 200 && r.ending === 'end') {
      expect(r.body.equals(big)).toBe(true)
      expect(Number(r.headers['content-length'])).toBe(big.length)
    } else if (r.status !== 200) expect([502, 504]).toContain(r.status)
    expect(
      await waitFor(() => gw.gateway.upstream.pool.stats().evicted > evicted, TIMEOUT_MS * 3 + 2000),
    ).toBe(true)
    // A smaller file, where the transfer is over before the timeout could matter: same rule.
    const s = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
    if (s.ending === 'end' && s.status === 200) expect(s.body.equals(small)).toBe(true)
  })

  it('a reader that stops reading for 3 s (> FTP_TIMEOUT_MS) → the download then completes intact', async () => {
    const auth = freshAuth()
    record({ faults: 1 })
    const events: string[] = []
    const mark = logs.records.length
    const r = await request(`${gw.url}/api/v1/files/big.bin`, {
      headers: { authorization: auth },
      onResponse: (res) => {
        res.once('data', () => {
          // Backpressure, not a dead server: the gateway must pause the data socket, not time out.
          res.pause()
          events.push('paused')
          setTimeout(() => {
            events.push('resumed')
            res.resume()
          }, 3000)
        })
        res.once('end', () => events.push('end'))
      },
    })
    expect(r.status).toBe(200)
    expect(r.ending).toBe('end')
    expect(r.body.equals(big)).toBe(true)
    // The stall happened inside the download (the body ended only after the reader resumed), and
    // no timer ended anything meanwhile.
    expect(events).toEqual(['paused', 'resumed', 'end'])
    expect(failures(logs.since(mark))).toEqual([])
  })

  it('upstream refusing connections (port closed) → a 502/503 problem from the refused connect, no retry', async () => {
    const closedPort = await pickFreePort()
    const otherLogs = captureLogs('warn')
    const other = await startGateway(
      { host: '127.0.0.1', port: closedPort },
      { REDIS_URL: '', FTP_TIMEOUT_MS: String(TIMEOUT_MS) },
      { logger: otherLogs.logger },
    )
    record({ faults: 1 })
    try {
      const r = await request(`${other.url}/api/v1/files/small.bin`, {
        headers: { authorization: freshAuth() },
      })
      expect([502, 503]).toContain(r.status)
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
      const s = other.gateway.upstream.pool.stats()
      expect(s.size + s.busy + s.pending).toBe(0)
      // Answered from the refused connect, not after a connect timeout or a retry loop: one
      // failed session create, and the logged cause is the refusal.
      expect(s.failedCreates).toBe(1)
      const [failure, ...more] = failures(otherLogs.records)
      expect(more).toEqual([])
      expect(failure?.upstreamReply).toMatch(/ECONNREFUSED/)
    } finally {
      await other.close()
    }
  })
})
