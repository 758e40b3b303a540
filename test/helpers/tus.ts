/**
 * Helpers for the resumable-upload (tus) tests: raw tus requests, metadata encoding, and large
 * deterministic content generated as a stream (never held whole) with its SHA-256.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import http from 'node:http'
import { Readable } from 'node:stream'

/** Upload-Metadata for the given keys (values base64, as tus wants them). */
export function tusMetadata(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${Buffer.from(v, 'utf8').toString('base64')}`)
    .join(',')
}

/** A tus request (Tus-Resumable: 1.0.0 unless `headers` says otherwise). */
export function tus(
  url: string,
  method: string,
  headers: Record<string, string | undefined>,
  body?: Buffer | string,
): Promise<Response> {
  const h: Record<string, string> = { 'tus-resumable': '1.0.0' }
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) delete h[k.toLowerCase()]
    else h[k.toLowerCase()] = v
  }
  return fetch(url, { method, headers: h, ...(body === undefined ? {} : { body }) })
}

const BLOCK = 1024 * 1024
const base = Buffer.alloc(BLOCK)
// A fixed pseudo-random block (xorshift), stamped with its index: every MiB differs from the others.
{
  let x = 0x12345678
  for (let i = 0; i < BLOCK; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    base.writeUInt32LE(x >>> 0, i)
  }
}

/** The deterministic content's MiB number `index`. */
function block(index: number, seed: number): Buffer {
  const b = Buffer.from(base)
  b.writeUInt32LE(index >>> 0, 0)
  b.writeUInt32LE(seed >>> 0, 4)
  return b
}

/** `size` bytes of deterministic content, generated MiB by MiB. */
export function patternStream(size: number, seed = 1): Readable {
  let sent = 0
  let index = 0
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null)
        return
      }
      const b = block(index++, seed)
      const n = Math.min(BLOCK, size - sent)
      sent += n
      this.push(n === BLOCK ? b : b.subarray(0, n))
    },
  })
}

/** The SHA-256 (hex) of patternStream(size, seed). */
export async function patternHash(size: number, seed = 1): Promise<string> {
  return hashStream(patternStream(size, seed))
}

/** The first `n` bytes of the pattern (small slices for raw PATCH bodies). */
export function patternSlice(start: number, end: number, seed = 1): Buffer {
  const parts: Buffer[] = []
  for (let i = Math.floor(start / BLOCK); i * BLOCK < end; i++) parts.push(block(i, seed))
  const all = Buffer.concat(parts)
  const off = Math.floor(start / BLOCK) * BLOCK
  return all.subarray(start - off, end - off)
}

/** SHA-256 (hex) of a stream. */
export async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of stream) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** SHA-256 (hex) of a local file. */
export function hashFile(file: string): Promise<string> {
  return hashStream(createReadStream(file))
}

/** Every name in a local folder, hidden ones included, sorted. */
export async function namesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort()
}

/**
 * Starts a tus PATCH from offset 0 declaring `size` bytes and leaves its body open, so a test can
 * send part of it and hold the upload's lock (or cut the connection). `status` settles with the
 * response's status once the server answers.
 */
export function openPatch(
  url: string,
  auth: string,
  size: number,
): { req: http.ClientRequest; status: Promise<number> } {
  const u = new URL(url)
  let settle!: (status: number) => void
  const status = new Promise<number>((r) => {
    settle = r
  })
  const req = http.request(
    {
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'PATCH',
      headers: {
        authorization: auth,
        'tus-resumable': '1.0.0',
        'content-type': 'application/offset+octet-stream',
        'upload-offset': '0',
        'content-length': String(size),
      },
    },
    (res) => {
      res.resume()
      settle(res.statusCode ?? 0)
    },
  )
  return { req, status }
}
