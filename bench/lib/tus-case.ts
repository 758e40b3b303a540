/**
 * The resumable-upload case (`--only tus`): one 1 GiB tus upload through the gateway in 64 MiB
 * PATCHes against a plain PUT of the same bytes through the gateway and curl's FTP upload straight
 * to vsftpd. All three with curl: the PATCHes run as one curl invocation (`--next` between them),
 * so they share a keep-alive connection as a tus client's would. The upload source is the `put`
 * case's sparse file; each PATCH body is a sparse file of the PATCH's length (the same zeros).
 */
import { execFile } from 'node:child_process'
import { rmSync, truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { curlPut, type Endpoint } from './clients.js'
import type { Child } from './procs.js'
import { median } from './stats.js'

/** PATCH size of the case. */
export const TUS_CHUNK = 64 * 1024 * 1024

/** Raw results of the tus case (ms per run). */
export interface TusResults {
  tus: number[]
  put: number[]
  ftp: number[]
  patchesPerUpload: number
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd}: ${err.message} ${stderr}`))
      else resolve(stdout)
    })
  })
}

/** Sparse files for the PATCH bodies: one per distinct length. */
function patchBodies(dir: string, bytes: number): Map<number, string> {
  const out = new Map<number, string>()
  for (let offset = 0; offset < bytes; offset += TUS_CHUNK) {
    const n = Math.min(TUS_CHUNK, bytes - offset)
    if (out.has(n)) continue
    const file = path.join(dir, `tus-body-${n}.bin`)
    writeFileSync(file, '')
    truncateSync(file, n)
    out.set(n, file)
  }
  return out
}

/** A whole tus upload: creation, then every PATCH in one curl; returns ms (curl's own timings). */
export async function tusUpload(
  base: string,
  auth: string,
  bodies: Map<number, string>,
  bytes: number,
  dest: string,
  timeoutMs: number,
): Promise<number> {
  const created = await run(
    'curl',
    [
      '-sS',
      '-u',
      auth,
      '-X',
      'POST',
      '-H',
      'Tus-Resumable: 1.0.0',
      '-H',
      `Upload-Length: ${bytes}`,
      '-H',
      `Upload-Metadata: path ${Buffer.from(dest).toString('base64')}`,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{time_total} %header{location}',
      `${base}/api/v1/uploads/`,
    ],
    timeoutMs,
  )
  const [code, seconds, location] = created.trim().split(' ')
  if (code !== '201' || location === undefined) throw new Error(`tus creation: ${created}`)
  const args: string[] = []
  for (let offset = 0; offset < bytes; offset += TUS_CHUNK) {
    const n = Math.min(TUS_CHUNK, bytes - offset)
    if (offset > 0) args.push('--next')
    args.push(
      '-sS',
      '-u',
      auth,
      '-X',
      'PATCH',
      '-H',
      'Expect:',
      '-H',
      'Tus-Resumable: 1.0.0',
      '-H',
      'Content-Type: application/offset+octet-stream',
      '-H',
      `Upload-Offset: ${offset}`,
      '-T',
      bodies.get(n)!,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_upload} %{time_total}\n',
      `${base}${location}`,
    )
  }
  const out = await run('curl', args, timeoutMs)
  let total = Number(seconds)
  let sent = 0
  for (const line of out.trim().split('\n')) {
    const [status, size, time] = line.split(' ').map(Number)
    if (status !== 204) throw new Error(`tus PATCH: HTTP ${status}`)
    sent += size!
    total += time!
  }
  if (sent !== bytes) throw new Error(`tus: ${sent} of ${bytes} bytes sent`)
  return total * 1000
}

/** Runs the case `runs` times, alternating the order of the peers. */
export async function runTusCase(
  gw: Child,
  ftpRoot: string,
  ftp: (name: string) => Endpoint,
  auth: string,
  src: string,
  bytes: number,
  runs: number,
  timeoutMs: number,
  log: (m: string) => void,
): Promise<TusResults> {
  const base = `http://127.0.0.1:${gw.port}`
  const bodies = patchBodies(path.dirname(src), bytes)
  const r: TusResults = { tus: [], put: [], ftp: [], patchesPerUpload: Math.ceil(bytes / TUS_CHUNK) }
  const drop = (name: string) => rmSync(path.join(ftpRoot, name), { force: true })
  const steps = [
    async () => {
      r.tus.push(await tusUpload(base, auth, bodies, bytes, '/up-tus.bin', timeoutMs))
      drop('up-tus.bin')
    },
    async () => {
      r.put.push(await curlPut({ url: `${base}/api/v1/files/up-put.bin`, auth }, src, bytes, timeoutMs))
      drop('up-put.bin')
    },
    async () => {
      r.ftp.push(await curlPut(ftp('up-ftp.bin'), src, bytes, timeoutMs))
      drop('up-ftp.bin')
    },
  ]
  try {
    // One unmeasured round first (page cache, pool, the first large body each path sees).
    for (const step of steps) await step()
    for (const k of ['tus', 'put', 'ftp'] as const) r[k].length = 0
    for (let i = 0; i < runs; i++) for (const step of i % 2 === 0 ? steps : [...steps].reverse()) await step()
  } finally {
    for (const file of bodies.values()) rmSync(file, { force: true })
  }
  const m = (xs: number[]) =>
    `median ${median(xs).toFixed(0)} ms of [${xs.map((x) => x.toFixed(0)).join(', ')}]`
  log(`tus: ${m(r.tus)}; PUT ${m(r.put)}; curl FTP ${m(r.ftp)}`)
  return r
}
