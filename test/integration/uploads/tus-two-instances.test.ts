/**
 * tus-js-client (Node) uploading through HAProxy to two gateway instances that share only Redis
 * and the FTP server (vsftpd, then Pure-FTPd). A proxy in front of HAProxy cuts the connection
 * three times in the middle of a PATCH and sends everything after each cut to the other instance:
 * the upload resumes there from what reached the FTP server, the bytes are identical (SHA-256) and
 * nothing is left beside the file. The content is generated as a stream, never held whole.
 */
import { createHash } from 'node:crypto'
import { chown, mkdir, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { Upload } from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CuttingProxy, startCuttingProxy } from '../../helpers/cutting-proxy.js'
import { basicAuth, type GatewayHandle, startGateway, testKeyPrefix } from '../../helpers/gateway.js'
import { type HaproxyHandle, startHaproxy } from '../../helpers/haproxy.js'
import { type FtpServerHandle, startPureFtpd, startVsftpd } from '../../helpers/servers/index.js'
import {
  hashFile,
  namesIn,
  openPatch,
  patternHash,
  patternSlice,
  patternStream,
  tus,
  tusMetadata,
} from '../../helpers/tus.js'
import { waitFor } from '../../helpers/wait-for.js'

const MiB = 1024 * 1024
// The issue's size: 1 GiB (streamed from a pattern, never held), plus an odd tail.
const SIZE = 1024 * MiB + 12_345
const CHUNK = 256 * MiB

const kinds = [
  { name: 'vsftpd', start: () => startVsftpd() },
  { name: 'pure-ftpd', start: () => startPureFtpd() },
] as const

/** A counter of the gateway's /metrics (0 when absent). */
async function metric(gw: GatewayHandle, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text()
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

describe.each(kinds)('tus across two instances on $name', (kind) => {
  let server: FtpServerHandle
  let a: GatewayHandle
  let b: GatewayHandle
  let lb: HaproxyHandle
  let proxy: CuttingProxy

  beforeAll(async () => {
    server = await kind.start()
    const env = {
      REDIS_KEY_PREFIX: testKeyPrefix('tus2'),
      SESSION_SECRET: 'tus-two-instances-secret-0123456789',
    }
    ;[a, b] = await Promise.all([startGateway(server, env), startGateway(server, env)])
    const port = (gw: GatewayHandle) => Number(new URL(gw.url).port)
    lb = await startHaproxy([port(a), port(b)], { pinHeader: 'x-gw' })
    proxy = await startCuttingProxy({
      target: lb.url,
      pinHeader: 'x-gw',
      backends: 2,
      cutAfterBytes: 9 * MiB,
      cuts: 3,
    })
    await mkdir(path.join(server.root, 'big'))
    await chown(path.join(server.root, 'big'), server.uid, server.gid)
  })
  afterAll(async () => {
    await proxy?.close()
    await lb?.stop()
    await Promise.all([a?.close(), b?.close()])
    await server?.stop()
  })

  it('survives three cuts mid-PATCH, resuming on the other instance each time', {
    timeout: 300_000,
  }, async () => {
    const expected = patternHash(SIZE, 7)
    const progress: number[] = []
    await new Promise<void>((resolve, reject) => {
      const upload = new Upload(patternStream(SIZE, 7), {
        endpoint: `${proxy.url}/api/v1/uploads/`,
        uploadSize: SIZE,
        chunkSize: CHUNK,
        retryDelays: [0, 100, 300, 600, 1000, 2000, 3000, 5000],
        headers: { authorization: basicAuth(server.user, server.password) },
        metadata: { path: '/big/data.bin', filename: 'data.bin' },
        onProgress: (sent) => progress.push(sent),
        onSuccess: () => resolve(),
        onError: reject,
      })
      upload.start()
    })
    expect(proxy.cuts).toBe(3)
    const patches = proxy.requests.filter((r) => r.method === 'PATCH')
    const cut = patches.filter((r) => r.outcome === 'cut')
    expect(cut).toHaveLength(3)
    // After each cut, the PATCHes up to the next success went to the other instance, and one
    // succeeded there. (The first may be refused with 409: its HEAD asked while the cut instance
    // was still writing what it had received, so the client asks again.)
    for (const c of cut) {
      const rest = patches.slice(patches.indexOf(c) + 1)
      const nextCut = rest.findIndex((r) => r.outcome === 'cut')
      const after = nextCut === -1 ? rest : rest.slice(0, nextCut)
      const resumed = after.findIndex((r) => r.outcome === 204)
      expect(resumed, JSON.stringify(proxy.requests)).toBeGreaterThanOrEqual(0)
      for (const r of after.slice(0, resumed + 1)) expect(r.backend).not.toBe(c.backend)
    }
    const file = path.join(server.root, 'big', 'data.bin')
    expect(await hashFile(file)).toBe(await expected)
    expect(await namesIn(path.join(server.root, 'big'))).toEqual(['data.bin'])
    // Both instances saw the resumptions they served; the two together counted all three.
    const resumed =
      (await metric(a, 'ftpgw_uploads_total', '{event="resumed"}')) +
      (await metric(b, 'ftpgw_uploads_total', '{event="resumed"}'))
    expect(resumed).toBe(3)
    const received =
      (await metric(a, 'ftpgw_upload_received_bytes_total')) +
      (await metric(b, 'ftpgw_upload_received_bytes_total'))
    expect(received).toBeGreaterThanOrEqual(SIZE)
    const completed =
      (await metric(a, 'ftpgw_uploads_total', '{event="completed"}')) +
      (await metric(b, 'ftpgw_uploads_total', '{event="completed"}'))
    expect(completed).toBe(1)
    console.info(
      `tus two instances (${kind.name}): ${patches.length} PATCHes, ${cut.map((c) => `${c.bytes} B cut on ${c.backend}`).join(', ')}`,
    )
  })

  it('a PATCH on one instance while another PATCH of the same upload runs on the other: 423, nothing corrupted', async () => {
    const auth = basicAuth(server.user, server.password)
    const size = 4 * MiB
    const created = await tus(`${a.url}/api/v1/uploads/`, 'POST', {
      authorization: auth,
      'upload-length': String(size),
      'upload-metadata': tusMetadata({ path: 'big/race.bin' }),
    })
    const location = created.headers.get('location')!
    // A's PATCH sends half its body and waits.
    const { req, status: first } = openPatch(`${a.url}${location}`, auth, size)
    req.write(patternSlice(0, 2 * MiB))
    const dir = path.join(server.root, 'big')
    const partialSize = async () => {
      const name = (await readdir(dir)).find((n) => n.startsWith('.race.bin.'))
      return name === undefined ? 0 : (await stat(path.join(dir, name))).size
    }
    expect(await waitFor(async () => (await partialSize()) > 0, 10_000), 'A is writing').toBe(true)
    const onB = await tus(
      `${b.url}${location}`,
      'PATCH',
      { authorization: auth, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      patternSlice(0, MiB),
    )
    expect(onB.status).toBe(423)
    expect(((await onB.json()) as { code: string }).code).toBe('GW_ERR_UPLOAD_LOCKED')
    // B still tells where the upload stands while A writes.
    const head = await tus(`${b.url}${location}`, 'HEAD', { authorization: auth })
    expect(head.status).toBe(200)
    req.end(patternSlice(2 * MiB, size))
    expect(await first).toBe(204)
    expect(await hashFile(path.join(dir, 'race.bin'))).toBe(
      createHash('sha256').update(patternSlice(0, size)).digest('hex'),
    )
    expect((await namesIn(dir)).filter((n) => n.includes('race'))).toEqual(['race.bin'])
  })
})
