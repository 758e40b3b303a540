/**
 * Expiry across instances: two gateways share Redis and vsftpd with UPLOAD_EXPIRY_MS at its
 * minimum. An upload created and half written through A is removed from the FTP server by
 * whichever instance's sweep finds it first, exactly once (the lock decides), and is then unknown
 * to both. An upload kept busy is not removed (expiry counts from its last PATCH).
 */
import { chown, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway, testKeyPrefix } from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { namesIn, patternSlice, tus, tusMetadata } from '../../helpers/tus.js'
import { waitFor } from '../../helpers/wait-for.js'

const MiB = 1024 * 1024

async function metric(gw: GatewayHandle, name: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

describe('tus expiry on two instances', () => {
  let server: FtpServerHandle
  let a: GatewayHandle
  let b: GatewayHandle
  let auth: string

  beforeAll(async () => {
    server = await startVsftpd()
    const env = {
      REDIS_KEY_PREFIX: testKeyPrefix('tusexp'),
      SESSION_SECRET: 'tus-expiry-secret-0123456789abcdef',
      UPLOAD_EXPIRY_MS: '1000',
    }
    ;[a, b] = await Promise.all([startGateway(server, env), startGateway(server, env)])
    auth = basicAuth(server.user, server.password)
    await mkdir(path.join(server.root, 'exp'))
    await chown(path.join(server.root, 'exp'), server.uid, server.gid)
  })
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()])
    await server?.stop()
  })

  const partials = async () =>
    (await namesIn(path.join(server.root, 'exp'))).filter((n) => n.endsWith('.part'))

  it('an abandoned upload is removed from the FTP server once, by whichever instance sees it first', async () => {
    const created = await tus(`${a.url}/api/v1/uploads/`, 'POST', {
      authorization: auth,
      'upload-length': String(4 * MiB),
      'upload-metadata': tusMetadata({ path: 'exp/abandoned.bin' }),
    })
    expect(created.status).toBe(201)
    const location = created.headers.get('location')!
    const r = await tus(
      `${a.url}${location}`,
      'PATCH',
      { authorization: auth, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      patternSlice(0, MiB),
    )
    expect(r.status).toBe(204)
    expect(await partials()).toHaveLength(1)
    expect(await waitFor(async () => (await partials()).length === 0, 15_000), 'partial file removed').toBe(
      true,
    )
    expect(await namesIn(path.join(server.root, 'exp'))).toEqual([])
    const expired =
      (await metric(a, 'ftpgw_uploads_total{event="expired"}')) +
      (await metric(b, 'ftpgw_uploads_total{event="expired"}'))
    expect(expired).toBe(1)
    for (const gw of [a, b])
      expect((await tus(`${gw.url}${location}`, 'HEAD', { authorization: auth })).status).toBe(404)
  })

  it('an upload that keeps receiving PATCHes is not expired (expiry counts from the last one)', async () => {
    const piece = 512 * 1024
    const size = 5 * piece
    const created = await tus(`${b.url}/api/v1/uploads/`, 'POST', {
      authorization: auth,
      'upload-length': String(size),
      'upload-metadata': tusMetadata({ path: 'exp/busy.bin' }),
    })
    const location = created.headers.get('location')!
    const started = Date.now()
    // Five PATCHes 350 ms apart, alternating instances: together longer than the expiry, never
    // that long between two of them. (The pause is time that must pass, not synchronisation.)
    for (let i = 0; i < 5; i++) {
      const gw = i % 2 === 0 ? a : b
      const r = await tus(
        `${gw.url}${location}`,
        'PATCH',
        {
          authorization: auth,
          'content-type': 'application/offset+octet-stream',
          'upload-offset': String(i * piece),
        },
        patternSlice(i * piece, (i + 1) * piece),
      )
      expect(r.status).toBe(204)
      const last = Date.now()
      if (i < 4) await waitFor(() => Date.now() - last >= 350, 1000, 10)
    }
    const took = Date.now() - started
    console.info(`tus expiry: five PATCHes took ${took} ms (expiry 1000 ms)`)
    expect(took).toBeGreaterThan(1000)
    expect(await namesIn(path.join(server.root, 'exp'))).toEqual(['busy.bin'])
  })
})
