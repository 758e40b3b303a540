/**
 * A bounded soak: mixed REST and WebDAV load through HAProxy to two gateway processes that share
 * Redis, in front of a real vsftpd. Every few seconds it samples each instance's RSS
 * (/proc/<pid>/status VmRSS), open descriptors (/proc/<pid>/fd) and pool gauges (/metrics
 * `ftpgw_pool_sessions`, `ftpgw_pool_sessions_busy`, `ftpgw_pool_waiting`), prints them, and at the
 * end asserts that they stay flat and that no request failed.
 *
 *   npm run soak                       10 minutes (default)
 *   npm run soak -- --minutes 30       any duration
 *   npm run soak -- --short            ~45 s, what scripts/test-faults.sh runs in CI
 *
 * Flatness: the least-squares slope of RSS over the second half of the run (the first half holds
 * warm-up: JIT, pools filling, V8 growing its heap to its working size). A leak of even 1 KiB per
 * request at this load (hundreds of requests/s) grows RSS by tens of MiB per minute, while a
 * healthy process only wobbles by its GC sawtooth (young generation semispaces of 16-32 MiB)
 * around a flat line. The threshold is 8 MiB/min on a full run, where 5+ minutes of samples
 * average the sawtooth out; the short run's ~20 s half cannot, so it gets 90 MiB/min (it still
 * catches a per-request leak of a few KiB, and it is what CI can afford). Descriptors must not
 * grow beyond the first half's peak plus a few, and pools stay within FTP_POOL_MAX.
 */
import { randomBytes } from 'node:crypto'
import { chown, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { record } from '../test/faults/support/counters.js'
import { testKeyPrefix } from '../test/helpers/gateway.js'
import { startHaproxy } from '../test/helpers/haproxy.js'
import { type ProcessGateway, spawnGateway } from '../test/helpers/process-gateway.js'
import { startVsftpd } from '../test/helpers/servers/index.js'

const args = process.argv.slice(2)
const short = args.includes('--short')
const minutesArg = args.indexOf('--minutes')
const durationMs = process.env.SOAK_MS
  ? Number(process.env.SOAK_MS)
  : short
    ? 45_000
    : Number(minutesArg >= 0 ? args[minutesArg + 1] : 10) * 60_000
const sampleEveryMs = short ? 2_000 : 5_000
const workers = 8
const poolMax = 4
const slopeLimitMiBPerMin = short ? 90 : 8

interface Sample {
  t: number
  rss: number[]
  fds: number[]
  pool: Array<{ sessions: number; busy: number; waiting: number }>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

async function poolGauges(url: string): Promise<Sample['pool'][number]> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text()
  const gauge = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)
  return {
    sessions: gauge('ftpgw_pool_sessions'),
    busy: gauge('ftpgw_pool_sessions_busy'),
    waiting: gauge('ftpgw_pool_waiting'),
  }
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my)
    den += (xs[i]! - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

async function main(): Promise<number> {
  const server = await startVsftpd()
  const small = randomBytes(16 * 1024)
  const medium = randomBytes(1024 * 1024)
  for (const [name, data] of [
    ['small.bin', small],
    ['medium.bin', medium],
  ] as const) {
    await writeFile(path.join(server.root, name), data)
    await chown(path.join(server.root, name), server.uid, server.gid)
  }
  const prefix = testKeyPrefix('soak')
  const env = {
    FTP_URL: `ftp://127.0.0.1:${server.port}`,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    SESSION_SECRET: 'soak-secret-'.padEnd(32, 'x'),
    FTP_POOL_MAX: String(poolMax),
    LOG_LEVEL: 'warn',
  }
  const instances: ProcessGateway[] = []
  let haproxy: Awaited<ReturnType<typeof startHaproxy>> | undefined
  try {
    instances.push(await spawnGateway({ env }), await spawnGateway({ env }))
    haproxy = await startHaproxy(instances.map((g) => g.port))
    const base = haproxy.url
    const auth = `Basic ${Buffer.from(`${server.user}:${server.password}`).toString('base64')}`
    let ok = 0
    let verified = 0
    const failures: string[] = []
    const deadline = Date.now() + durationMs
    const prev = new Map<number, Buffer>()

    const fail = (what: string, detail: string) => {
      if (failures.length < 20) failures.push(`${what}: ${detail}`)
      else failures.length++
    }
    const one = async (worker: number, i: number) => {
      const h = { authorization: auth }
      const kind = i % 6
      const signal = AbortSignal.timeout(30_000)
      if (kind === 0 || kind === 1) {
        const name = kind === 0 ? 'small.bin' : 'medium.bin'
        const r = await fetch(`${base}/api/v1/files/${name}`, { headers: h, signal })
        const body = Buffer.from(await r.arrayBuffer())
        if (r.status !== 200 || !body.equals(kind === 0 ? small : medium))
          return fail('GET', `${r.status} ${body.length}`)
        verified++
      } else if (kind === 2) {
        const data = randomBytes(8 * 1024 + i)
        const r = await fetch(`${base}/api/v1/files/w${worker}.bin`, {
          method: 'PUT',
          headers: h,
          body: data,
          signal,
        })
        if (r.status !== 201 && r.status !== 204) return fail('PUT', String(r.status))
        await r.arrayBuffer()
        const back = await fetch(`${base}/dav/w${worker}.bin`, { headers: h, signal })
        const body = Buffer.from(await back.arrayBuffer())
        if (back.status !== 200 || !body.equals(data)) {
          let at = 0
          while (at < body.length && body[at] === data[at]) at++
          return fail(
            'DAV GET after PUT',
            `${back.status} ${body.length}/${data.length} differs at ${at} prev=${prev.get(worker)?.equals(body)} ${back.headers.get('etag')} ${r.status}`,
          )
        }
        prev.set(worker, data)
        verified++
      } else if (kind === 3) {
        const r = await fetch(`${base}/api/v1/dirs/`, { headers: h, signal })
        const j = (await r.json()) as { entries?: unknown[] }
        if (r.status !== 200 || !Array.isArray(j.entries)) return fail('LIST', String(r.status))
      } else if (kind === 4) {
        const r = await fetch(`${base}/dav/`, { method: 'PROPFIND', headers: { ...h, depth: '1' }, signal })
        const text = await r.text()
        if (r.status !== 207 || !text.includes('small.bin')) return fail('PROPFIND', String(r.status))
      } else {
        const data = randomBytes(4096)
        const r = await fetch(`${base}/dav/d${worker}.bin`, { method: 'PUT', headers: h, body: data, signal })
        await r.arrayBuffer()
        if (r.status !== 201 && r.status !== 204) return fail('DAV PUT', String(r.status))
        const st = await fetch(`${base}/api/v1/stat/d${worker}.bin`, { headers: h, signal })
        const j = (await st.json()) as { size?: number }
        if (st.status !== 200 || j.size !== 4096) return fail('stat after DAV PUT', `${st.status} ${j.size}`)
      }
      ok++
    }
    const loops = Array.from({ length: workers }, async (_, w) => {
      for (let i = w; Date.now() < deadline; i++) {
        await one(w, i).catch((err: Error) => fail('request', err.message))
      }
    })

    const samples: Sample[] = []
    const started = Date.now()
    const sampler = (async () => {
      while (Date.now() < deadline) {
        const s: Sample = { t: (Date.now() - started) / 1000, rss: [], fds: [], pool: [] }
        for (const g of instances) {
          s.rss.push(await rssMiB(g.pid))
          s.fds.push((await readdir(`/proc/${g.pid}/fd`)).length)
          s.pool.push(await poolGauges(g.url))
        }
        samples.push(s)
        console.info(
          `t=${s.t.toFixed(0).padStart(4)}s ok=${ok} failed=${failures.length} ` +
            instances
              .map(
                (_, k) =>
                  `gw${k}: rss ${s.rss[k]!.toFixed(1)} MiB fds ${s.fds[k]} pool ${s.pool[k]!.sessions}/${s.pool[k]!.busy}b/${s.pool[k]!.waiting}w`,
              )
              .join('  '),
        )
        await sleep(sampleEveryMs)
      }
    })()
    await Promise.all([...loops, sampler])

    const second = samples.slice(Math.floor(samples.length / 2))
    const first = samples.slice(0, Math.floor(samples.length / 2))
    const problems: string[] = []
    const lines: string[] = []
    instances.forEach((_, k) => {
      const perMin =
        slope(
          second.map((s) => s.t),
          second.map((s) => s.rss[k]!),
        ) * 60
      const fdPeakFirst = Math.max(...first.map((s) => s.fds[k]!))
      const fdPeakSecond = Math.max(...second.map((s) => s.fds[k]!))
      const poolPeak = Math.max(...samples.map((s) => s.pool[k]!.sessions))
      lines.push(
        `gw${k}: rss ${samples[0]!.rss[k]!.toFixed(1)} → ${samples.at(-1)!.rss[k]!.toFixed(1)} MiB, second-half slope ${perMin.toFixed(2)} MiB/min (limit ${slopeLimitMiBPerMin}); fds peak ${fdPeakFirst} → ${fdPeakSecond}; pool peak ${poolPeak} (max ${poolMax})`,
      )
      if (perMin > slopeLimitMiBPerMin) problems.push(`gw${k} RSS grows ${perMin.toFixed(2)} MiB/min`)
      if (fdPeakSecond > fdPeakFirst + 8)
        problems.push(`gw${k} descriptors grow ${fdPeakFirst} → ${fdPeakSecond}`)
      if (poolPeak > poolMax) problems.push(`gw${k} pool ${poolPeak} > ${poolMax}`)
    })
    if (failures.length > 0)
      problems.push(`${failures.length} failed requests: ${failures.slice(0, 5).join('; ')}`)
    const secs = (Date.now() - started) / 1000
    console.info(
      `\nsoak: ${secs.toFixed(0)} s, ${ok} requests ok (${(ok / secs).toFixed(0)}/s), ${failures.length} failed, ${samples.length} samples`,
    )
    for (const l of lines) console.info(`soak: ${l}`)
    record({ cases: 1, filesCompared: verified })
    if (problems.length > 0) {
      console.error(`soak FAILED:\n  ${problems.join('\n  ')}`)
      return 1
    }
    console.info('soak: flat and error-free')
    return 0
  } finally {
    await haproxy?.stop()
    for (const g of instances) await g.stop()
    await server.stop()
    const { deleteRedisKeys } = await import('../test/helpers/gateway.js')
    await deleteRedisKeys(env.REDIS_URL, prefix)
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
