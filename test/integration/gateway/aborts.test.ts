/**
 * 1,000 clients that walk away mid-download. Each one reads a few KiB of a multi-MiB file and then
 * destroys its socket, 50 at a time. Afterwards the pool must be quiet (nothing busy or queued,
 * within its size), vsftpd must see exactly as many control connections as the pool holds (no
 * session leaked or left half-open), and a normal download must still be byte-identical: every
 * aborted session was either resynchronised or discarded, never handed on mid-transfer.
 */
import { randomBytes } from 'node:crypto'
import { chown, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  basicAuth,
  type GatewayHandle,
  httpGet,
  silenceReadinessProbe,
  startGateway,
} from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'

const ABORTS = 1000
const CONCURRENCY = 50
const SIZE = 8 * 1024 * 1024
const READ_BEFORE_ABORT = 8 * 1024
const POOL = 8

let server: FtpServerHandle
let gw: GatewayHandle
let auth: string

beforeAll(async () => {
  server = await startVsftpd({ config: { max_clients: '100', max_per_ip: '100' } })
  gw = await startGateway(server, { FTP_POOL_MAX: String(POOL), FTP_POOL_MAX_TOTAL: String(POOL) })
  auth = basicAuth(server.user, server.password)
  // Server-side counts below must equal the pool's size: keep the readiness probe's own short
  // connection (outside the pool) out of them.
  silenceReadinessProbe(gw)
})

afterAll(async () => {
  await gw?.close()
  await server?.stop()
})

type Ending = 'aborted-after-body' | 'aborted-before-body' | 'error-status' | 'completed'

/** One download that gives up after READ_BEFORE_ABORT bytes by destroying its socket. */
function abortedDownload(url: string): Promise<Ending> {
  return new Promise((resolve) => {
    // agent false: a socket of its own, so destroying it is a real TCP close the gateway sees.
    const req = http.request(url, { headers: { authorization: auth }, agent: false })
    let got = 0
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume()
        res.on('end', () => resolve('error-status'))
        return
      }
      res.on('data', (c: Buffer) => {
        got += c.length
        if (got >= READ_BEFORE_ABORT) {
          req.destroy()
          resolve('aborted-after-body')
        }
      })
      res.on('end', () => resolve('completed'))
      res.on('error', () => undefined)
    })
    req.on('error', () => resolve(got > 0 ? 'aborted-after-body' : 'aborted-before-body'))
    req.end()
  })
}

describe('client aborts mid-download', () => {
  it(`${ABORTS} aborts leave no busy, queued or leaked session, and the next download is intact`, async () => {
    const content = randomBytes(SIZE)
    const file = path.join(server.root, 'big.bin')
    await writeFile(file, content)
    await chown(file, server.uid, server.gid)
    const url = `${gw.url}/api/v1/files/big.bin`
    const pool = gw.gateway.upstream.pool
    const before = pool.stats()

    const endings = new Map<Ending, number>()
    let next = 0
    const started = Date.now()
    // 50 workers, each firing its next abort as soon as the previous one is done.
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ABORTS) {
          next++
          const ending = await abortedDownload(url)
          endings.set(ending, (endings.get(ending) ?? 0) + 1)
        }
      }),
    )
    const abortMs = Date.now() - started

    const settled = Date.now()
    const quiet = await waitFor(async () => {
      const s = pool.stats()
      return (
        s.busy === 0 && s.waiting === 0 && s.pending === 0 && (await server.controlConnections()) === s.size
      )
    }, 5000)
    const settleMs = Date.now() - settled
    const after = pool.stats()
    const serverSide = await server.controlConnections()
    // Every session an abort left uncertain was either resynchronised (ABOR, kept) or discarded
    // (evicted, closed); the pool's counters tell how many of each.
    const discarded = after.evicted - before.evicted
    const logins = after.created - before.created
    console.info(
      `aborts: ${ABORTS} in ${abortMs} ms (${JSON.stringify(Object.fromEntries(endings))}); quiet after ${settleMs} ms; ` +
        `sessions discarded ${discarded}, resynchronised and reused for the other ${ABORTS - discarded}; ` +
        `logins ${logins} (the first ${Math.min(logins, POOL)} filled the pool); ` +
        `pool ${JSON.stringify({ ...after, perKey: undefined })}; server control connections ${serverSide}`,
    )
    expect(endings.get('aborted-after-body')).toBe(ABORTS)
    expect(quiet).toBe(true)
    expect(after.busy).toBe(0)
    expect(after.waiting).toBe(0)
    expect(after.size).toBeLessThanOrEqual(POOL)
    expect(serverSide).toBe(after.size)

    const whole = await httpGet(url, { headers: { authorization: auth } })
    expect(whole.status).toBe(200)
    expect(whole.body.length).toBe(SIZE)
    expect(whole.body.equals(content)).toBe(true)
  })
})
