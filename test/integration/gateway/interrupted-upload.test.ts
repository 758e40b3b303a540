/**
 * An upload over an existing file that dies halfway: the client's socket is destroyed after part
 * of the body (once with a declared Content-Length, once chunked). The old file must stay exactly
 * as it was on vsftpd's disk, the temporary `.NAME.ftpgw-*.part` file must be gone shortly after,
 * and the gateway must go on serving.
 */
import { randomBytes } from 'node:crypto'
import { chown, readdir, readFile, writeFile } from 'node:fs/promises'
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

let server: FtpServerHandle
let gw: GatewayHandle
let auth: string
const OLD = randomBytes(1024 * 1024)

beforeAll(async () => {
  server = await startVsftpd()
  gw = await startGateway(server)
  auth = basicAuth(server.user, server.password)
  // The server-side count checked at the end must be the pool's alone (the probe dials outside it).
  silenceReadinessProbe(gw)
})

afterAll(async () => {
  await gw?.close()
  await server?.stop()
})

async function putExisting(name: string): Promise<string> {
  const file = path.join(server.root, name)
  await writeFile(file, OLD)
  await chown(file, server.uid, server.gid)
  return file
}

const partFiles = async () => (await readdir(server.root)).filter((n) => n.includes('.ftpgw-'))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Starts a PUT, writes `chunks` (pausing so the bytes reach the upstream STOR), then destroys the
 * socket. Resolves with whatever the client saw (usually a socket error; never a success).
 */
async function interruptedPut(name: string, headers: http.OutgoingHttpHeaders, chunks: Buffer[]) {
  const req = http.request(`${gw.url}/api/v1/files/${name}`, {
    method: 'PUT',
    headers: { authorization: auth, ...headers },
    agent: false,
  })
  let status: number | undefined
  req.on('response', (res) => {
    status = res.statusCode
    res.resume()
  })
  const failed = new Promise<void>((resolve) => req.on('error', () => resolve()))
  req.on('close', () => undefined)
  for (const c of chunks) {
    req.write(c)
    await sleep(100)
  }
  // Proof that the upload really was under way upstream: a temporary file exists before the cut.
  const sawPart = await waitFor(async () => (await partFiles()).length > 0, 2000, 20)
  req.destroy()
  const cutAt = Date.now()
  await Promise.race([failed, sleep(500)])
  return { status, sawPart, cutAt }
}

describe('interrupted uploads keep the old file', () => {
  it('Content-Length declared, socket destroyed after a third of it', async () => {
    const file = await putExisting('cl.bin')
    const body = randomBytes(3 * 1024 * 1024)
    const chunks = [body.subarray(0, 512 * 1024), body.subarray(512 * 1024, 1024 * 1024)]
    const seen = await interruptedPut('cl.bin', { 'content-length': body.length }, chunks)
    expect(seen.sawPart).toBe(true)
    expect(seen.status).toBeUndefined()

    // Cleanup is asynchronous (the STOR fails, then the temporary file is deleted): allow a second.
    expect(await waitFor(async () => (await partFiles()).length === 0, 1000, 20)).toBe(true)
    console.info(
      `interrupted-upload (content-length): part file gone ${Date.now() - seen.cutAt} ms after the socket was destroyed`,
    )
    expect((await readFile(file)).equals(OLD)).toBe(true)
  })

  it('chunked body cut off mid-stream', async () => {
    const file = await putExisting('chunked.bin')
    const chunks = Array.from({ length: 6 }, () => randomBytes(128 * 1024))
    const seen = await interruptedPut('chunked.bin', { 'transfer-encoding': 'chunked' }, chunks)
    expect(seen.sawPart).toBe(true)
    expect(seen.status).toBeUndefined()
    expect(await waitFor(async () => (await partFiles()).length === 0, 1000, 20)).toBe(true)
    expect((await readFile(file)).equals(OLD)).toBe(true)
  })

  it('the gateway still serves: the old file downloads intact and a complete PUT replaces it', async () => {
    const got = await httpGet(`${gw.url}/api/v1/files/cl.bin`, { headers: { authorization: auth } })
    expect(got.status).toBe(200)
    expect(got.body.equals(OLD)).toBe(true)

    const fresh = randomBytes(200_000)
    const put = await fetch(`${gw.url}/api/v1/files/cl.bin`, {
      method: 'PUT',
      headers: { authorization: auth },
      body: fresh,
    })
    expect(put.status).toBe(204)
    expect((await readFile(path.join(server.root, 'cl.bin'))).equals(fresh)).toBe(true)
    expect(await partFiles()).toEqual([])
    const stats = gw.gateway.upstream.pool.stats()
    expect(stats.busy).toBe(0)
    expect(await server.controlConnections()).toBe(stats.size)
  })
})
