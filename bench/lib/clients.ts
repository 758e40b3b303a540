/**
 * The clients the benchmark drives: curl for throughput and PROPFIND timings, wrk for request
 * rates, throttled curls for the memory case and a raw socket for time to first byte. Each call
 * is bounded by a timeout so a hung peer cannot hold the run.
 */
import { execFile, spawn } from 'node:child_process'
import net from 'node:net'
import { parseCurlNumbers, parseWrk, type WrkResult } from './stats.js'

/** Where a client sends a request and with which credentials. */
export interface Endpoint {
  /** Full URL (http:// or ftp://). */
  url: string
  /** `user:password` for curl's `-u`. */
  auth: string
}

function curl(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', ...args], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`curl ${args.at(-1)}: ${err.message} ${stderr}`))
      else resolve(stdout)
    })
  })
}

/** Downloads into /dev/null; returns ms of the transfer. For FTP, curl's login is left out. */
export async function curlGet(ep: Endpoint, expectBytes: number, timeoutMs: number): Promise<number> {
  const out = await curl(
    [
      '-u',
      ep.auth,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_download} %{time_total} %{time_pretransfer}',
      ep.url,
    ],
    timeoutMs,
  )
  const [code, size, total, pre] = parseCurlNumbers(out, 4)
  if (!ep.url.startsWith('ftp:') && code !== 200) throw new Error(`GET ${ep.url}: HTTP ${code}`)
  if (size !== expectBytes) throw new Error(`GET ${ep.url}: ${size} of ${expectBytes} bytes`)
  return ep.url.startsWith('ftp:') ? (total! - pre!) * 1000 : total! * 1000
}

/** Uploads `file`; returns ms of the transfer. `Expect: 100-continue` is off for every peer alike. */
export async function curlPut(
  ep: Endpoint,
  file: string,
  expectBytes: number,
  timeoutMs: number,
): Promise<number> {
  const out = await curl(
    [
      '-u',
      ep.auth,
      '-H',
      'Expect:',
      '-T',
      file,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_upload} %{time_total} %{time_pretransfer}',
      ep.url,
    ],
    timeoutMs,
  )
  const [code, size, total, pre] = parseCurlNumbers(out, 4)
  const ftp = ep.url.startsWith('ftp:')
  if (!ftp && (code! < 200 || code! > 299)) throw new Error(`PUT ${ep.url}: HTTP ${code}`)
  if (size !== expectBytes) throw new Error(`PUT ${ep.url}: ${size} of ${expectBytes} bytes sent`)
  return ftp ? (total! - pre!) * 1000 : total! * 1000
}

/** One PROPFIND Depth 1; returns ms and checks for a 207 with a body of the expected size range. */
export async function propfind(ep: Endpoint, timeoutMs: number): Promise<{ ms: number; bytes: number }> {
  const out = await curl(
    [
      '-u',
      ep.auth,
      '-X',
      'PROPFIND',
      '-H',
      'Depth: 1',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_download} %{time_total}',
      ep.url,
    ],
    timeoutMs,
  )
  const [code, bytes, total] = parseCurlNumbers(out, 3)
  if (code !== 207) throw new Error(`PROPFIND ${ep.url}: HTTP ${code}`)
  return { ms: total! * 1000, bytes: bytes! }
}

/**
 * wrk with `connections` keep-alive connections on one thread for `seconds`. One thread: on two
 * cores a second wrk thread competes with the server under test for its core, and its own stalls
 * showed up as 0.8–1.4 s p99 latencies and 2 s timeouts while the gateway's own log had no request
 * over 36 ms (p99 0.3 ms); one thread drives either peer far past what it serves (~50k req/s).
 *
 * A response counts as an error only when it fails or takes over 10 s, not at wrk's default 2 s:
 * on some machines of this kind, 256 loopback connections stall for 1–2 s now and then whatever
 * serves them (a ten-line Node server: longest request 1.0–1.9 s in 3 of 8 three-second runs, with
 * no TCP retransmissions and no steal time), while the gateway's own request histogram had no
 * request over 0.5 s. wrk's own numbers do not add up there either: a mean of 336–489 ms over 256
 * connections at ~5,300 req/s is impossible (every connection always has one request out, so the
 * mean is 256 / 5,300 s ≈ 48 ms). The tail is reported instead (p99 and longest, per peer).
 */
export function wrk(ep: Endpoint, connections: number, seconds: number): Promise<WrkResult> {
  const basic = Buffer.from(ep.auth).toString('base64')
  const args = [
    '-t',
    '1',
    '--timeout',
    '10s',
    '--latency',
    '-c',
    String(connections),
    '-d',
    `${seconds}s`,
    '-H',
    `Authorization: Basic ${basic}`,
    ep.url,
  ]
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (seconds + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wrk: ${err.message} ${stderr}`))
      else {
        try {
          resolve(parseWrk(stdout))
        } catch (e) {
          reject(e)
        }
      }
    })
  })
}

/**
 * Starts `count` curls reading `ep` at `rateBytes` per second each, stopped by curl itself after
 * `seconds` (exit 28 is the expected outcome); resolves with the bytes each one received.
 */
export function throttledReaders(
  ep: Endpoint,
  count: number,
  rate: string,
  seconds: number,
): Promise<number[]> {
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const p = spawn(
        'curl',
        [
          '-sS',
          '-u',
          ep.auth,
          '--limit-rate',
          rate,
          '--max-time',
          String(seconds),
          '-o',
          '/dev/null',
          '-w',
          '%{size_download}',
          ep.url,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      )
      let out = ''
      p.stdout.on('data', (c: Buffer) => {
        out += c.toString()
      })
      const kill = setTimeout(() => p.kill('SIGKILL'), (seconds + 10) * 1000)
      p.once('error', reject)
      p.once('exit', (code) => {
        clearTimeout(kill)
        if (code !== 0 && code !== 28) reject(new Error(`throttled curl ${ep.url} exited ${code}`))
        else resolve(Number(out.trim()))
      })
    })
  return Promise.all(Array.from({ length: count }, one))
}

/**
 * Time from sending a GET on an already connected socket to the first byte of the response
 * (curl's time_starttransfer minus connect). The response is then abandoned.
 */
export function timeToFirstByte(host: string, port: number, path: string, auth: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    socket.setNoDelay(true)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no response from ${host}:${port}${path} within 10 s`))
    }, 10_000)
    let t0 = 0
    socket.once('connect', () => {
      const basic = Buffer.from(auth).toString('base64')
      t0 = performance.now()
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAuthorization: Basic ${basic}\r\nConnection: close\r\n\r\n`,
      )
    })
    socket.once('data', (chunk: Buffer) => {
      const ms = performance.now() - t0
      clearTimeout(timer)
      socket.destroy()
      if (!chunk.subarray(0, 12).toString().startsWith('HTTP/1.1 200'))
        reject(new Error(`unexpected response: ${chunk.subarray(0, 40).toString()}`))
      else resolve(ms)
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}
