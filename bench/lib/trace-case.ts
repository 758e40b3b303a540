/**
 * The `trace` case (`npm run bench -- --only trace`): what OpenTelemetry tracing costs. The same
 * compiled gateway runs twice over the same vsftpd, once as shipped (tracing off: no SDK loaded)
 * and once with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a sink in this process that accepts every
 * OTLP/HTTP export (so the exporter's serialisation and POSTs are paid, a collector's work is not).
 * 1 KiB GETs under wrk (the per-request cost: five to eight spans each) and one large GET (a
 * transfer makes no more spans than a small one, so its cost should vanish) alternate between them.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { curlGet, type Endpoint, wrk } from './clients.js'
import { type Child, cpuMs, sleep } from './procs.js'
import { median, type WrkResult } from './stats.js'

/** Raw numbers of the trace case. */
export interface TraceResults {
  rpsOff: number[]
  rpsOn: number[]
  /** Gateway CPU per 1 KiB GET, microseconds. */
  cpuUsPerRequestOff: number[]
  cpuUsPerRequestOn: number[]
  getMsOff: number[]
  getMsOn: number[]
  /** OTLP requests and bytes the sink received from the traced gateway. */
  exports: { requests: number; bytes: number }
}

/** A stand-in OTLP/HTTP collector: 200 to every POST, counting what arrives. */
export async function startOtlpSink(): Promise<{
  url: string
  stats: TraceResults['exports']
  close(): Promise<void>
}> {
  const stats = { requests: 0, bytes: 0 }
  const server = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      stats.bytes += c.length
    })
    req.on('end', () => {
      stats.requests++
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** Settings the case uses. */
export interface TraceCaseSettings {
  runs: number
  transferRuns: number
  wrkSeconds: number
}

/** Runs the case against the untraced `off` and the traced `on` gateway (same upstream, same files). */
export async function runTraceCase(
  off: Child,
  on: Child,
  auth: string,
  bytes: number,
  sink: { stats: TraceResults['exports'] },
  s: TraceCaseSettings,
  alternate: (rep: number, fns: (() => Promise<void>)[]) => Promise<void>,
  log: (m: string) => void,
): Promise<TraceResults> {
  const url = (c: Child, p: string): Endpoint => ({ url: `http://127.0.0.1:${c.port}${p}`, auth })
  const r: TraceResults = {
    rpsOff: [],
    rpsOn: [],
    cpuUsPerRequestOff: [],
    cpuUsPerRequestOn: [],
    getMsOff: [],
    getMsOn: [],
    exports: sink.stats,
  }
  const small = async (c: Child, rps: number[], cpu: number[]) => {
    const cpu0 = cpuMs(c.pid)
    const run: WrkResult = await wrk(url(c, '/api/v1/files/small.bin'), 16, s.wrkSeconds)
    const requests = run.requestsPerSec * s.wrkSeconds
    rps.push(run.requestsPerSec)
    cpu.push(((cpuMs(c.pid) - cpu0) * 1000) / Math.max(1, requests))
    await sleep(500)
  }
  // Warm-up: pools, JIT, the exporter's first batch.
  await wrk(url(off, '/api/v1/files/small.bin'), 16, 1)
  await wrk(url(on, '/api/v1/files/small.bin'), 16, 1)
  for (let i = 0; i < s.runs; i++) {
    await alternate(i, [
      () => small(off, r.rpsOff, r.cpuUsPerRequestOff),
      () => small(on, r.rpsOn, r.cpuUsPerRequestOn),
    ])
  }
  const timeout = Math.round(Math.max(60_000, (bytes / 1e7) * 1000))
  for (let i = 0; i < s.transferRuns; i++) {
    await alternate(i, [
      async () => void r.getMsOff.push(await curlGet(url(off, '/api/v1/files/big.bin'), bytes, timeout)),
      async () => void r.getMsOn.push(await curlGet(url(on, '/api/v1/files/big.bin'), bytes, timeout)),
    ])
  }
  const m = (xs: number[]) => median(xs)
  log(
    `trace: 1 KiB GETs at 16 ${m(r.rpsOff).toFixed(0)} req/s off, ${m(r.rpsOn).toFixed(0)} on ` +
      `(${((m(r.rpsOn) / m(r.rpsOff) - 1) * 100).toFixed(1)}%); gateway CPU per request ` +
      `${m(r.cpuUsPerRequestOff).toFixed(0)} µs off, ${m(r.cpuUsPerRequestOn).toFixed(0)} µs on; ` +
      `${(bytes / 2 ** 20).toFixed(0)} MiB GET ${m(r.getMsOff).toFixed(0)} ms off, ${m(r.getMsOn).toFixed(0)} ms on; ` +
      `exported ${r.exports.requests} OTLP requests, ${(r.exports.bytes / 2 ** 20).toFixed(1)} MiB`,
  )
  return r
}
