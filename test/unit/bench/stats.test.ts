import { describe, expect, it } from 'vitest'
import {
  fmt,
  histogramCounts,
  holds,
  markdownTable,
  median,
  parseCurlNumbers,
  parseWrk,
  slowestBucket,
  targetLines,
  wrkDurationMs,
} from '../../../bench/lib/stats.js'

const WRK_CLEAN = `Running 5s test @ http://127.0.0.1:4000/small.bin
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.52ms    2.01ms  30.11ms   80.12%
    Req/Sec     1.23k    90.11     1.40k    70.00%
  12345 requests in 5.01s, 14.80MB read
Requests/sec:   2464.07
Transfer/sec:      2.95MB
`

const WRK_LATENCY = `Running 5s test @ http://127.0.0.1:4000/small.bin
  1 threads and 256 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    71.56ms  150.91ms   2.00s    97.27%
    Req/Sec     4.81k     1.24k    5.84k    83.67%
  Latency Distribution
     50%   45.84ms
     75%  812.00us
     90%   67.10ms
     99%  984.13ms
  24000 requests in 5.01s, 30.80MB read
Requests/sec:   4664.92
Transfer/sec:      6.15MB
`

const WRK_ERRORS = `Running 5s test @ http://127.0.0.1:4000/small.bin
  2 threads and 256 connections
  9000 requests in 5.02s, 10.80MB read
  Socket errors: connect 0, read 12, write 1, timeout 82
  Non-2xx or 3xx responses: 4
Requests/sec:   1792.83
Transfer/sec:      2.15MB
`

describe('bench stats', () => {
  it('takes medians of odd and even counts without reordering the input', () => {
    const xs = [3, 1, 2]
    expect(median(xs)).toBe(2)
    expect(xs).toEqual([3, 1, 2])
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })

  it('parses a clean wrk report', () => {
    const r = parseWrk(WRK_CLEAN)
    expect(r.requestsPerSec).toBe(2464.07)
    expect(r.requests).toBe(12345)
    expect(r.errors).toBe(0)
  })

  it("reads the latency tail of a --latency report, in ms whatever wrk's unit", () => {
    const r = parseWrk(WRK_LATENCY)
    expect(r.p99Ms).toBeCloseTo(984.13)
    expect(r.maxMs).toBe(2000)
    expect(r.requestsPerSec).toBe(4664.92)
    expect(parseWrk(WRK_CLEAN).maxMs).toBeCloseTo(30.11)
    expect(parseWrk(WRK_CLEAN).p99Ms).toBeNaN()
    expect(wrkDurationMs('812.00us')).toBeCloseTo(0.812)
    expect(wrkDurationMs('1.21s')).toBe(1210)
    expect(wrkDurationMs('2.00m')).toBe(120_000)
    expect(wrkDurationMs('soon')).toBeNaN()
  })

  it("finds the bucket that holds every request counted between two scrapes of the gateway's histogram", () => {
    const scrape = (counts: number[]) =>
      [0.1, 0.5, 1, '+Inf']
        .map(
          (le, i) =>
            `ftpgw_http_request_duration_seconds_bucket{le="${le}",method="GET",route="/api/v1/files/*"} ${counts[i]}`,
        )
        .concat('ftpgw_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/metrics"} 99')
        .join('\n')
    const labels = 'route="/api/v1/files/*"'
    const before = histogramCounts(scrape([10, 12, 12, 12]), 'ftpgw_http_request_duration_seconds', labels)
    expect(before.get(0.1)).toBe(10)
    expect(before.get(Number.POSITIVE_INFINITY)).toBe(12)
    const fast = histogramCounts(scrape([110, 112, 112, 112]), 'ftpgw_http_request_duration_seconds', labels)
    expect(slowestBucket(before, fast)).toEqual({ withinS: 0.1, requests: 100 })
    const slow = histogramCounts(scrape([109, 111, 112, 112]), 'ftpgw_http_request_duration_seconds', labels)
    expect(slowestBucket(before, slow)).toEqual({ withinS: 1, requests: 100 })
    expect(slowestBucket(before, new Map()).withinS).toBeNaN()
  })

  it('counts socket errors and non-2xx responses as errors', () => {
    const r = parseWrk(WRK_ERRORS)
    expect(r.errorDetail).toEqual({ connect: 0, read: 12, write: 1, timeout: 82, non2xx: 4 })
    expect(r.errors).toBe(99)
  })

  it('refuses a wrk report without a rate (wrk failed)', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/Requests\/sec/)
  })

  it('checks the number of values curl printed', () => {
    expect(parseCurlNumbers('200 1024 0.5 0.1\n', 4)).toEqual([200, 1024, 0.5, 0.1])
    expect(() => parseCurlNumbers('200 1024', 4)).toThrow(/curl/)
    expect(() => parseCurlNumbers('200 x 1 2', 4)).toThrow(/curl/)
  })

  it('evaluates targets in both directions, and an unmeasured value never passes', () => {
    expect(holds({ name: 'a', value: 1.3, op: '>=', limit: 1.3, unit: 'ratio' })).toBe(true)
    expect(holds({ name: 'b', value: 151, op: '<=', limit: 150, unit: 'MiB' })).toBe(false)
    expect(holds({ name: 'c', value: Number.NaN, op: '<=', limit: 5, unit: 'ms' })).toBe(false)
    expect(
      targetLines([
        { name: 'ttfb', value: 2.5, op: '<=', limit: 5, unit: 'ms' },
        { name: 'rps', value: 0.8, op: '>=', limit: 1.5, unit: 'ratio' },
      ]),
    ).toEqual(['PASS  ttfb: 2.50 ms (target <= 5.00 ms)', 'MISS  rps: 0.80× (target >= 1.50×)'])
  })

  it('formats values and Markdown tables', () => {
    expect(fmt(1.234, 'ratio')).toBe('1.23×')
    expect(fmt(183.6, 'MiB')).toBe('184 MiB')
    expect(fmt(31.2, 'ms')).toBe('31 ms')
    expect(fmt(Number.NaN, 'ms')).toBe('n/a')
    expect(
      markdownTable([
        ['case', 'value'],
        ['GET', '1 GB/s'],
      ]),
    ).toBe('| case | value |\n| --- | --- |\n| GET | 1 GB/s |')
  })
})
