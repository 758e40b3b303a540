/**
 * Faults with real processes: vsftpd SIGKILLed mid-upload and mid-listing, Redis killed, restarted
 * empty and flushed under load behind two gateway processes, and one of three gateway processes
 * SIGKILLed behind HAProxy under load. Each case states its exact outcome, compares files byte for
 * byte, and ends with the gateways serving and no session leaked (vsftpd's control connections ==
 * the pools' sessions).
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeCursor } from '../../src/files/listing-order.js'
import {
  basicAuth,
  deleteRedisKeys,
  type GatewayHandle,
  SHARED_REDIS_URL,
  startGateway,
  testKeyPrefix,
} from '../helpers/gateway.js'
import { startHaproxy } from '../helpers/haproxy.js'
import { type ProcessGateway, spawnGateway } from '../helpers/process-gateway.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { waitFor } from '../helpers/wait-for.js'
import { record } from './support/counters.js'
import {
  expectBaseline,
  type Outcome,
  quietProbe,
  rejectionCounter,
  request,
  sleep,
} from './support/harness.js'
import {
  connectionSampler,
  expectProcessBaseline,
  expectVersionsOnDisk,
  heldDownload,
  killDuringList,
  listAll,
  liveLeases,
  loop,
  type Op,
  problemCode,
  redisServer,
  seed,
  slowPut,
  sumPools,
  tokenClient,
  type Versions,
} from './support/processes.js'

const rejections = rejectionCounter()
/** Teardown steps, run last-in first-out in afterAll whatever happened. */
const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const step of cleanups.reverse()) await step().catch((err) => console.error('cleanup failed', err))
})
afterEach(() => {
  expect(rejections()).toEqual([])
})

const MiB = 1024 * 1024
const ENTRIES = 20_000
const entryName = (i: number) => `entry-${String(i).padStart(5, '0')}.dat`

describe('vsftpd SIGKILLed under the gateway', () => {
  /** Every vsftpd run over the same root and port; the last one is the live one. */
  const runs: FtpServerHandle[] = []
  const live = () => runs[runs.length - 1] as FtpServerHandle
  /** Every run serves the first one's folder (a restart gets `local_root` of the first). */
  const root = () => (runs[0] as FtpServerHandle).root
  let gw: GatewayHandle
  let auth: string

  /** A new vsftpd on the killed one's port over the same root (as upstream-killed.test.ts does). */
  async function restart(): Promise<void> {
    const first = runs[0] as FtpServerHandle
    const next = await startVsftpd({ config: { listen_port: String(first.port), local_root: first.root } })
    runs.push(next)
    // Later runs first: a killed run's stop() waits for the port to close and removes the root.
    cleanups.push(() => next.stop())
  }

  beforeAll(async () => {
    const first = await startVsftpd()
    runs.push(first)
    cleanups.push(() => first.stop())
    auth = basicAuth(first.user, first.password)
    gw = await startGateway(first, {
      REDIS_URL: '',
      CACHE_TTL_MS: '0',
      FTP_POOL_MAX: '4',
      FTP_POOL_MAX_TOTAL: '4',
      FTP_TIMEOUT_MS: '5000',
      // Dead sessions are unusable at once and leave the pool at the next sweep (idle / 4 = 1 s).
      FTP_IDLE_TIMEOUT_MS: '4000',
    })
    cleanups.push(() => gw.close())
    quietProbe(gw)
  })

  it('mid-upload: never a 2xx, the old file intact; after a restart uploads work and no session leaks', async () => {
    const old = randomBytes(MiB + 7)
    await seed(live(), 'x.bin', old)
    const parts = async () => (await readdir(root())).filter((n) => n.startsWith('.x.bin.ftpgw-'))
    const evictedBefore = gw.gateway.upstream.pool.stats().evicted

    // 64 MiB in 1 MiB blocks, 20 ms apart: the kill lands once 8 MiB are in vsftpd's temp file.
    const put = slowPut(`${gw.url}/api/v1/files/x.bin`, { authorization: auth }, randomBytes(MiB), 64, 20)
    const inFlight = await waitFor(async () => {
      for (const p of await parts()) if ((await stat(path.join(root(), p))).size >= 8 * MiB) return true
      return false
    }, 20_000)
    expect(inFlight, 'the upload never reached 8 MiB upstream').toBe(true)
    put.stopWriting()
    live().kill('SIGKILL')
    record({ faults: 1 })
    const outcome = await put.done

    // No answer at all (the connection broke) or a 502: never a 2xx, nor a 499 "client went away".
    expect([0, 502], JSON.stringify(outcome)).toContain(outcome.status)
    expect(outcome.sent).toBeLessThan(64 * MiB)
    expect((await readFile(path.join(root(), 'x.bin'))).equals(old)).toBe(true)

    await restart()
    // The gateway cannot delete its temp file on a dead server: reported, not hidden.
    const leftover = await parts()
    const fresh = randomBytes(3 * MiB + 1)
    const replaced = await request(`${gw.url}/api/v1/files/x.bin`, {
      method: 'PUT',
      headers: { authorization: auth },
      body: fresh,
    })
    expect(replaced.status, replaced.body.toString()).toBe(204)
    const got = await request(`${gw.url}/api/v1/files/x.bin`, { headers: { authorization: auth } })
    expect(got.status).toBe(200)
    expect(got.ending).toBe('end')
    expect(got.body.equals(fresh)).toBe(true)
    expect((await readFile(path.join(root(), 'x.bin'))).equals(fresh)).toBe(true)
    expect(gw.gateway.upstream.pool.stats().evicted).toBeGreaterThan(evictedBefore)
    await expectBaseline(gw, () => live().controlConnections(), 'upload kill')
    expect((await request(`${gw.url}/healthz`)).status).toBe(200)
    console.info(
      `process-faults upload kill: client saw ${JSON.stringify(outcome)}; temp files left after restart: ${JSON.stringify(leftover)}`,
    )
    record({ cases: 1, filesCompared: 3 })
  })

  it('mid-listing: a 502, a 503 or a broken body, never a complete-looking truncated listing; all entries after a restart', async () => {
    const dir = path.join(root(), 'big')
    await mkdir(dir)
    execFileSync('sh', ['-c', `cd "${dir}" && seq -f 'entry-%05g.dat' 0 ${ENTRIES - 1} | xargs touch`])
    const all = Array.from({ length: ENTRIES }, (_, i) => entryName(i))
    // The second page (after entry 9,999) ends the listing: a truncated LIST shows as missing entries.
    const page2 = `${gw.url}/api/v1/dirs/big?limit=10000&cursor=${encodeCursor(entryName(9_999))}`
    const kinds = {
      rest: {
        send: () => request(page2, { headers: { authorization: auth } }),
        complete: (r: Outcome) => {
          const page = JSON.parse(r.body.toString()) as { entries: { name: string }[]; next: string | null }
          return page.next === null && page.entries.map((e) => e.name).join() === all.slice(10_000).join()
        },
        okStatus: 200,
      },
      propfind: {
        send: () =>
          request(`${gw.url}/dav/big/`, { method: 'PROPFIND', headers: { authorization: auth, depth: '1' } }),
        complete: (r: Outcome) => {
          const hrefs = [...r.body.toString().matchAll(/<D:href>[^<]*\/big\/([^<]*)<\/D:href>/g)].map(
            (m) => m[1],
          )
          return hrefs.filter((h) => h !== '').join() === all.join()
        },
        okStatus: 207,
      },
    }
    const seen: string[] = []
    for (const [kind, k] of Object.entries(kinds)) {
      let midListing = 0
      // The kill lands between LIST and its 226 almost always; a late one is retried (bounded).
      for (let attempt = 0; attempt < 3 && midListing === 0; attempt++) {
        const { late, phase, outcome: r } = await killDuringList(live(), k.send)
        record({ faults: 1 })
        const clean = r.ending === 'end' && r.status === k.okStatus
        seen.push(`${kind}#${attempt}: ${late ? 'late' : phase} → ${r.status} ${r.ending}`)
        // A clean success must be the whole listing; only a kill after the 226 may produce one.
        if (clean) expect(k.complete(r as Outcome), `${kind}: clean ${r.status}, truncated`).toBe(true)
        if (!late) {
          midListing++
          expect(clean, `${kind}: clean ${r.status} although killed before the 226`).toBe(false)
          // 502 when the listing broke; 503 when the retry found the server refusing connections
          // (the unreachable-upstream answer, with Retry-After).
          if (r.status !== 0)
            expect([502, 503].includes(r.status) || r.ending !== 'end', String(r.status)).toBe(true)
        }
        await restart()
        await expectBaseline(gw, () => live().controlConnections(), `${kind} kill`)
      }
      expect(midListing, `${kind}: no kill landed mid-listing: ${seen.join('; ')}`).toBe(1)
    }

    // Back up: the same listings are whole.
    expect(await listAll(`${gw.url}/api/v1/dirs/big`, auth)).toEqual(all)
    const dav = await kinds.propfind.send()
    expect(dav.status).toBe(207)
    expect(kinds.propfind.complete(dav)).toBe(true)
    await expectBaseline(gw, () => live().controlConnections(), 'listing after restart')
    expect((await request(`${gw.url}/healthz`)).status).toBe(200)
    console.info(`process-faults listing kills: ${seen.join('; ')}`)
    record({ cases: 1 })
  })
})

describe('Redis killed, restarted empty and flushed under load, two gateway processes', () => {
  it('Basic keeps working, tokens 503 then recover, stale tokens 401, the budget holds after the flush', async () => {
    const MAX_TOTAL = 4
    const redis = await redisServer()
    cleanups.push(() => redis.kill())
    const ftp = await startVsftpd()
    cleanups.push(() => ftp.stop())
    const content = randomBytes(256 * 1024)
    await seed(ftp, 'f.bin', content)
    const prefix = testKeyPrefix('pf-redis')
    const env = {
      FTP_URL: `ftp://127.0.0.1:${ftp.port}`,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      SESSION_SECRET: 'process-faults-redis-'.padEnd(32, 'x'),
      // 3 per instance, 4 in all: the cluster budget (leases in Redis) is what binds.
      FTP_POOL_MAX: '3',
      FTP_POOL_MAX_TOTAL: String(MAX_TOTAL),
      RATE_LIMIT_MAX: '1000000',
    }
    const gws = await Promise.all([0, 1].map(() => spawnGateway({ env })))
    for (const g of gws) cleanups.push(() => g.stop())
    const auth = basicAuth(ftp.user, ftp.password)
    const tokens = tokenClient(ftp, 'f.bin')
    let token = await tokens.create(gws[0] as ProcessGateway)
    expect(token.status).toBe(201)

    // Server-side control connections, sampled all along.
    const sampler = connectionSampler(ftp)
    cleanups.push(() => sampler.stop())

    const ops: Op[] = []
    const versions: Versions = new Map()
    const t0 = Date.now()
    const done = () => Date.now() > t0 + 15_000
    const load = Promise.all(
      Array.from({ length: 6 }, (_, w) => {
        const g = gws[w % 2] as ProcessGateway
        const mine = { all: [] as Buffer[], lastOk: -1 }
        versions.set(`w${w}.txt`, mine)
        return loop(ops, done, async (n) => {
          if (n % 3 === 0) {
            const r = await request(`${g.url}/api/v1/files/f.bin`, { headers: { authorization: auth } })
            return {
              op: 'basic',
              status: r.status,
              ok: r.status === 200 && r.body.equals(content),
              code: problemCode(r),
            }
          }
          if (n % 3 === 1) {
            const used = token
            const r = await tokens.get(g, used.value)
            const ok = r.status === 200 && r.body.equals(content)
            return { op: 'bearer', status: r.status, ok, code: problemCode(r), tokenAt: used.at }
          }
          const index = mine.all.push(Buffer.from(`worker ${w} version ${n} `.repeat(1000))) - 1
          const r = await request(`${g.url}/dav/w${w}.txt`, {
            method: 'PUT',
            headers: { authorization: auth },
            body: mine.all[index],
          })
          const ok = r.status === 201 || r.status === 204
          if (ok) mine.lastOk = index
          // WebDAV answers without a problem body: its 503 is known by the Retry-After it carries.
          const code = r.status === 503 && r.headers['retry-after'] ? 'DAV_RETRY_AFTER' : ''
          return { op: 'dav-put', status: r.status, ok, code }
        })
      }),
    )

    await sleep(2500)
    // Each instance verifies the token once more before the outage: its short local cache
    // (TOKEN_CACHE_TTL_MS) then serves it while Redis is down.
    for (const r of await Promise.all(gws.map((g) => tokens.get(g, token.value)))) expect(r.status).toBe(200)
    const killedAt = Date.now()
    await redis.kill()
    record({ faults: 1 })
    const whileDown = await Promise.all(gws.map(tokens.create))
    const staleWhileDown = await Promise.all(gws.map((g) => tokens.get(g, token.value)))
    await sleep(2500)
    await redis.start()
    // Without persistence the restart empties Redis: every token and lease is gone.
    const losses = [Date.now()]
    let recoveredAt = 0
    const recovered = await waitFor(
      async () => {
        const fresh = await Promise.all(gws.map(tokens.create))
        if (fresh.some((t) => t.status !== 201)) return false
        token = fresh[0] as typeof token
        recoveredAt = Date.now()
        return true
      },
      10_000,
      100,
    )
    expect(recovered, 'token creation did not come back within 10 s of Redis').toBe(true)

    await sleep(Math.max(0, t0 + 9000 - Date.now()))
    const beforeFlush = token
    losses.push(Date.now())
    await redis.flushall()
    const flushedAt = Date.now()
    record({ faults: 1 })
    const staleAfterFlush = await Promise.all(gws.map((g) => tokens.get(g, beforeFlush.value)))
    token = await tokens.create(gws[1] as ProcessGateway)
    expect(token.status).toBe(201)
    const freshAfterFlush = await Promise.all(gws.map((g) => tokens.get(g, token.value)))
    await load
    await sampler.stop()

    // ---- verdict ----
    // Documented while Redis is down (deploy/README.md: token logins and WebDAV locks fail fast
    // with 503), until both gateways answered again; a 401 only for a token issued before Redis
    // lost its data.
    const expected503 = (o: Op) =>
      o.status === 503 &&
      (o.code === 'GW_ERR_UNAVAILABLE' || o.code === 'DAV_RETRY_AFTER') &&
      o.ended > killedAt &&
      o.started < recoveredAt
    const expected401 = (o: Op) =>
      o.status === 401 &&
      o.tokenAt !== undefined &&
      losses.some((t) => t > (o.tokenAt as number) && t < o.ended)
    const unexpected = ops.filter((o) => !o.ok && !expected503(o) && !expected401(o))
    const count = (f: (o: Op) => boolean) => ops.filter(f).length
    const maxConns = sampler.max
    const summary = {
      requests: ops.length,
      byOp: Object.fromEntries(['basic', 'bearer', 'dav-put'].map((op) => [op, count((o) => o.op === op)])),
      basicWhileDown: count((o) => o.op === 'basic' && o.started > killedAt && o.ended < losses[0]!),
      documented503: count(expected503),
      other5xx: count((o) => o.status >= 500 && !expected503(o)),
      stale401: count(expected401),
      tokenWhileDown: whileDown.map((t) => `${t.status} ${t.code}`),
      recoveredMs: recoveredAt - losses[0]!,
      maxConnsBeforeKill: maxConns(t0, killedAt),
      maxConnsDown: maxConns(killedAt, losses[0]!),
      maxConnsAfterRestart: maxConns(losses[0]!, flushedAt),
      maxConnsAfterFlush: maxConns(flushedAt, Date.now()),
      afterFlush: count((o) => o.started > flushedAt),
      staleAfterFlush: staleAfterFlush.map((r) => `${r.status} ${problemCode(r)}`),
    }
    console.info(`process-faults redis: ${JSON.stringify(summary)}`)
    expect(unexpected.map((o) => `${o.op} ${o.status} ${o.code} +${o.started - t0} ms`)).toEqual([])
    expect(summary.basicWhileDown).toBeGreaterThan(5)
    for (const t of whileDown) expect([t.status, t.code]).toEqual([503, 'GW_ERR_UNAVAILABLE'])
    // A token an instance verified recently keeps working through the outage (issue 22's failover
    // cache); new tokens cannot be made (503 above) and, after the flush, old ones are refused (401).
    for (const r of staleWhileDown) expect(r.status).toBe(200)
    for (const r of staleAfterFlush) expect(r.status).toBe(401)
    for (const r of freshAfterFlush) expect(r.status === 200 && r.body.equals(content)).toBe(true)
    // Tokens came back on their own (the waitFor deadline above only guards against a hang): the
    // same gateway processes answered again, none was restarted.
    for (const g of gws) expect(() => process.kill(g.pid, 0), `gateway ${g.pid} restarted`).not.toThrow()
    expect(summary.afterFlush).toBeGreaterThan(30)
    expect(summary.maxConnsBeforeKill).toBeLessThanOrEqual(MAX_TOTAL)
    expect(
      summary.maxConnsAfterFlush,
      'more control connections than FTP_POOL_MAX_TOTAL after the flush',
    ).toBeLessThanOrEqual(MAX_TOTAL)
    await expectVersionsOnDisk(ftp.root, versions)
    await expectProcessBaseline(gws, ftp, 'redis')
    for (const g of gws) expect((await request(`${g.url}/healthz`)).status).toBe(200)
    record({ cases: 1, filesCompared: ops.filter((o) => o.ok && o.op !== 'dav-put').length + versions.size })
  }, 120_000)
})

describe('one of three gateway processes SIGKILLed behind HAProxy under load', () => {
  it('no failure after the detection window, no short 200, connections and the whole budget come back', async () => {
    const MAX_TOTAL = 6
    const INTER_MS = 200
    // inter x fall, one check already under way, slack for a loaded 2-core machine.
    const WINDOW_MS = INTER_MS * 2 + INTER_MS + 400
    const ftp = await startVsftpd()
    cleanups.push(() => ftp.stop())
    const files = { 'small.bin': randomBytes(64 * 1024 + 3), 'medium.bin': randomBytes(4 * MiB + 1) }
    for (const [name, data] of Object.entries(files)) await seed(ftp, name, data)
    await seed(ftp, 'hold.bin', Buffer.alloc(32 * MiB, 'hold'))
    const prefix = testKeyPrefix('pf-kill')
    cleanups.push(() => deleteRedisKeys(SHARED_REDIS_URL, prefix))
    const env = {
      FTP_URL: `ftp://127.0.0.1:${ftp.port}`,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      SESSION_SECRET: 'process-faults-kill-'.padEnd(32, 'x'),
      // 3 per instance x 3 instances > 6 in all: two survivors can use the whole budget only
      // once the dead instance's leases are gone.
      FTP_POOL_MAX: '3',
      FTP_POOL_MAX_TOTAL: String(MAX_TOTAL),
      RATE_LIMIT_MAX: '1000000',
    }
    const gws = await Promise.all([0, 1, 2].map(() => spawnGateway({ env })))
    for (const g of gws) cleanups.push(() => g.stop())
    const lb = await startHaproxy(
      gws.map((g) => g.port),
      {
        healthCheck: { path: '/readyz', interMs: INTER_MS, fall: 2, rise: 2, timeoutMs: 500 },
        retries: 2,
        redispatch: true,
      },
    )
    cleanups.push(() => lb.stop())
    const routed = async () => (await request(`${lb.url}/readyz`).catch(() => undefined))?.status === 200
    expect(await waitFor(routed, 10_000)).toBe(true)
    const auth = basicAuth(ftp.user, ftp.password)
    const budgetKey = `${prefix}pool:budget:127.0.0.1:${ftp.port}`

    const ops: Op[] = []
    let shortClean200 = 0
    const versions: Versions = new Map()
    const t0 = Date.now()
    const done = () => Date.now() > t0 + 15_000
    const load = Promise.all(
      Array.from({ length: 8 }, (_, w) => {
        const mine = { all: [] as Buffer[], lastOk: -1 }
        versions.set(`up-${w}.bin`, mine)
        return loop(ops, done, async (n) => {
          if (n % 3 < 2) {
            const [name, data] = Object.entries(files)[n % 3] as [string, Buffer]
            const r = await request(`${lb.url}/api/v1/files/${name}`, { headers: { authorization: auth } })
            const clean = r.status === 200 && r.ending === 'end'
            if (clean && !r.body.equals(data)) shortClean200++
            return { op: 'get', status: r.status, ok: clean && r.body.equals(data), code: r.ending }
          }
          const index = mine.all.push(randomBytes(256 * 1024)) - 1
          const r = await request(`${lb.url}/api/v1/files/up-${w}.bin`, {
            method: 'PUT',
            headers: { authorization: auth },
            body: mine.all[index],
          })
          const ok = r.status === 201 || r.status === 204
          if (ok) mine.lastOk = index
          return { op: 'put', status: r.status, ok, code: r.ending }
        })
      }),
    )
    await sleep(5000)
    const victim = gws[1] as ProcessGateway
    const survivors = [gws[0], gws[2]] as ProcessGateway[]
    const killedAt = Date.now()
    await victim.stop('SIGKILL')
    record({ faults: 1 })
    await load
    const deadLeasesAtEnd =
      (await liveLeases(SHARED_REDIS_URL, budgetKey)) - (await sumPools(survivors, 'size'))

    const late = ops.filter((o) => o.started >= killedAt + WINDOW_MS)
    const early = ops.filter((o) => o.started < killedAt + WINDOW_MS && o.ended > killedAt)
    const summary = {
      requests: ops.length,
      failedBeforeKill: ops.filter((o) => o.ended <= killedAt && !o.ok).length,
      aroundKill: early.length,
      failedAroundKill: early.filter((o) => !o.ok).map((o) => `${o.op} ${o.status} ${o.code}`),
      afterWindow: late.length,
      failedAfterWindow: late
        .filter((o) => !o.ok)
        .map((o) => `${o.op} ${o.status} ${o.code} +${o.started - killedAt} ms`),
      shortClean200,
      deadLeasesAtEnd,
    }
    console.info(`process-faults haproxy: ${JSON.stringify(summary)}`)
    expect(summary.failedBeforeKill).toBe(0)
    expect(summary.failedAfterWindow).toEqual([])
    expect(late.length).toBeGreaterThan(50)
    expect(shortClean200).toBe(0)
    await expectVersionsOnDisk(ftp.root, versions)

    // The kernel closed the dead process's control connections: vsftpd holds the survivors' only.
    await expectProcessBaseline(survivors, ftp, 'after the kill')
    // Its leases are not renewed any more and expire after the lease TTL (30 s).
    let leases = -1
    const expired = await waitFor(
      async () => {
        const sizes = await sumPools(survivors, 'size')
        leases = await liveLeases(SHARED_REDIS_URL, budgetKey)
        return leases === sizes
      },
      Math.max(0, killedAt + 36_000 - Date.now()),
      250,
    )
    const expiredAfterMs = Date.now() - killedAt
    expect(expired, `the dead instance's leases never expired (${leases} live)`).toBe(true)
    // The survivors can now hold the whole budget: 4 downloads each whose reader never reads.
    const held = survivors.flatMap((g) =>
      Array.from({ length: 4 }, () =>
        heldDownload(`${g.url}/api/v1/files/hold.bin`, { authorization: auth }),
      ),
    )
    cleanups.push(async () => {
      for (const h of held) h.abort()
    })
    let last = ''
    const saturated = await waitFor(
      async () => {
        const busy = await sumPools(survivors, 'busy')
        const conns = await ftp.controlConnections()
        leases = await liveLeases(SHARED_REDIS_URL, budgetKey)
        last = JSON.stringify({ busy, conns, leases })
        return busy === MAX_TOTAL && conns === MAX_TOTAL && leases === MAX_TOTAL
      },
      10_000,
      100,
    )
    for (const h of held) h.abort()
    console.info(
      `process-faults haproxy: dead leases gone ${expiredAfterMs} ms after the kill; saturated ${last}`,
    )
    expect(saturated, `survivors could not use the whole budget: ${last}`).toBe(true)
    await expectProcessBaseline(survivors, ftp, 'after the saturation')
    for (const g of survivors) expect((await request(`${g.url}/healthz`)).status).toBe(200)
    record({ cases: 1, filesCompared: ops.filter((o) => o.ok && o.op === 'get').length + versions.size })
  }, 120_000)
})
