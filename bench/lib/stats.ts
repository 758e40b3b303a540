/**
 * Pure helpers of the benchmark: medians, parsing wrk's and curl's output, target checks and the
 * Markdown table. Kept free of I/O so test/unit/bench can pin them down.
 */

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** What one wrk run reports. */
export interface WrkResult {
  requestsPerSec: number
  requests: number
  /** Socket errors (connect, read, write, timeout) plus non-2xx/3xx responses. */
  errors: number
  errorDetail: { connect: number; read: number; write: number; timeout: number; non2xx: number }
  /** 99th percentile and longest latency, ms (NaN when wrk ran without `--latency`). */
  p99Ms: number
  maxMs: number
  /** The gateway's own view of the same requests (its /metrics), when known. */
  server?: { withinS: number; requests: number }
}

/** wrk's durations ("812.00us", "6.52ms", "1.21s", "2.00m") in ms. */
export function wrkDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim())
  if (!m) return Number.NaN
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm']
  return Number(m[1]) * scale
}

/** Parses wrk's text report. Throws when the requests/s line is missing (wrk failed). */
export function parseWrk(text: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text)
  if (!rps) throw new Error(`wrk printed no Requests/sec line:\n${text}`)
  const total = /(\d+) requests in/.exec(text)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text)
  const detail = {
    connect: Number(sock?.[1] ?? 0),
    read: Number(sock?.[2] ?? 0),
    write: Number(sock?.[3] ?? 0),
    timeout: Number(sock?.[4] ?? 0),
    non2xx: Number(non2xx?.[1] ?? 0),
  }
  const latency = /Latency\s+(\S+)\s+(\S+)\s+(\S+)/.exec(text)
  const p99 = /^\s*99%\s+(\S+)/m.exec(text)
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total?.[1] ?? 0),
    errors: detail.connect + detail.read + detail.write + detail.timeout + detail.non2xx,
    errorDetail: detail,
    p99Ms: p99 ? wrkDurationMs(p99[1]!) : Number.NaN,
    maxMs: latency ? wrkDurationMs(latency[3]!) : Number.NaN,
  }
}

/** Parses curl's `-w` output of space-separated numbers, checking how many came back. */
export function parseCurlNumbers(text: string, count: number): number[] {
  const parts = text.trim().split(/\s+/).map(Number)
  if (parts.length !== count || parts.some((n) => !Number.isFinite(n)))
    throw new Error(`unexpected curl -w output: ${JSON.stringify(text)}`)
  return parts
}

/** Throughput in GB/s (10^9 bytes per second). */
export const gbps = (bytes: number, ms: number): number => bytes / (ms / 1000) / 1e9

/** One target: `value` compared with `limit` in the given direction. */
export interface Target {
  name: string
  value: number
  op: '>=' | '<='
  limit: number
  /** How the value is shown (e.g. "1.42×", "98 MiB"). */
  unit: 'ratio' | 'MiB' | 'ms' | 'errors'
}

/** Whether a target holds. NaN (not measured) never holds. */
export function holds(t: Target): boolean {
  if (!Number.isFinite(t.value)) return false
  return t.op === '>=' ? t.value >= t.limit : t.value <= t.limit
}

/** A value as the table shows it. */
export function fmt(value: number, unit: Target['unit']): string {
  if (!Number.isFinite(value)) return 'n/a'
  switch (unit) {
    case 'ratio':
      return `${value.toFixed(2)}×`
    case 'MiB':
      return `${value.toFixed(0)} MiB`
    case 'ms':
      return `${value.toFixed(value < 10 ? 2 : 0)} ms`
    case 'errors':
      return String(value)
  }
}

/** Markdown table of rows of cells, first row the header. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows
  if (!head) return ''
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n')
}

/** The PASS/MISS lines for a list of targets. */
export function targetLines(targets: readonly Target[]): string[] {
  return targets.map(
    (t) =>
      `${holds(t) ? 'PASS' : 'MISS'}  ${t.name}: ${fmt(t.value, t.unit)} (target ${t.op} ${fmt(t.limit, t.unit)})`,
  )
}

/** Cumulative counts of one Prometheus histogram series, by upper bound in seconds. */
export type HistogramCounts = Map<number, number>

/** Reads the `_bucket` lines of `metric` whose labels include `labels` (e.g. `route="/x"`). */
export function histogramCounts(text: string, metric: string, labels: string): HistogramCounts {
  const out: HistogramCounts = new Map()
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}_bucket{`) || !line.includes(labels)) continue
    const le = /le="([^"]+)"/.exec(line)?.[1]
    const count = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (le !== undefined) out.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count)
  }
  return out
}

/**
 * The smallest bucket bound (seconds) that holds every request counted between two scrapes, and
 * how many requests that was: what the server itself saw, beside what the load generator saw.
 */
export function slowestBucket(
  before: HistogramCounts,
  after: HistogramCounts,
): { withinS: number; requests: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b)
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0)
  for (const b of bounds) {
    if ((after.get(b) ?? 0) - (before.get(b) ?? 0) === total) return { withinS: b, requests: total }
  }
  return { withinS: Number.NaN, requests: total }
}
