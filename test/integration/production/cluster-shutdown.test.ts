/**
 * The "done when": three gateway processes behind HAProxy (health checks on /readyz every
 * 200 ms, fall 2) with shared Redis and vsftpd, a bounded mixed load through the balancer, SIGTERM
 * to one instance in the middle and a restart later.
 *
 * The window: the stopped instance closes its listener at once (readiness false), so HAProxy's
 * checks fail from the next one on and it leaves rotation within inter x fall = 400 ms, plus one
 * check already under way. Requests started within WINDOW_MS of the SIGTERM may still have been
 * sent on a pooled connection to it and get its 503; they are counted and reported, not failed.
 * Every request started after that window must succeed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, deleteRedisKeys, SHARED_REDIS_URL, testKeyPrefix } from '../../helpers/gateway.js'
import { type ProcessGateway, pickFreePort, spawnGateway } from '../../helpers/process-gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'

const POOL_MAX_TOTAL = 6
const INTER_MS = 200
const FALL = 2
/** inter x fall, one check in flight, and slack for a loaded 2-core machine. */
const WINDOW_MS = INTER_MS * FALL + INTER_MS + 400
const LOAD_MS = 20_000
const WORKERS = 8
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Outcome {
  op: string
  started: number
  ended: number
  ok: boolean
  detail: string
}

let server: FtpServerHandle
const gateways: ProcessGateway[] = []
const ports: number[] = []
let haproxy: ChildProcess
let lb: string
let tmp: string
const prefix = testKeyPrefix('cluster')
let env: Record<string, string>

async function seed(name: string, data: Buffer): Promise<void> {
  const file = path.join(server.root, name)
  await writeFile(file, data)
  await chown(file, server.uid, server.gid)
}

async function startHaproxy(): Promise<string> {
  const port = await pickFreePort()
  const cfg = [
    'global',
    '    maxconn 2000',
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 60s',
    '    timeout server 60s',
    '    timeout check 500ms',
    '    retries 2',
    '    option redispatch',
    'frontend http',
    `    bind 127.0.0.1:${port}`,
    '    default_backend gateways',
    'backend gateways',
    '    balance roundrobin',
    '    option httpchk GET /readyz',
    '    http-check expect status 200',
    `    default-server inter ${INTER_MS} fall ${FALL} rise 2`,
    ...ports.map((p, i) => `    server g${i + 1} 127.0.0.1:${p} check`),
    '',
  ].join('\n')
  const file = path.join(tmp, 'haproxy.cfg')
  await writeFile(file, cfg)
  haproxy = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    )
    if (ok) return url
    await sleep(100)
  }
  throw new Error('haproxy did not come up')
}

/** A body that trickles in over about `ms`, so the upload is in flight when the SIGTERM lands. */
function slowBody(data: Buffer, ms: number): ReadableStream<Uint8Array> {
  const pieces = 20
  const size = Math.ceil(data.length / pieces)
  let i = 0
  return new ReadableStream({
    async pull(controller) {
      if (i >= pieces) return controller.close()
      await sleep(ms / pieces)
      controller.enqueue(data.subarray(i * size, (i + 1) * size))
      i++
    },
  })
}

async function poolSessions(g: ProcessGateway): Promise<number> {
  const text = await fetch(`${g.url}/metrics`, { signal: AbortSignal.timeout(1000) }).then(
    (r) => r.text(),
    () => '',
  )
  // `size` counts idle, busy, and being opened or closed: everything that holds a budget lease.
  const line = text.split('\n').find((l) => l.startsWith('ftpgw_pool_sessions{'))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ftpgw-cluster-'))
  server = await startVsftpd()
  env = {
    FTP_URL: `ftp://127.0.0.1:${server.port}`,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_SECRET: 'cluster-shutdown-shared-secret-0123456789',
    // 2 per instance x 3 = the total: with more per instance than total / instances, busy
    // instances can hold every lease and a restarted one waits (see deploy/README.md, sizing).
    FTP_POOL_MAX: '2',
    FTP_POOL_MAX_TOTAL: String(POOL_MAX_TOTAL),
    SHUTDOWN_GRACE_MS: '10000',
    // The whole load comes from one address through HAProxy: the per-client limit must not bite.
    RATE_LIMIT_MAX: '1000000',
  }
  for (let i = 0; i < 3; i++) ports.push(await pickFreePort())
  gateways.push(...(await Promise.all(ports.map((p) => spawnGateway({ env: { ...env, PORT: String(p) } })))))
  lb = await startHaproxy()
}, 120_000)

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()))
  haproxy?.kill('SIGTERM')
  await deleteRedisKeys(SHARED_REDIS_URL, prefix)
  await server?.stop()
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

describe('cluster: SIGTERM one of three instances under load', () => {
  it('loses no request after the window, keeps tokens and locks, respects the session budget', async () => {
    const auth = basicAuth(server.user, server.password)
    const seedData = Buffer.alloc(256 * 1024, 'seed-')
    await seed('seed.bin', seedData)
    const davProbe = await fetch(`${lb}/dav/`, {
      method: 'PROPFIND',
      headers: { authorization: auth, depth: '1' },
    })
    const dav = davProbe.status === 207
    const outcomes: Outcome[] = []
    const record = async (op: string, fn: () => Promise<string | undefined>) => {
      const started = Date.now()
      let detail: string | undefined
      try {
        detail = await fn()
      } catch (err) {
        detail = `threw ${(err as Error).message}`
      }
      outcomes.push({ op, started, ended: Date.now(), ok: detail === undefined, detail: detail ?? '' })
    }
    const tokens: string[] = []
    const versions = new Map<string, { all: string[]; lastOk: number }>()

    // Sampling the upstream (TCP sessions at vsftpd) and the pools (sum over instances' /metrics).
    let maxTcp = 0
    let maxPooled = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const [tcp, ...pools] = await Promise.all([
          server.controlConnections(),
          ...gateways.map(poolSessions),
        ])
        maxTcp = Math.max(maxTcp, tcp)
        maxPooled = Math.max(
          maxPooled,
          pools.reduce((a, b) => a + b, 0),
        )
        await sleep(100)
      }
    })()

    const t0 = Date.now()
    const until = t0 + LOAD_MS
    // The load runs at least LOAD_MS and then until requests have gone on after the restart (on a
    // loaded machine the SIGTERM, the drain and the restart can take most of LOAD_MS).
    let loadDone = false
    const worker = async (w: number) => {
      const file = `load-${w}.bin`
      const mine = { all: [] as string[], lastOk: -1 }
      versions.set(file, mine)
      for (let n = 0; !loadDone || Date.now() < until; n++) {
        const kind = n % 5
        if (kind === 0 || kind === 2) {
          await record('download', async () => {
            const r = await fetch(`${lb}/api/v1/files/seed.bin`, { headers: { authorization: auth } })
            const body = Buffer.from(await r.arrayBuffer())
            return r.status === 200 && body.equals(seedData) ? undefined : `GET ${r.status} ${body.length}`
          })
        } else if (kind === 1) {
          const content = `worker ${w} version ${n} `.repeat(2000)
          const index = mine.all.push(content) - 1
          await record('upload', async () => {
            const r = await fetch(`${lb}/api/v1/files/${file}`, {
              method: 'PUT',
              headers: { authorization: auth },
              body: content,
            })
            if (r.status === 201 || r.status === 204) {
              mine.lastOk = index
              return undefined
            }
            return `PUT ${r.status} ${await r.text()}`
          })
        } else if (kind === 3) {
          await record('token', async () => {
            const r = await fetch(`${lb}/api/v1/sessions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ username: server.user, password: server.password }),
            })
            if (r.status !== 201) return `POST /sessions ${r.status}`
            const { token } = (await r.json()) as { token: string }
            const l = await fetch(`${lb}/api/v1/dirs/`, { headers: { authorization: `Bearer ${token}` } })
            await l.arrayBuffer()
            return l.status === 200 ? undefined : `list with token ${l.status}`
          })
        } else if (dav) {
          await record('propfind', async () => {
            const r = await fetch(`${lb}/dav/`, {
              method: 'PROPFIND',
              headers: { authorization: auth, depth: '1' },
            })
            await r.arrayBuffer()
            return r.status === 207 ? undefined : `PROPFIND ${r.status}`
          })
        }
      }
    }
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)))

    // Mid-load: state made on instance 2 directly, slow uploads into it, then SIGTERM.
    await sleep(4000)
    const victim = gateways[1] as ProcessGateway
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${victim.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: server.user, password: server.password }),
      })
      expect(r.status).toBe(201)
      tokens.push(((await r.json()) as { token: string }).token)
    }
    let lockToken: string | undefined
    if (dav) {
      await seed('locked.txt', Buffer.from('before lock\n'))
      const r = await fetch(`${victim.url}/dav/locked.txt`, {
        method: 'LOCK',
        headers: { authorization: auth, 'content-type': 'application/xml', timeout: 'Second-600' },
        body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>cluster-test</D:owner></D:lockinfo>',
      })
      expect(r.status).toBe(200)
      lockToken = r.headers.get('lock-token') ?? undefined
      expect(lockToken).toMatch(/^<.+>$/)
    }
    const slow: Array<{ name: string; old: Buffer; data: Buffer; status: Promise<number> }> = []
    for (let i = 0; i < 3; i++) {
      const name = `slow-${i}.bin`
      const old = Buffer.alloc(64 * 1024, `old-${i}-`)
      await seed(name, old)
      const data = Buffer.alloc(2 * 1024 * 1024, `new-${i}-`)
      const status = fetch(`${victim.url}/api/v1/files/${name}`, {
        method: 'PUT',
        headers: { authorization: auth, 'content-type': 'application/octet-stream' },
        body: slowBody(data, 1500),
        duplex: 'half',
      } as RequestInit).then(
        (r) => r.status,
        () => -1,
      )
      slow.push({ name, old, data, status })
    }
    await sleep(300)
    const sigterm = Date.now()
    const exited = victim.stop('SIGTERM', 20_000)

    // After the window: tokens and the lock made on the stopped instance work on the others.
    await sleep(WINDOW_MS)
    const afterWindow: Array<[string, number]> = []
    for (const token of tokens) {
      for (const g of [gateways[0], gateways[2]] as ProcessGateway[]) {
        const r = await fetch(`${g.url}/api/v1/sessions/current`, {
          headers: { authorization: `Bearer ${token}` },
        })
        await r.arrayBuffer()
        afterWindow.push([`token on ${g.port}`, r.status])
      }
    }
    if (dav && lockToken) {
      const other = gateways[0] as ProcessGateway
      const put = await fetch(`${other.url}/dav/locked.txt`, {
        method: 'PUT',
        headers: { authorization: auth, if: `(${lockToken})` },
        body: 'written under the lock\n',
      })
      afterWindow.push(['PUT with lock elsewhere', put.status])
      const unlock = await fetch(`${other.url}/dav/locked.txt`, {
        method: 'UNLOCK',
        headers: { authorization: auth, 'lock-token': lockToken },
      })
      afterWindow.push(['UNLOCK elsewhere', unlock.status])
    }
    const exit = await exited
    const exitedAfterMs = Date.now() - sigterm

    // Restart on the same port; HAProxy takes it back after `rise` good checks.
    await sleep(500)
    gateways[1] = await spawnGateway({ env: { ...env, PORT: String(victim.port) } })
    const restarted = Date.now()
    const servedAfterRestart = await waitFor(
      () => outcomes.filter((o) => o.started >= restarted).length >= 3 * WORKERS,
      60_000,
    )
    loadDone = true
    await load
    sampling = false
    await sampler

    // ---- the verdict ----
    const slowStatuses = await Promise.all(slow.map((s) => s.status))
    for (const [i, s] of slow.entries()) {
      const onDisk = await readFile(path.join(server.root, s.name))
      const completed = slowStatuses[i] === 201 || slowStatuses[i] === 204
      // Completed and in place, or refused and the old file untouched: never a mix.
      expect(onDisk.equals(completed ? s.data : s.old), `${s.name} (status ${slowStatuses[i]})`).toBe(true)
    }
    for (const [file, v] of versions) {
      const onDisk = (await readFile(path.join(server.root, file)).catch(() => Buffer.alloc(0))).toString()
      const index = v.all.indexOf(onDisk)
      if (v.lastOk >= 0) expect(index, file).toBeGreaterThanOrEqual(v.lastOk)
    }
    const late = outcomes.filter((o) => o.started >= sigterm + WINDOW_MS)
    const inWindow = outcomes.filter((o) => o.started >= sigterm && o.started < sigterm + WINDOW_MS)
    const before = outcomes.filter((o) => o.started < sigterm)
    const summary = {
      requests: outcomes.length,
      byOp: Object.fromEntries(
        ['download', 'upload', 'token', 'propfind'].map((op) => [
          op,
          outcomes.filter((o) => o.op === op).length,
        ]),
      ),
      dav,
      failedBeforeSigterm: before.filter((o) => !o.ok).length,
      inWindow: inWindow.length,
      failedInWindow: inWindow.filter((o) => !o.ok).map((o) => `${o.op}: ${o.detail}`),
      afterWindow: late.length,
      failedAfterWindow: late
        .filter((o) => !o.ok)
        .map(
          (o) => `${o.op} +${o.started - sigterm} ms (${o.ended - o.started} ms): ${o.detail.slice(0, 120)}`,
        ),
      restartedAfterMs: restarted - sigterm,
      afterRestart: outcomes.filter((o) => o.started >= restarted).length,
      slowUploads: slowStatuses,
      exit,
      exitedAfterMs,
      maxUpstreamTcp: maxTcp,
      maxPooledSessions: maxPooled,
      windowMs: WINDOW_MS,
      stateElsewhere: afterWindow,
    }
    console.info(`cluster-shutdown: ${JSON.stringify(summary, null, 1)}`)
    if (summary.failedAfterWindow.length > 0)
      console.info(gateways.map((g) => g.output().slice(-3000)).join('\n----\n'))

    expect(summary.failedAfterWindow).toEqual([])
    expect(late.length).toBeGreaterThan(50)
    expect(servedAfterRestart, 'requests went on after the restart').toBe(true)
    expect(summary.afterRestart).toBeGreaterThan(0)
    expect(exit).toEqual({ code: 0, signal: null })
    for (const [what, status] of afterWindow) expect([200, 201, 204], what).toContain(status)
    // maxPooled sums three /metrics scrapes taken at slightly different instants (a session closed
    // on one and opened on another between them counts twice): reported, not asserted.
    // At vsftpd, each instance's readiness probe may add one short greeting-only connection.
    expect(maxTcp).toBeLessThanOrEqual(POOL_MAX_TOTAL + gateways.length)
  }, 180_000)
})
