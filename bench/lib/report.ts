/**
 * Benchmark settings, the files it prepares in the FTP root, and how raw results become the table
 * and the targets (ratios of medians measured in the same run).
 */
import { randomBytes } from 'node:crypto'
import { chownSync, closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import path from 'node:path'
import type { FtpServerHandle } from '../../test/helpers/servers/index.js'
import type { BenchFiles, CaseSettings, Results } from './cases.js'
import { fmt, gbps, markdownTable, median, type Target } from './stats.js'

/** Everything the run was configured with (also written into the JSON). */
export interface Settings extends CaseSettings {
  short: boolean
  sizeMiB: number
  listEntries: number
  poolMax: number
  poolMaxTotal: number
}

function sparse(file: string, bytes: number): void {
  const fd = openSync(file, 'w')
  ftruncateSync(fd, bytes)
  closeSync(fd)
}

/** Writes `bytes` of real data (a random MiB over and over): no holes for the kernel to shortcut. */
function filled(file: string, bytes: number): void {
  const block = randomBytes(1024 * 1024)
  const fd = openSync(file, 'w')
  try {
    for (let done = 0; done < bytes; done += block.length)
      writeSync(fd, block, 0, Math.min(block.length, bytes - done))
  } finally {
    closeSync(fd)
  }
}

/**
 * Writes big.bin (real bytes, in memory with the rest of the server's files when they live on
 * tmpfs; a sparse file let curl read holes at 4 GB/s, faster than any real file), small.bin (1 KiB), one directory of `listEntries` empty files per repetition, and the
 * upload source outside the FTP root.
 */
export function prepareFiles(srv: FtpServerHandle, work: string, s: Settings): BenchFiles {
  const bytes = s.sizeMiB * 1024 * 1024
  const own = (p: string) => chownSync(p, srv.uid, srv.gid)
  filled(path.join(srv.root, 'big.bin'), bytes)
  own(path.join(srv.root, 'big.bin'))
  writeFileSync(path.join(srv.root, 'small.bin'), randomBytes(1024))
  own(path.join(srv.root, 'small.bin'))
  const listDirs: string[] = []
  for (let i = 0; i < s.runs; i++) {
    const dir = `list-${i}`
    const abs = path.join(srv.root, dir)
    mkdirSync(abs)
    own(abs)
    for (let k = 0; k < s.listEntries; k++)
      closeSync(openSync(path.join(abs, `entry-${String(k).padStart(5, '0')}.txt`), 'w'))
    listDirs.push(dir)
  }
  const uploadSource = path.join(work, 'upload.bin')
  sparse(uploadSource, bytes)
  return { bytes, uploadSource, listDirs }
}

const rate = (bytes: number, runs: number[] | undefined) => (runs ? gbps(bytes, median(runs)) : Number.NaN)
const rps = (r: Results, level: number, who: 'gateway' | 'rclone') =>
  median(r.rps?.[String(level)]?.[who].map((x) => x.requestsPerSec) ?? [])
const rpsErrors = (r: Results, level: number, who: 'gateway' | 'rclone') =>
  r.rps?.[String(level)]?.[who].reduce((a, x) => a + x.errors, 0) ?? Number.NaN
/**
 * Median p99 and the longest request over all runs of a level as wrk saw them, and for the gateway
 * the bucket its own histogram put the slowest of them in: "p99 41 ms, max 0.60 s (own histogram:
 * all ≤ 0.1 s)".
 */
const rpsTail = (r: Results, level: number, who: 'gateway' | 'rclone'): string => {
  const runs = r.rps?.[String(level)]?.[who] ?? []
  const p99 = median(runs.map((x) => x.p99Ms))
  const max = Math.max(...runs.map((x) => x.maxMs))
  const tail = `p99 ${p99.toFixed(0)} ms, max ${(max / 1000).toFixed(2)} s`
  const server = Math.max(...runs.map((x) => x.server?.withinS ?? Number.NaN))
  return Number.isNaN(server) ? tail : `${tail} (own histogram: all ≤ ${server} s)`
}

/** The targets, evaluated on medians of this run. */
export function buildTargets(r: Results): Target[] {
  const t: Target[] = []
  const g = r.get
  const get = rate(r.bytes, g?.gateway)
  t.push({
    name: 'GET gateway / rclone serve http',
    value: get / rate(r.bytes, g?.rclone),
    op: '>=',
    limit: 1.3,
    unit: 'ratio',
  })
  t.push({
    name: 'GET gateway / curl from vsftpd',
    value: get / rate(r.bytes, g?.ftp),
    op: '>=',
    limit: 0.6,
    unit: 'ratio',
  })
  const p = r.put
  const put = rate(r.bytes, p?.gateway)
  t.push({
    name: 'PUT gateway / rclone serve webdav',
    value: put / rate(r.bytes, p?.rclone),
    op: '>=',
    limit: 1.0,
    unit: 'ratio',
  })
  t.push({
    name: 'PUT gateway / curl FTP upload',
    value: put / rate(r.bytes, p?.ftp),
    op: '>=',
    limit: 0.6,
    unit: 'ratio',
  })
  for (const level of [16, 64, 256]) {
    t.push({
      name: `1 KiB GETs at ${level}: gateway / rclone req/s`,
      value: rps(r, level, 'gateway') / rps(r, level, 'rclone'),
      op: '>=',
      limit: 1.5,
      unit: 'ratio',
    })
    t.push({
      name: `1 KiB GETs at ${level}: gateway errors`,
      value: rpsErrors(r, level, 'gateway'),
      op: '<=',
      limit: 0,
      unit: 'errors',
    })
  }
  const pf = r.propfind
  t.push({
    name: 'PROPFIND cold: gateway / rclone time',
    value: median(pf?.gatewayCold ?? []) / median(pf?.rcloneCold ?? []),
    op: '<=',
    limit: 1.0,
    unit: 'ratio',
  })
  t.push({
    name: 'PROPFIND warm: gateway / rclone time',
    value: median(pf?.gatewayWarm ?? []) / median(pf?.rcloneWarm ?? []),
    op: '<=',
    limit: 0.5,
    unit: 'ratio',
  })
  t.push({
    name: 'memory: gateway peak RSS, 8 × 2 MB/s readers',
    value: r.memory?.gatewayPeakMiB ?? Number.NaN,
    op: '<=',
    limit: 150,
    unit: 'MiB',
  })
  t.push({
    name: 'TTFB of a 1 GiB GET, warm pool (median)',
    value: median(r.ttfb?.gateway ?? []),
    op: '<=',
    limit: 5,
    unit: 'ms',
  })
  return t
}

/** The results as one Markdown table: case, gateway, peers, ratio. */
export function caseTable(r: Results, s: Settings): string {
  const size = s.sizeMiB >= 1024 ? `${s.sizeMiB / 1024} GiB` : `${s.sizeMiB} MiB`
  const gb = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} GB/s` : 'n/a')
  const rows: string[][] = [
    ['case', 'ftp-gateway', 'rclone', 'curl ↔ vsftpd', 'gateway / rclone', 'gateway / curl'],
  ]
  const ratio = (a: number, b: number) => fmt(a / b, 'ratio')
  if (r.get) {
    const [gw, rc, ftp] = [
      rate(r.bytes, r.get.gateway),
      rate(r.bytes, r.get.rclone),
      rate(r.bytes, r.get.ftp),
    ]
    rows.push([`${size} GET (rclone serve http)`, gb(gw), gb(rc), gb(ftp), ratio(gw, rc), ratio(gw, ftp)])
  }
  if (r.put) {
    const [gw, rc, ftp] = [
      rate(r.bytes, r.put.gateway),
      rate(r.bytes, r.put.rclone),
      rate(r.bytes, r.put.ftp),
    ]
    rows.push([`${size} PUT (rclone serve webdav)`, gb(gw), gb(rc), gb(ftp), ratio(gw, rc), ratio(gw, ftp)])
  }
  for (const level of s.levels) {
    if (!r.rps?.[String(level)]) continue
    const [gw, rc] = [rps(r, level, 'gateway'), rps(r, level, 'rclone')]
    const errs = (who: 'gateway' | 'rclone') => rpsErrors(r, level, who)
    rows.push([
      `1 KiB GETs, ${level} connections`,
      `${gw.toFixed(0)} req/s, ${errs('gateway')} errors, ${rpsTail(r, level, 'gateway')}`,
      `${rc.toFixed(0)} req/s, ${errs('rclone')} errors, ${rpsTail(r, level, 'rclone')}`,
      '',
      ratio(gw, rc),
      '',
    ])
  }
  if (r.cross) {
    const [gw, rc, ftp] = [
      rate(r.bytes, r.cross.gateway),
      rate(r.bytes, r.cross.rclone),
      rate(r.bytes, r.cross.curl),
    ]
    rows.push([
      `${size} copy vsftpd → Pure-FTPd (rclone copyto; curl down then up)`,
      gb(gw),
      gb(rc),
      gb(ftp),
      ratio(gw, rc),
      ratio(gw, ftp),
    ])
  }
  if (r.propfind) {
    const pf = r.propfind
    const ms = (xs: number[]) => fmt(median(xs), 'ms')
    rows.push([
      `PROPFIND Depth 1, ${s.listEntries} entries, cold`,
      ms(pf.gatewayCold),
      ms(pf.rcloneCold),
      '',
      ratio(median(pf.gatewayCold), median(pf.rcloneCold)),
      '',
    ])
    rows.push([
      `PROPFIND Depth 1, ${s.listEntries} entries, warm`,
      ms(pf.gatewayWarm),
      ms(pf.rcloneWarm),
      '',
      ratio(median(pf.gatewayWarm), median(pf.rcloneWarm)),
      '',
    ])
  }
  if (r.rpsPeakMiB) {
    const { gateway, rclone } = r.rpsPeakMiB
    rows.push([
      'peak RSS during the 1 KiB GETs',
      fmt(gateway, 'MiB'),
      fmt(rclone, 'MiB'),
      '',
      ratio(gateway, rclone),
      '',
    ])
  }
  if (r.memory) {
    rows.push([
      `RSS before the slow readers (settled)`,
      fmt(r.memory.gatewayStartMiB, 'MiB'),
      fmt(r.memory.rcloneStartMiB, 'MiB'),
      '',
      ratio(r.memory.gatewayStartMiB, r.memory.rcloneStartMiB),
      '',
    ])
    rows.push([
      `peak RSS, ${s.memoryReaders} × ${size} GETs read at 2 MB/s`,
      fmt(r.memory.gatewayPeakMiB, 'MiB'),
      fmt(r.memory.rclonePeakMiB, 'MiB'),
      '',
      ratio(r.memory.gatewayPeakMiB, r.memory.rclonePeakMiB),
      '',
    ])
  }
  if (r.ttfb) {
    const [gw, rc] = [median(r.ttfb.gateway), median(r.ttfb.rclone)]
    rows.push([`time to first byte, ${size} GET, warm`, fmt(gw, 'ms'), fmt(rc, 'ms'), '', ratio(gw, rc), ''])
  }
  return markdownTable(rows)
}
