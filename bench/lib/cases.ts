/**
 * The benchmark cases. Each alternates between the peers (and flips the order every repetition) so
 * no peer always runs on a warmer or colder machine, and returns raw per-run numbers; report.ts
 * turns them into medians, ratios and targets.
 */
import { rmSync } from 'node:fs'
import path from 'node:path'
import type { FtpServerHandle } from '../../test/helpers/servers/index.js'
import {
  curlGet,
  curlPut,
  type Endpoint,
  propfind,
  throttledReaders,
  timeToFirstByte,
  wrk,
} from './clients.js'
import type { CrossResults } from './cross-case.js'
import { type Child, cpuMs, peakRssBytes, resetPeakRss, rssBytes, settleRss, sleep } from './procs.js'
import { type HistogramCounts, histogramCounts, median, slowestBucket, type WrkResult } from './stats.js'
import type { TraceResults } from './trace-case.js'

/** The files prepared in the FTP root. */
export interface BenchFiles {
  bytes: number
  /** Local sparse file of `bytes` that uploads read from (outside the FTP root). */
  uploadSource: string
  /** Directories of `listEntries` entries, one per repetition (each listed cold exactly once). */
  listDirs: string[]
}

/** Everything the cases run against. */
export interface Peers {
  srv: FtpServerHandle
  gw: Child
  rcloneHttp: Child
  rcloneDav: Child
  files: BenchFiles
}

/** What the cases need from the settings. */
export interface CaseSettings {
  runs: number
  /**
   * Repetitions of the 1 GiB GET and PUT. More than the other cases: a single upload through any
   * peer varied by ±15% on these machines (rclone 940–1,900 ms), and a median of five still
   * moved the PUT ratio by ~0.1 from one run to the next.
   */
  transferRuns: number
  wrkSeconds: number
  levels: number[]
  warmPropfinds: number
  memorySeconds: number
  memoryReaders: number
  ttfbRuns: number
  only: string[]
}

/** Raw results; ms unless named otherwise. */
export interface Results {
  bytes: number
  get?: { gateway: number[]; rclone: number[]; ftp: number[]; gatewayCpuMs: number[] }
  put?: { gateway: number[]; rclone: number[]; ftp: number[]; gatewayCpuMs: number[] }
  rps?: Record<string, { gateway: WrkResult[]; rclone: WrkResult[] }>
  propfind?: { gatewayCold: number[]; rcloneCold: number[]; gatewayWarm: number[]; rcloneWarm: number[] }
  memory?: {
    gatewayPeakMiB: number
    rclonePeakMiB: number
    /** RSS when the case started, after both peers had settled. */
    gatewayStartMiB: number
    rcloneStartMiB: number
    gatewayBytes: number[]
    rcloneBytes: number[]
  }
  /** Peak RSS while the 1 KiB GETs ran (reported, no target). */
  rpsPeakMiB?: { gateway: number; rclone: number }
  ttfb?: { gateway: number[]; rclone: number[] }
  /** Tracing off vs on (bench/lib/trace-case.ts). */
  trace?: TraceResults
  /** big.bin copied from vsftpd to Pure-FTPd (bench/lib/cross-case.ts). */
  cross?: CrossResults
}

const http = (c: Child, p: string) => `http://127.0.0.1:${c.port}${p}`

/** The gateway's own request-duration histogram for downloads (its /metrics). */
async function gatewayHistogram(gw: Child): Promise<HistogramCounts> {
  const text = await (await fetch(http(gw, '/metrics'))).text()
  return histogramCounts(text, 'ftpgw_http_request_duration_seconds', 'route="/api/v1/files/*"')
}

/** Runs `fns` in order on even repetitions and reversed on odd ones. */
export async function alternate(rep: number, fns: (() => Promise<void>)[]): Promise<void> {
  const order = rep % 2 === 0 ? fns : [...fns].reverse()
  for (const fn of order) await fn()
}

/** Runs the selected cases. */
export async function runCases(p: Peers, s: CaseSettings, log: (m: string) => void): Promise<Results> {
  const auth = `${p.srv.user}:${p.srv.password}`
  const ftp = (name: string): Endpoint => ({ url: `ftp://${p.srv.host}:${p.srv.port}/${name}`, auth })
  const results: Results = { bytes: p.files.bytes }
  const bytes = p.files.bytes
  // A 1 GiB transfer takes about a second; a stuck one gets a minute, then the run fails.
  const xferTimeout = Math.round(Math.max(60_000, (bytes / 1e7) * 1000))
  const gwBig: Endpoint = { url: http(p.gw, '/api/v1/files/big.bin'), auth }
  const rcBig: Endpoint = { url: http(p.rcloneHttp, '/big.bin'), auth }

  if (s.only.includes('get')) {
    const r = {
      gateway: [] as number[],
      rclone: [] as number[],
      ftp: [] as number[],
      gatewayCpuMs: [] as number[],
    }
    // Warm-up: page cache, the gateway's pool, rclone's FTP connection and directory cache.
    await curlGet(gwBig, bytes, xferTimeout)
    await curlGet(rcBig, bytes, xferTimeout)
    for (let i = 0; i < s.transferRuns; i++) {
      await alternate(i, [
        async () => {
          const cpu0 = cpuMs(p.gw.pid)
          r.gateway.push(await curlGet(gwBig, bytes, xferTimeout))
          r.gatewayCpuMs.push(cpuMs(p.gw.pid) - cpu0)
        },
        async () => void r.rclone.push(await curlGet(rcBig, bytes, xferTimeout)),
        async () => void r.ftp.push(await curlGet(ftp('big.bin'), bytes, xferTimeout)),
      ])
    }
    log(`GET: gateway ${fmtMs(r.gateway)}, rclone ${fmtMs(r.rclone)}, ftp ${fmtMs(r.ftp)}`)
    results.get = r
  }

  if (s.only.includes('put')) {
    const r = {
      gateway: [] as number[],
      rclone: [] as number[],
      ftp: [] as number[],
      gatewayCpuMs: [] as number[],
    }
    const src = p.files.uploadSource
    // Each upload is removed at once: dirty pages of deleted files are never written back, so
    // earlier uploads do not slow later ones down with disk writeback.
    const drop = (name: string) => rmSync(path.join(p.srv.root, name), { force: true })
    // One unmeasured upload each first: the first read of the source (and the first large body a
    // process sees) cost whoever went first ~2 s more in every run.
    await curlPut({ url: http(p.gw, '/api/v1/files/up-gw.bin'), auth }, src, bytes, xferTimeout)
    await curlPut({ url: http(p.rcloneDav, '/up-rc.bin'), auth }, src, bytes, xferTimeout)
    await curlPut(ftp('up-ftp.bin'), src, bytes, xferTimeout)
    for (const name of ['up-gw.bin', 'up-rc.bin', 'up-ftp.bin']) drop(name)
    for (let i = 0; i < s.transferRuns; i++) {
      await alternate(i, [
        async () => {
          const cpu0 = cpuMs(p.gw.pid)
          r.gateway.push(
            await curlPut({ url: http(p.gw, '/api/v1/files/up-gw.bin'), auth }, src, bytes, xferTimeout),
          )
          r.gatewayCpuMs.push(cpuMs(p.gw.pid) - cpu0)
          drop('up-gw.bin')
        },
        async () => {
          r.rclone.push(
            await curlPut({ url: http(p.rcloneDav, '/up-rc.bin'), auth }, src, bytes, xferTimeout),
          )
          drop('up-rc.bin')
        },
        async () => {
          r.ftp.push(await curlPut(ftp('up-ftp.bin'), src, bytes, xferTimeout))
          drop('up-ftp.bin')
        },
      ])
    }
    log(`PUT: gateway ${fmtMs(r.gateway)}, rclone ${fmtMs(r.rclone)}, ftp ${fmtMs(r.ftp)}`)
    results.put = r
  }

  if (s.only.includes('rps')) {
    const gwSmall: Endpoint = { url: http(p.gw, '/api/v1/files/small.bin'), auth }
    const rcSmall: Endpoint = { url: http(p.rcloneHttp, '/small.bin'), auth }
    await wrk(gwSmall, 16, 1)
    await wrk(rcSmall, 16, 1)
    resetPeakRss(p.gw.pid)
    resetPeakRss(p.rcloneHttp.pid)
    const rps: NonNullable<Results['rps']> = {}
    for (const level of s.levels) {
      const r = { gateway: [] as WrkResult[], rclone: [] as WrkResult[] }
      for (let i = 0; i < s.runs; i++) {
        await alternate(i, [
          async () => {
            const before = await gatewayHistogram(p.gw)
            const run = await wrk(gwSmall, level, s.wrkSeconds)
            r.gateway.push({ ...run, server: slowestBucket(before, await gatewayHistogram(p.gw)) })
            await sleep(500)
          },
          async () => {
            r.rclone.push(await wrk(rcSmall, level, s.wrkSeconds))
            await sleep(500)
          },
        ])
      }
      const rate = (xs: WrkResult[]) => median(xs.map((x) => x.requestsPerSec)).toFixed(0)
      const errs = (xs: WrkResult[]) => xs.reduce((a, x) => a + x.errors, 0)
      const longest = (xs: WrkResult[]) => `longest ${Math.max(...xs.map((x) => x.maxMs)).toFixed(0)} ms`
      const within = Math.max(...r.gateway.map((x) => x.server?.withinS ?? Number.NaN))
      log(
        `1 KiB GETs at ${level}: gateway ${rate(r.gateway)} req/s (${errs(r.gateway)} errors, ${longest(r.gateway)}; by its own histogram every request within ${within} s), rclone ${rate(r.rclone)} req/s (${errs(r.rclone)} errors, ${longest(r.rclone)})`,
      )
      rps[String(level)] = r
    }
    results.rps = rps
    results.rpsPeakMiB = { gateway: mib(peakRssBytes(p.gw.pid)), rclone: mib(peakRssBytes(p.rcloneHttp.pid)) }
    log(
      `1 KiB GETs: peak RSS gateway ${results.rpsPeakMiB.gateway.toFixed(0)} MiB, rclone ${results.rpsPeakMiB.rclone.toFixed(0)} MiB`,
    )
  }

  if (s.only.includes('propfind')) {
    const r = {
      gatewayCold: [] as number[],
      rcloneCold: [] as number[],
      gatewayWarm: [] as number[],
      rcloneWarm: [] as number[],
    }
    const timeout = 30_000
    for (let i = 0; i < Math.min(s.runs, p.files.listDirs.length); i++) {
      const dir = p.files.listDirs[i]!
      const gwDav: Endpoint = { url: http(p.gw, `/dav/${dir}/`), auth }
      const rcDav: Endpoint = { url: http(p.rcloneDav, `/${dir}/`), auth }
      const measure = async (ep: Endpoint, cold: number[], warm: number[]) => {
        cold.push((await propfind(ep, timeout)).ms)
        const w: number[] = []
        for (let k = 0; k < s.warmPropfinds; k++) w.push((await propfind(ep, timeout)).ms)
        warm.push(median(w))
      }
      await alternate(i, [
        () => measure(gwDav, r.gatewayCold, r.gatewayWarm),
        () => measure(rcDav, r.rcloneCold, r.rcloneWarm),
      ])
    }
    log(
      `PROPFIND: gateway cold ${fmtMs(r.gatewayCold)} warm ${fmtMs(r.gatewayWarm)}; rclone cold ${fmtMs(r.rcloneCold)} warm ${fmtMs(r.rcloneWarm)}`,
    )
    results.propfind = r
  }

  if (s.only.includes('memory')) {
    // The case measures what eight slow downloads cost, not what the 256-connection case left for
    // the garbage collectors: both peers first settle (the start RSS is reported beside the peak).
    const settled = await settleRss([p.gw.pid, p.rcloneHttp.pid])
    const [gwStart, rcStart] = settled.rss.map(mib) as [number, number]
    log(
      `memory: settled after ${(settled.ms / 1000).toFixed(1)} s at gateway ${gwStart.toFixed(0)} MiB, rclone ${rcStart.toFixed(0)} MiB`,
    )
    // Both peers at once: sixteen readers at 2 MB/s cost little CPU, and it halves the wall time.
    resetPeakRss(p.gw.pid)
    resetPeakRss(p.rcloneHttp.pid)
    let gwPeak = rssBytes(p.gw.pid)
    let rcPeak = rssBytes(p.rcloneHttp.pid)
    const sampler = setInterval(() => {
      gwPeak = Math.max(gwPeak, rssBytes(p.gw.pid))
      rcPeak = Math.max(rcPeak, rssBytes(p.rcloneHttp.pid))
    }, 100)
    const [gwBytes, rcBytes] = await Promise.all([
      throttledReaders(gwBig, s.memoryReaders, '2M', s.memorySeconds),
      throttledReaders(rcBig, s.memoryReaders, '2M', s.memorySeconds),
    ]).finally(() => clearInterval(sampler))
    const gwMiB = mib(Math.max(gwPeak, peakRssBytes(p.gw.pid)))
    const rcMiB = mib(Math.max(rcPeak, peakRssBytes(p.rcloneHttp.pid)))
    log(`memory: gateway peak ${gwMiB.toFixed(0)} MiB, rclone ${rcMiB.toFixed(0)} MiB`)
    results.memory = {
      gatewayPeakMiB: gwMiB,
      rclonePeakMiB: rcMiB,
      gatewayStartMiB: gwStart,
      rcloneStartMiB: rcStart,
      gatewayBytes: gwBytes,
      rcloneBytes: rcBytes,
    }
    // Let both peers finish aborting the abandoned transfers before the next case.
    await sleep(1000)
  }

  if (s.only.includes('ttfb')) {
    const r = { gateway: [] as number[], rclone: [] as number[] }
    // Warm: the pool has sessions and the file's metadata is known, as in steady use.
    await timeToFirstByte('127.0.0.1', p.gw.port, '/api/v1/files/big.bin', auth)
    await timeToFirstByte('127.0.0.1', p.rcloneHttp.port, '/big.bin', auth)
    for (let i = 0; i < s.ttfbRuns; i++) {
      await sleep(100)
      await alternate(i, [
        async () =>
          void r.gateway.push(await timeToFirstByte('127.0.0.1', p.gw.port, '/api/v1/files/big.bin', auth)),
        async () =>
          void r.rclone.push(await timeToFirstByte('127.0.0.1', p.rcloneHttp.port, '/big.bin', auth)),
      ])
    }
    log(`TTFB: gateway ${fmtMs(r.gateway, 2)}, rclone ${fmtMs(r.rclone, 2)}`)
    results.ttfb = r
  }
  return results
}

const mib = (bytes: number) => bytes / 1024 / 1024

function fmtMs(xs: number[], digits = 0): string {
  return `median ${median(xs).toFixed(digits)} ms of [${xs.map((x) => x.toFixed(digits)).join(', ')}]`
}
