/**
 * A hostile or broken FTP server, end to end through the HTTP API: the engine-level cases of
 * test/integration/ftp/faults.test.ts driven through an in-process gateway whose upstream is the
 * embedded server with intercepts and faults. PASV/EPSV replies that name another host (only the
 * control peer is ever dialled, proved with a dial spy), replies that never end, endless listings,
 * garbage and out-of-order replies, a 421 at any step, an FTPS certificate for another name, and a
 * third party racing to the gateway's active-mode listener. Each case checks what the HTTP client
 * sees, then the pool and the server's connection count go back to baseline, files are
 * byte-compared, and the worker saw no unhandled rejection.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LocalFtpServer } from '../../src/local-server/index.js'
import { writeSelfSignedCert } from '../helpers/client-tools.js'
import { basicAuth, type GatewayHandle, startGateway } from '../helpers/gateway.js'
import { captureLogs, failures, type LoggedFailure } from '../helpers/log-capture.js'
import { pickFreePort } from '../helpers/process-gateway.js'
import { testCertificate } from '../helpers/servers/common.js'
import { waitFor } from '../helpers/wait-for.js'
import { record } from './support/counters.js'
import { spyOnDials } from './support/dial-spy.js'
import {
  expectBaseline,
  type Outcome,
  quietProbe,
  rejectionCounter,
  request,
  sleep,
  startEmbedded,
} from './support/harness.js'

const TIMEOUT_MS = 3000
const rejections = rejectionCounter()
/** The gateway's logs: which error ended a request (a cap, a reply, a timer), not how long it took. */
const logs = captureLogs('warn')
/** The one failure logged since `mark`, as one string: its code and the FTP engine's words. */
function loggedFailure(since: LoggedFailure[]): string {
  expect(since, JSON.stringify(since)).toHaveLength(1)
  const [f] = since
  return `${f?.code} ${f?.upstreamReply}`
}
let up: Awaited<ReturnType<typeof startEmbedded>>
let gw: GatewayHandle
const small = randomBytes(10_000)
const victim = randomBytes(50_000)
let userN = 0
/** A fresh user per case: its own pool key, so earlier cases' sessions do not interfere. */
const freshAuth = () => basicAuth(`hostile${++userN}`, 'pw')
const gatewayEnv = {
  REDIS_URL: '',
  FTP_TIMEOUT_MS: String(TIMEOUT_MS),
  FTP_POOL_MAX: '2',
  CACHE_TTL_MS: '0',
  FTP_IDLE_TIMEOUT_MS: '4000',
}

/** The commands the server received from `from` on, as `VERB` strings. */
const verbsSince = (server: LocalFtpServer, from: number) => server.commands.slice(from).map((c) => c.verb)

/** The server session that received `verb` first since command index `from`. */
function sessionOf(server: LocalFtpServer, verb: string, from: number): number | undefined {
  return server.commands.slice(from).find((c) => c.verb === verb)?.session
}

/** Whether the server still holds that control connection. */
function sessionOpen(server: LocalFtpServer, id: number | undefined): boolean {
  const sessions = (server as unknown as { sessions: Set<{ id: number; isClosed: boolean }> }).sessions
  return [...sessions].some((s) => s.id === id && !s.isClosed)
}

/** The gateway dropped the session that met the fault (not merely the request). */
async function expectDiscarded(server: LocalFtpServer, id: number | undefined): Promise<void> {
  expect(id).toBeDefined()
  expect(await waitFor(() => !sessionOpen(server, id), 5000), `session ${id} still open`).toBe(true)
}

/** After a failed transfer: that session said ABOR then PWD (the resync sentinel), or was closed. */
async function expectResynchronisedOrDiscarded(
  server: LocalFtpServer,
  id: number | undefined,
  from: number,
): Promise<void> {
  expect(id).toBeDefined()
  let after: string[] = []
  const ok = await waitFor(() => {
    after = server.commands
      .slice(from)
      .filter((c) => c.session === id)
      .map((c) => c.verb)
    const abor = after.indexOf('ABOR')
    return !sessionOpen(server, id) || (abor >= 0 && after.indexOf('PWD', abor) > abor)
  }, 5000)
  expect(ok, `session ${id}: ${after.join(' ')}`).toBe(true)
}

function expectProblem(r: Outcome, status: number, code: string): void {
  expect(r.status, r.body.toString().slice(0, 300)).toBe(status)
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(JSON.parse(r.body.toString()).code).toBe(code)
}

async function tempFiles(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).filter((n) => /\.ftpgw-[0-9a-f]+\.part$/.test(n))
}

beforeAll(async () => {
  up = await startEmbedded()
  await writeFile(path.join(up.root, 'small.bin'), small)
  await writeFile(path.join(up.root, 'victim.bin'), victim)
  gw = await startGateway({ host: '127.0.0.1', port: up.port }, gatewayEnv, { logger: logs.logger })
  quietProbe(gw)
})

afterEach(async (ctx) => {
  for (const k of Object.keys(up.server.faults)) delete (up.server.faults as Record<string, unknown>)[k]
  up.server.clearIntercepts()
  await expectBaseline(gw, () => up.server.connectionCount, ctx.task.name)
  expect((await readFile(path.join(up.root, 'small.bin'))).equals(small)).toBe(true)
  expect((await readFile(path.join(up.root, 'victim.bin'))).equals(victim)).toBe(true)
  expect(await tempFiles(up.root)).toEqual([])
  expect(rejections()).toEqual([])
  record({ cases: 1, filesCompared: 2 })
})

afterAll(async () => {
  await gw?.close()
  await up?.stop()
})

/** After a fault: the same identity is served correctly at once (the faulty session is gone). */
async function expectServed(auth: string, g: GatewayHandle = gw): Promise<void> {
  const r = await request(`${g.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
  expect(r.status).toBe(200)
  expect(r.ending).toBe('end')
  expect(r.body.equals(small)).toBe(true)
}

describe('hostile FTP server, end to end over HTTP', () => {
  it.each(['10.0.0.1', '169.254.169.254'])(
    'PASV naming %s → the download works, and only the control peer is dialled',
    async (host) => {
      const auth = freshAuth()
      up.server.intercept('EPSV', (ctx) => ctx.reply(502, 'EPSV not here'))
      up.server.faults.pasvAddress = host
      record({ faults: 1 })
      const from = up.server.commands.length
      const spy = spyOnDials()
      let r: Outcome
      try {
        r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
      } finally {
        spy.stop()
      }
      expect(r.status).toBe(200)
      expect(r.ending).toBe('end')
      expect(r.body.equals(small)).toBe(true)
      expect(verbsSince(up.server, from)).toContain('PASV')
      // Every dial went to loopback; one of them was the data connection (neither HTTP nor control).
      expect(spy.dials.filter((d) => d.host !== '127.0.0.1')).toEqual([])
      const gwPort = Number(new URL(gw.url).port)
      expect(spy.dials.filter((d) => d.port !== gwPort && d.port !== up.port).length).toBeGreaterThanOrEqual(
        1,
      )
    },
  )

  it.each(['10.0.0.1', '169.254.169.254'])(
    'EPSV naming %s (|1|host|port|) → the download works, and only the control peer is dialled',
    async (host) => {
      // A server of its own with one passive port, so the hostile EPSV line can name the real port.
      const dataPort = await pickFreePort()
      const own = await startEmbedded({ pasvPorts: [dataPort, dataPort] })
      const other = await startGateway({ host: '127.0.0.1', port: own.port }, gatewayEnv)
      quietProbe(other)
      try {
        await writeFile(path.join(own.root, 'small.bin'), small)
        own.server.faults.epsvReply = `229 Entering Extended Passive Mode (|1|${host}|${dataPort}|)`
        record({ faults: 1 })
        const spy = spyOnDials()
        let r: Outcome
        try {
          r = await request(`${other.url}/api/v1/files/small.bin`, {
            headers: { authorization: freshAuth() },
          })
        } finally {
          spy.stop()
        }
        expect(r.status, r.body.toString().slice(0, 300)).toBe(200)
        expect(r.ending).toBe('end')
        expect(r.body.equals(small)).toBe(true)
        expect(verbsSince(own.server, 0)).toContain('EPSV')
        expect(verbsSince(own.server, 0)).not.toContain('PASV')
        expect(spy.dials.filter((d) => d.host !== '127.0.0.1')).toEqual([])
        expect(spy.dials).toContainEqual({ host: '127.0.0.1', port: dataPort })
        await expectBaseline(other, () => own.server.connectionCount, 'EPSV gateway')
      } finally {
        await other.close()
        await own.stop()
      }
    },
  )

  it('a multi-line reply that never ends (beyond the 64 KiB cap) → 502 from the cap, not the FTP timeout; session discarded', async () => {
    const auth = freshAuth()
    up.server.intercept('MLST', async (ctx) => {
      await ctx.write('250-Listing follows\r\n')
      // 256 KiB of continuation lines (four times the engine's cap), and never the closing line.
      for (let i = 0; i < 256; i++) await ctx.write(` ${'x'.repeat(1021)}\r\n`)
      await ctx.hang()
    })
    record({ faults: 1 })
    const from = up.server.commands.length
    const mark = logs.records.length
    const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
    expectProblem(r, 502, 'FILE_ERR_UPSTREAM')
    // Ended by the reply cap as soon as it was crossed, not by the FTP timeout (FILE_ERR_TIMEOUT).
    expect(loggedFailure(failures(logs.since(mark)))).toBe(
      `FILE_ERR_UPSTREAM Reply exceeds ${64 * 1024} bytes`,
    )
    await expectDiscarded(up.server, sessionOf(up.server, 'MLST', from))
    up.server.clearIntercepts()
    await expectServed(auth)
  })

  it('an endless listing → 502 on REST and WebDAV (never a truncated 200/207); the session recovers', async () => {
    const auth = freshAuth()
    up.server.faults.endlessListing = true
    record({ faults: 2 })
    const mark = logs.records.length
    const rest = await request(`${gw.url}/api/v1/dirs/`, { headers: { authorization: auth } })
    expectProblem(rest, 502, 'FILE_ERR_UPSTREAM')
    const dav = await request(`${gw.url}/dav/`, {
      method: 'PROPFIND',
      headers: { authorization: auth, depth: '1' },
    })
    expect(dav.status).toBe(502)
    // Both ended by the engine's 40 MiB listing cap, not by a timeout.
    const ended = failures(logs.since(mark))
    expect(ended.length, JSON.stringify(ended)).toBeGreaterThan(0)
    for (const f of ended) expect(f.upstreamReply).toBe(`Listing exceeds ${40 * 1024 * 1024} bytes`)
    delete up.server.faults.endlessListing
    const listing = await request(`${gw.url}/api/v1/dirs/`, { headers: { authorization: auth } })
    expect(listing.status).toBe(200)
    expect(JSON.parse(listing.body.toString()).entries.map((e: { name: string }) => e.name)).toContain(
      'small.bin',
    )
    console.info(`endless listing: REST 502 after ${rest.ms} ms, WebDAV ${dav.status} after ${dav.ms} ms`)
  })

  it('binary garbage as a reply → 502; session discarded; next request fine', async () => {
    const auth = freshAuth()
    up.server.intercept('MLST', (ctx) => ctx.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0xfe, 0x0d, 0x0a])))
    record({ faults: 1 })
    const from = up.server.commands.length
    const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
    expectProblem(r, 502, 'FILE_ERR_UPSTREAM')
    await expectDiscarded(up.server, sessionOf(up.server, 'MLST', from))
    up.server.clearIntercepts()
    await expectServed(auth)
  })

  it('a 226 before the 150, then a short transfer → never a clean 200; later requests served correctly', async () => {
    const auth = freshAuth()
    up.server.intercept(
      'RETR',
      async (ctx) => {
        await ctx.reply(226, 'Transfer complete')
        await ctx.reply(150, 'Opening BINARY mode data connection')
        const sock = await ctx.openData()
        sock.resume()
        sock.end(Buffer.from('not the file'))
      },
      { times: 1 },
    )
    record({ faults: 1 })
    const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
    // Headers go out when the data connection opens; the short count is found after: a broken body.
    if (r.status === 200) expect(r.ending).not.toBe('end')
    else expectProblem(r, 502, 'FILE_ERR_UPSTREAM')
    expect(r.body.equals(small)).toBe(false)
    // Resynchronised (ABOR + PWD), discarded, or (data and 226 both in) kept with the stray 150
    // dropped before its next command: whichever, the identity is served correctly from here on.
    for (let n = 0; n < 3; n++) await expectServed(auth)
  })

  it('EPSV answered 226 first, then its real 229 → 502; the session is resynchronised, the 229 never answers a later command', async () => {
    const auth = freshAuth()
    up.server.intercept(
      'EPSV',
      async (ctx) => {
        await ctx.reply(226, 'Transfer complete')
        await ctx.fallthrough()
      },
      { times: 1 },
    )
    record({ faults: 1 })
    const from = up.server.commands.length
    const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
    expectProblem(r, 502, 'FILE_ERR_UPSTREAM')
    await expectResynchronisedOrDiscarded(up.server, sessionOf(up.server, 'EPSV', from), from)
    // The 229 left behind must never be read as the answer to a later command.
    for (let i = 0; i < 3; i++) await expectServed(auth)
  })

  it('a reply to a command never sent → that session is discarded before it answers anything else', async () => {
    const auth = freshAuth()
    // Warm the pool: the session that gets the stray reply is an idle, pooled one.
    await expectServed(auth)
    up.server.intercept(
      'MLST',
      async (ctx) => {
        await ctx.fallthrough()
        await ctx.reply(250, 'Requested file action okay, completed')
      },
      { times: 1 },
    )
    record({ faults: 1 })
    const from = up.server.commands.length
    const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
    // Found before the next command is written, so the download is retried on a fresh session.
    expect(r.status, r.body.toString().slice(0, 300)).toBe(200)
    expect(r.ending).toBe('end')
    expect(r.body.equals(small)).toBe(true)
    const faulty = sessionOf(up.server, 'MLST', from)
    await expectDiscarded(up.server, faulty)
    // Nothing was written on it after the command that drew the stray reply.
    const onFaulty = up.server.commands.slice(from).filter((c) => c.session === faulty)
    expect(onFaulty.map((c) => c.verb).slice(onFaulty.findIndex((c) => c.verb === 'MLST'))).toEqual(['MLST'])
    for (let i = 0; i < 3; i++) await expectServed(auth)
  })

  it.each(['USER', 'PASS', 'TYPE', 'MLST', 'EPSV', 'RETR'])(
    '421 and close in answer to %s → 503 with Retry-After; next request fine',
    async (verb) => {
      const auth = freshAuth()
      up.server.intercept(verb, async (ctx) => {
        await ctx.reply(421, 'Service not available, closing control connection')
        ctx.close()
      })
      record({ faults: 1 })
      const mark = logs.records.length
      const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
      expectProblem(r, 503, 'FILE_ERR_UNAVAILABLE')
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0)
      // Answered from the 421 itself, not after the FTP timeout ran out.
      expect(loggedFailure(failures(logs.since(mark)))).toMatch(
        /^FILE_ERR_UNAVAILABLE .*421 Service not available, closing control connection$/,
      )
      up.server.clearIntercepts()
      await expectServed(auth)
    },
  )

  // Every step of an upload over an existing file: stat, data setup, STOR, and the rename into place.
  it.each(['MLST', 'EPSV', 'STOR', 'RNFR', 'RNTO'])(
    '421 and close in answer to %s of an upload → 503 with Retry-After; old file intact, no temporary file',
    async (verb) => {
      const auth = freshAuth()
      // Log in first, so the 421 meets a pooled session mid-operation.
      await expectServed(auth)
      up.server.intercept(verb, async (ctx) => {
        await ctx.reply(421, 'Service not available, closing control connection')
        ctx.close()
      })
      record({ faults: 1 })
      const from = up.server.commands.length
      const r = await request(`${gw.url}/api/v1/files/victim.bin`, {
        method: 'PUT',
        headers: { authorization: auth },
        body: randomBytes(200_000),
      })
      expectProblem(r, 503, 'FILE_ERR_UNAVAILABLE')
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0)
      up.server.clearIntercepts()
      await expectBaseline(gw, () => up.server.connectionCount, 'after the 421')
      expect(await tempFiles(up.root)).toEqual([])
      expect(verbsSince(up.server, from)).toContain(verb)
      await expectServed(auth)
    },
  )

  it('421 in the middle of a download’s data → a broken body, never a clean end', async () => {
    const auth = freshAuth()
    up.server.intercept(
      'RETR',
      async (ctx) => {
        await ctx.reply(150, 'Opening BINARY mode data connection')
        const sock = await ctx.openData()
        sock.resume()
        sock.write(small.subarray(0, 4000))
        await sleep(100)
        await ctx.reply(421, 'Service not available, closing control connection')
        ctx.close()
        sock.destroy()
      },
      { times: 1 },
    )
    record({ faults: 1 })
    const r = await request(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } })
    if (r.status === 200) expect(r.ending).not.toBe('end')
    else expectProblem(r, 503, 'FILE_ERR_UNAVAILABLE')
    await expectServed(auth)
  })
})

describe('explicit FTPS upstream whose certificate names another host', () => {
  let certDir: string
  let tlsUp: Awaited<ReturnType<typeof startEmbedded>>
  let wrongCert: string

  beforeAll(async () => {
    certDir = await mkdtemp(path.join(os.tmpdir(), 'ftpgw-faults-cert-'))
    // Self-signed (its own trust root, given as FTP_TLS_CA_FILE): only the name can be wrong.
    const { key, cert } = writeSelfSignedCert(certDir, {
      subject: '/CN=ftp.other.example',
      altNames: 'DNS:ftp.other.example,IP:10.0.0.1',
    })
    wrongCert = cert
    tlsUp = await startEmbedded({ tls: { key: await readFile(key), cert: await readFile(wrongCert) } })
    await writeFile(path.join(tlsUp.root, 'small.bin'), small)
  })

  afterAll(async () => {
    await tlsUp?.stop()
    if (certDir) await rm(certDir, { recursive: true, force: true })
  })

  it('is refused with a 502 problem before any login; with FTP_TLS_INSECURE=true it works', async () => {
    const ftpUrl = `ftpes://127.0.0.1:${tlsUp.port}`
    const strictLogs = captureLogs('warn')
    const strict = await startGateway(
      { host: '127.0.0.1', port: tlsUp.port },
      { ...gatewayEnv, FTP_URL: ftpUrl, FTP_TLS_CA_FILE: wrongCert },
      { logger: strictLogs.logger },
    )
    quietProbe(strict)
    record({ faults: 1 })
    try {
      const from = tlsUp.server.commands.length
      const r = await request(`${strict.url}/api/v1/files/small.bin`, {
        headers: { authorization: basicAuth('tlsuser', 'pw') },
      })
      expectProblem(r, 502, 'FILE_ERR_UPSTREAM')
      // Refused by the certificate check in the handshake, not after the FTP timeout.
      expect(loggedFailure(failures(strictLogs.records))).toMatch(
        /^FILE_ERR_UPSTREAM TLS handshake: Hostname\/IP does not match certificate's altnames/,
      )
      // AUTH TLS was the only thing said: no USER or PASS in clear (nor at all), no data.
      const said = verbsSince(tlsUp.server, from)
      expect(said.length).toBeGreaterThan(0)
      expect(said.every((v) => v === 'AUTH')).toBe(true)
      await expectBaseline(strict, () => tlsUp.server.connectionCount, 'strict TLS gateway')
    } finally {
      await strict.close()
    }
    const insecure = await startGateway(
      { host: '127.0.0.1', port: tlsUp.port },
      { ...gatewayEnv, FTP_URL: ftpUrl, FTP_TLS_INSECURE: 'true' },
    )
    quietProbe(insecure)
    try {
      await expectServed(basicAuth('tlsuser', 'pw'), insecure)
      await expectBaseline(insecure, () => tlsUp.server.connectionCount, 'insecure TLS gateway')
    } finally {
      await insecure.close()
    }
  })

  it('control: the same server with a certificate for 127.0.0.1 and that CA works', async () => {
    const good = await testCertificate()
    const okUp = await startEmbedded({
      tls: { key: await readFile(good.key), cert: await readFile(good.cert) },
    })
    const g = await startGateway(
      { host: '127.0.0.1', port: okUp.port },
      { ...gatewayEnv, FTP_URL: `ftpes://127.0.0.1:${okUp.port}`, FTP_TLS_CA_FILE: good.cert },
    )
    quietProbe(g)
    try {
      await writeFile(path.join(okUp.root, 'small.bin'), small)
      await expectServed(basicAuth('tlsuser', 'pw'), g)
      // The login went over TLS: its session said AUTH before USER and PASS.
      const login = okUp.server.commands.find((c) => c.verb === 'USER')
      const ofLogin = okUp.server.commands.filter((c) => c.session === login?.session).map((c) => c.verb)
      expect(ofLogin.slice(0, 3)).toEqual(['AUTH', 'USER', 'PASS'])
      await expectBaseline(g, () => okUp.server.connectionCount, 'good TLS gateway')
    } finally {
      await g.close()
      await okUp.stop()
    }
  })
})

describe('active mode', () => {
  it('a data connection from a third address is refused; the transfer completes over the server’s own', async () => {
    const active = await startGateway(
      { host: '127.0.0.1', port: up.port },
      { ...gatewayEnv, FTP_DATA_MODE: 'active' },
    )
    quietProbe(active)
    try {
      let rogue: { connected: boolean; received: number; closedBeforeServer: boolean } | undefined
      up.server.intercept(
        'RETR',
        async (ctx) => {
          const eprt = [...up.server.commands].reverse().find((c) => c.verb === 'EPRT' || c.verb === 'PORT')
          const [host, port] =
            eprt?.verb === 'EPRT'
              ? [eprt.arg.split('|')[2], Number(eprt.arg.split('|')[3])]
              : [undefined, Number.NaN]
          expect(host).toBe('127.0.0.1')
          // A third party races the server to the gateway's listener, from another loopback address.
          const sock = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' })
          const state = { connected: false, received: 0, closedBeforeServer: false }
          rogue = state
          sock.on('connect', () => {
            state.connected = true
            sock.write('INJECTED BYTES THAT MUST NOT REACH THE CLIENT')
          })
          sock.on('data', (d: Buffer) => {
            state.received += d.length
          })
          sock.on('error', () => {})
          await Promise.race([new Promise((r) => sock.once('close', r)), sleep(TIMEOUT_MS)])
          state.closedBeforeServer = sock.destroyed
          sock.destroy()
          await ctx.fallthrough()
        },
        { times: 1 },
      )
      record({ faults: 1 })
      const r = await request(`${active.url}/api/v1/files/small.bin`, {
        headers: { authorization: freshAuth() },
      })
      expect(r.status).toBe(200)
      expect(r.ending).toBe('end')
      expect(r.body.equals(small)).toBe(true)
      expect(rogue?.connected).toBe(true)
      expect(rogue?.closedBeforeServer).toBe(true)
      expect(rogue?.received).toBe(0)
      await expectBaseline(
        active,
        () => up.server.connectionCount - gw.gateway.upstream.pool.stats().size,
        'active gateway',
      )
    } finally {
      await active.close()
    }
  })
})
