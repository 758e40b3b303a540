/**
 * Real-process pieces of process-faults.test.ts: a throwaway redis-server of the test's own,
 * pool numbers scraped from a gateway process's /metrics, live budget leases read from Redis, an
 * upload that trickles in, downloads held open by a reader that never reads, a recorded load
 * loop, and the baseline check (expectBaseline's form for gateway processes).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chown, readFile, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { Redis } from 'ioredis'
import { expect } from 'vitest'
import { type ProcessGateway, pickFreePort } from '../../helpers/process-gateway.js'
import type { FtpServerHandle } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'
import { record } from './counters.js'
import { type Outcome, request, sleep } from './harness.js'

/** Writes a file into the FTP root, owned by the server's user so it may replace it. */
export async function seed(server: FtpServerHandle, name: string, data: Buffer): Promise<void> {
  const file = path.join(server.root, name)
  await writeFile(file, data)
  await chown(file, server.uid, server.gid)
}

/** Runs `fn` on a short-lived client that never retries (the server may be down on purpose). */
async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  r.on('error', () => undefined)
  try {
    await r.connect()
    return await fn(r)
  } finally {
    r.disconnect()
  }
}

/** Budget leases under `key` not expired (scores are expiry times on the Redis clock); a grace period is none. */
export function liveLeases(url: string, key: string): Promise<number> {
  return withRedis(url, async (r) => {
    const [s, us] = await r.time()
    const now = Number(s) * 1000 + Math.floor(Number(us) / 1000)
    return (await r.zrangebyscore(key, `(${now}`, '+inf')).filter((m) => m !== '~grace').length
  })
}

/** A redis-server of this test's own: 127.0.0.1, a free port, no persistence, in the foreground. */
export interface RedisServer {
  port: number
  url: string
  /** Starts it (again, on the same port) and waits for PING. */
  start(): Promise<void>
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>
  flushall(): Promise<void>
}

export async function redisServer(): Promise<RedisServer> {
  const port = await pickFreePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  const self: RedisServer = {
    port,
    url,
    async start() {
      child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
        ],
        { stdio: 'ignore' },
      )
      // Failing to spawn shows as the PING timeout below; a worker that dies takes it along.
      child.on('error', () => undefined)
      const started = child
      process.once('exit', () => started.kill('SIGKILL'))
      const up = await waitFor(
        () =>
          withRedis(url, (r) => r.ping()).then(
            () => true,
            () => false,
          ),
        10_000,
        50,
      )
      if (!up) throw new Error(`redis-server did not answer on ${port}`)
    },
    async kill() {
      const c = child
      child = undefined
      if (!c || c.exitCode !== null || c.signalCode !== null) return
      const exited = new Promise((r) => c.once('exit', r))
      c.kill('SIGKILL')
      await exited
    },
    async flushall() {
      await withRedis(url, (r) => r.flushall())
    },
  }
  await self.start()
  return self
}

/** A gateway process's pool numbers from its /metrics (all zero when it does not answer). */
export interface PoolNumbers {
  size: number
  idle: number
  busy: number
  waiting: number
  pending: number
}

export async function poolNumbers(url: string): Promise<PoolNumbers> {
  const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.text(),
    () => '',
  )
  const metric = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`))
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
  }
  return {
    size: metric('ftpgw_pool_sessions'),
    idle: metric('ftpgw_pool_sessions_idle'),
    busy: metric('ftpgw_pool_sessions_busy'),
    waiting: metric('ftpgw_pool_waiting'),
    pending: metric('ftpgw_pool_pending_creates'),
  }
}

/** How a streamed PUT ended: the status if one came (0 if none) and how the exchange broke. */
export interface PutOutcome {
  status: number
  error?: string
  sent: number
}

/**
 * PUTs `blocks` copies of `block` with Content-Length declared, pausing `pauseMs` between blocks
 * so a fault can land mid-body. `done` never rejects; a broken connection shows in `error`.
 * `stopWriting()` holds the rest of the body back (the request stays open), so the answer the
 * gateway gives is read instead of being lost to an EPIPE on the next write.
 */
export function slowPut(
  url: string,
  headers: http.OutgoingHttpHeaders,
  block: Buffer,
  blocks: number,
  pauseMs: number,
): { done: Promise<PutOutcome>; stopWriting(): void } {
  let stopped = false
  const done = new Promise<PutOutcome>((resolve) => {
    const out: PutOutcome = { status: 0, sent: 0 }
    const req = http.request(url, {
      method: 'PUT',
      headers: { ...headers, 'content-length': block.length * blocks },
      agent: false,
    })
    let finished = false
    const finish = (error?: string) => {
      if (finished) return
      finished = true
      if (error !== undefined) out.error = error
      clearTimeout(timer)
      req.destroy()
      resolve(out)
    }
    const timer = setTimeout(() => finish('test timeout'), 60_000)
    req.on('error', (err) => finish(err.message))
    req.on('response', (res) => {
      out.status = res.statusCode ?? 0
      res.resume()
      res.on('end', () => finish())
      res.on('error', (err) => finish(err.message))
    })
    void (async () => {
      for (let i = 0; i < blocks && !finished && !req.destroyed && !stopped; i++) {
        if (!req.write(block)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              req.off('drain', done).off('close', done)
              resolve()
            }
            req.on('drain', done).on('close', done)
          })
        }
        out.sent += block.length
        await sleep(pauseMs)
      }
      if (!finished && !req.destroyed && !stopped) req.end()
    })()
  })
  return {
    done,
    stopWriting: () => {
      stopped = true
    },
  }
}

/** A download whose reader never reads: the gateway's session stays busy until `abort()`. */
export function heldDownload(url: string, headers: http.OutgoingHttpHeaders): { abort(): void } {
  const req = http.request(url, { headers, agent: false })
  req.on('response', (res) => {
    res.pause()
    res.on('error', () => undefined)
  })
  req.on('error', () => undefined)
  req.end()
  return { abort: () => req.destroy() }
}

/** One request of a load loop. */
export interface Op {
  op: string
  started: number
  ended: number
  status: number
  ok: boolean
  code?: string
  /** For bearer requests: when the token used was issued. */
  tokenAt?: number
}

/** Runs `fn` until `until`, recording each outcome; `fn` returns the op without its times. */
export async function loop(
  ops: Op[],
  until: () => boolean,
  fn: (n: number) => Promise<Omit<Op, 'started' | 'ended'>>,
) {
  for (let n = 0; !until(); n++) {
    const started = Date.now()
    const r = await fn(n).catch((err: Error) => ({ op: 'threw', status: 0, ok: false, code: err.message }))
    ops.push({ ...r, started, ended: Date.now() })
  }
}

export const problemCode = (r: Outcome) => {
  try {
    return String((JSON.parse(r.body.toString()) as { code?: string }).code ?? '')
  } catch {
    return ''
  }
}

/** The process-gateway form of expectBaseline: pools at rest and vsftpd's connections == their sessions. */
export async function expectProcessBaseline(
  gws: ProcessGateway[],
  ftp: FtpServerHandle,
  label: string,
): Promise<void> {
  let last = ''
  const ok = await waitFor(
    async () => {
      const pools = await Promise.all(gws.map((g) => poolNumbers(g.url)))
      const conns = await ftp.controlConnections()
      last = JSON.stringify({ pools, conns })
      const size = pools.reduce((a, p) => a + p.size, 0)
      return pools.every((p) => p.busy === 0 && p.waiting === 0 && p.pending === 0) && conns === size
    },
    10_000,
    100,
  )
  if (!ok) record({ sessionsLeaked: 1 })
  expect(ok, `${label}: not back to baseline: ${last}`).toBe(true)
}

/** The sum of one pool number over several gateway processes. */
export async function sumPools(gws: ProcessGateway[], field: keyof PoolNumbers): Promise<number> {
  return (await Promise.all(gws.map((g) => poolNumbers(g.url)))).reduce((a, p) => a + p[field], 0)
}

/** vsftpd's control connections sampled every 100 ms until `stop()`; `max` over a time span. */
export function connectionSampler(ftp: FtpServerHandle) {
  const samples: Array<{ at: number; conns: number }> = []
  let running = true
  const done = (async () => {
    while (running) {
      const conns = await ftp.controlConnections().catch(() => undefined)
      if (conns !== undefined) samples.push({ at: Date.now(), conns })
      await sleep(100)
    }
  })()
  return {
    async stop() {
      running = false
      await done
    },
    max: (from: number, to: number) =>
      Math.max(0, ...samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.conns)),
  }
}

/**
 * Sends a request that makes the gateway LIST, and SIGKILLs vsftpd while that listing is under
 * way: vsftpd logs the LIST command before it reads the directory, so the whole server is frozen
 * (SIGSTOP) as soon as the log shows it, the log then tells whether the 226 had already gone out
 * (`late`), and only then comes the SIGKILL.
 */
export async function killDuringList(
  server: FtpServerHandle,
  send: () => Promise<Outcome>,
): Promise<{ late: boolean; phase: string; outcome: Outcome | { status: 0; ending: 'error' } }> {
  const logStart = (await server.commandLog()).length
  const newLines = async () => (await server.commandLog()).slice(logStart)
  const pending = send().catch(() => ({ status: 0 as const, ending: 'error' as const }))
  const listed = await waitFor(async () => (await newLines()).some((l) => l.includes('"LIST')), 10_000, 2)
  expect(listed, 'no LIST reached vsftpd').toBe(true)
  server.kill('SIGSTOP')
  const tail = await newLines()
  server.kill('SIGKILL')
  return {
    late: tail.some((l) => l.includes('"226 ')),
    phase: tail.some((l) => l.includes('"150 ')) ? 'after 150' : 'before 150',
    outcome: await pending,
  }
}

/** Every entry name of a directory, page after page of the REST listing. */
export async function listAll(url: string, auth: string): Promise<string[]> {
  const names: string[] = []
  for (let cursor: string | null = '', pages = 0; cursor !== null && pages < 10; pages++) {
    const r = await request(`${url}?limit=10000${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization: auth },
    })
    expect(r.status).toBe(200)
    const page = JSON.parse(r.body.toString()) as { entries: { name: string }[]; next: string | null }
    names.push(...page.entries.map((e) => e.name))
    cursor = page.next
  }
  return names
}

/** Every version a load loop PUT to one file, and the index of the last one acknowledged. */
export type Versions = Map<string, { all: Buffer[]; lastOk: number }>

/** Each file on disk is whole: the last acknowledged version or a later one, never a partial one. */
export async function expectVersionsOnDisk(root: string, versions: Versions): Promise<void> {
  for (const [name, v] of versions) {
    const onDisk = await readFile(path.join(root, name)).catch(() => Buffer.alloc(0))
    if (v.lastOk >= 0)
      expect(
        v.all.findIndex((b) => b.equals(onDisk)),
        name,
      ).toBeGreaterThanOrEqual(v.lastOk)
  }
}

/** Bearer tokens of one FTP user: POST /api/v1/sessions, and a download of `file` with a token. */
export function tokenClient(ftp: FtpServerHandle, file: string) {
  return {
    async create(g: ProcessGateway) {
      const r = await request(`${g.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ftp.user, password: ftp.password }),
      })
      const value = r.status === 201 ? (JSON.parse(r.body.toString()) as { token: string }).token : ''
      return { status: r.status, code: problemCode(r), value, at: Date.now() }
    },
    get: (g: ProcessGateway, token: string) =>
      request(`${g.url}/api/v1/files/${file}`, { headers: { authorization: `Bearer ${token}` } }),
  }
}
