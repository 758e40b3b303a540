/**
 * The upstream dies mid-transfer. A 64 MiB download is read slowly; vsftpd (listener and every
 * session process) gets SIGKILL half-way. The client must see a broken body (fewer bytes than
 * Content-Length and an abort/error, never a clean end). While the server is down requests fail
 * fast with a 5xx problem. Then vsftpd comes back on the same port over the same files, and the
 * gateway must recover by itself: the dead pooled sessions are evicted, not handed out.
 */
import { randomBytes } from 'node:crypto'
import { chown, open, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, httpGet, startGateway } from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

const BIG = 64 * 1024 * 1024
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let first: FtpServerHandle
let second: FtpServerHandle | undefined
let gw: GatewayHandle
let auth: string
const small = randomBytes(100_000)

beforeAll(async () => {
  first = await startVsftpd()
  gw = await startGateway(first, { FTP_POOL_MAX: '4', FTP_POOL_MAX_TOTAL: '4' })
  auth = basicAuth(first.user, first.password)
  // 64 MiB written in 1 MiB blocks of random bytes (no 64 MiB buffer needed).
  const fh = await open(path.join(first.root, 'big.bin'), 'w')
  const block = randomBytes(1024 * 1024)
  for (let i = 0; i < BIG / block.length; i++) await fh.write(block)
  await fh.close()
  await writeFile(path.join(first.root, 'small.bin'), small)
  for (const f of ['big.bin', 'small.bin']) await chown(path.join(first.root, f), first.uid, first.gid)
})

afterAll(async () => {
  await gw?.close()
  // The second server serves the first one's root, which the first one's stop() removes: second first.
  await second?.stop()
  await first?.stop()
})

interface Broken {
  status: number
  declared: number
  received: number
  ending: string
}

/** Reads the download slowly; kills the server once `killAfter` bytes have arrived. */
function slowDownloadKilledMidway(url: string, killAfter: number): Promise<Broken> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: { authorization: auth }, agent: false })
    req.on('error', (err) => {
      if (!settled) reject(err)
    })
    let settled = false
    req.on('response', (res) => {
      let received = 0
      let killed = false
      const done = (ending: string) => {
        if (settled) return
        settled = true
        resolve({
          status: res.statusCode ?? 0,
          declared: Number(res.headers['content-length']),
          received,
          ending: `${ending}${res.complete ? ' (complete)' : ''}`,
        })
      }
      res.on('data', async (c: Buffer) => {
        received += c.length
        if (!killed && received >= killAfter) {
          killed = true
          first.kill('SIGKILL')
        }
        // Slow reader: a short pause every chunk keeps the transfer in flight when the kill lands.
        res.pause()
        await sleep(2)
        res.resume()
      })
      res.on('aborted', () => done('aborted'))
      res.on('error', (err) => done(`error: ${err.message}`))
      res.on('end', () => done('end'))
      res.on('close', () => done('close'))
    })
    req.end()
  })
}

describe('upstream killed mid-download', () => {
  it('the client sees a broken body, and the gateway recovers once the server is back', async () => {
    const result = await slowDownloadKilledMidway(`${gw.url}/api/v1/files/big.bin`, 8 * 1024 * 1024)
    console.info(`upstream-killed: ${JSON.stringify(result)}`)
    expect(result.status).toBe(200)
    expect(result.declared).toBe(BIG)
    expect(result.received).toBeLessThan(BIG)
    expect(result.ending).not.toMatch(/^end|complete/)

    // Down: a clean, fast 5xx problem (no hang).
    const downStarted = Date.now()
    const down = await fetch(`${gw.url}/api/v1/files/small.bin`, {
      headers: { authorization: auth },
      signal: AbortSignal.timeout(20_000),
    })
    const downMs = Date.now() - downStarted
    const downBody = (await down.json()) as { code: string }
    console.info(`upstream-killed: while down → ${down.status} ${downBody.code} in ${downMs} ms`)
    expect([502, 503, 504]).toContain(down.status)
    expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/)

    // Back on the same port over the same files (vsftpd's own `listen_port` / `local_root`).
    second = await startVsftpd({
      config: { listen_port: String(first.port), local_root: first.root },
    })
    expect(second.port).toBe(first.port)
    const backAt = Date.now()
    const attempts: string[] = []
    let ok = false
    while (!ok && Date.now() - backAt < 10_000) {
      const r = await httpGet(`${gw.url}/api/v1/files/small.bin`, { headers: { authorization: auth } }).catch(
        (err: Error) => ({ status: -1, body: Buffer.from(err.message), headers: {} }),
      )
      attempts.push(String(r.status))
      ok = r.status === 200 && r.body.equals(small)
      if (!ok) await sleep(250)
    }
    const stats = gw.gateway.upstream.pool.stats()
    console.info(
      `upstream-killed: recovered=${ok} after ${Date.now() - backAt} ms, attempts ${attempts.join(',')}; pool ${JSON.stringify({ ...stats, perKey: undefined })}`,
    )
    expect(ok).toBe(true)
    // "A couple of retries": dead sessions are evicted rather than handed out again and again.
    expect(attempts.length).toBeLessThanOrEqual(3)

    // And it keeps working, whole files and ranges, with several sessions at once.
    const again = await Promise.all(
      Array.from({ length: 6 }, () =>
        httpGet(`${gw.url}/api/v1/files/small.bin`, {
          headers: { authorization: auth, range: 'bytes=10-99' },
        }),
      ),
    )
    for (const r of again) {
      expect(r.status).toBe(206)
      expect(r.body.equals(small.subarray(10, 100))).toBe(true)
    }
  })
})
