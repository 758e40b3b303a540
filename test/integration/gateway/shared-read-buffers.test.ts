/**
 * Downloads hand the HTTP response views of the data socket's read buffers (no copy) and reuse a
 * buffer only once the response has written out every byte of it. Wrong bookkeeping there would
 * corrupt bodies, not fail them: so several downloads run at once with readers that pause and
 * resume at random (buffers are then held for a while), and every body is compared by hash.
 */
import { createHash, randomBytes } from 'node:crypto'
import { chown, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

const SIZE = 24 * 1024 * 1024 + 4321
const READERS = 6

let server: FtpServerHandle
let gw: GatewayHandle
let auth: string
const data = randomBytes(SIZE)
const digest = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex')

beforeAll(async () => {
  server = await startVsftpd()
  gw = await startGateway(server, { FTP_POOL_MAX: String(READERS), FTP_POOL_MAX_TOTAL: String(READERS) })
  auth = basicAuth(server.user, server.password)
  await writeFile(path.join(server.root, 'big.bin'), data)
  await chown(path.join(server.root, 'big.bin'), server.uid, server.gid)
})

afterAll(async () => {
  await gw?.close()
  await server?.stop()
})

/** Downloads with pauses of 0–40 ms after random chunks; resolves with the body's hash and length. */
function pacedDownload(seed: number): Promise<{ hash: string; length: number; status: number }> {
  return new Promise((resolve, reject) => {
    let state = seed
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31
      return state / 2 ** 31
    }
    const req = http.get(`${gw.url}/api/v1/files/big.bin`, { headers: { authorization: auth } }, (res) => {
      const hash = createHash('sha256')
      let length = 0
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk)
        length += chunk.length
        if (random() < 0.2) {
          res.pause()
          setTimeout(() => res.resume(), Math.floor(random() * 40))
        }
      })
      res.on('end', () => resolve({ hash: hash.digest('hex'), length, status: res.statusCode ?? 0 }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

describe('downloads through shared read buffers', () => {
  it('stay byte-identical with several paced readers at once, twice over', async () => {
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(
        Array.from({ length: READERS }, (_, i) => pacedDownload(round * 100 + i + 1)),
      )
      for (const r of results) {
        expect(r.status).toBe(200)
        expect(r.length).toBe(SIZE)
        expect(r.hash).toBe(digest(data))
      }
    }
  })

  it('ranges through the same path are byte-identical too', async () => {
    const start = 3 * 1024 * 1024 + 7
    const end = 17 * 1024 * 1024 + 11
    const body = await new Promise<Buffer>((resolve, reject) => {
      http
        .get(
          `${gw.url}/api/v1/files/big.bin`,
          { headers: { authorization: auth, range: `bytes=${start}-${end}` } },
          (res) => {
            expect(res.statusCode).toBe(206)
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(Buffer.from(c)))
            res.on('end', () => resolve(Buffer.concat(chunks)))
            res.on('error', reject)
          },
        )
        .on('error', reject)
    })
    expect(digest(body)).toBe(digest(data.subarray(start, end + 1)))
  })
})
