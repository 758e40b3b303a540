/**
 * `maxUses` across two gateway instances that share only Redis and the FTP server (vsftpd), behind
 * HAProxy's round robin: 50 concurrent downloads of a share allowing 7 give exactly 7 files and 43
 * refusals (410), both instances serving, and a share made on one instance is revoked on the other.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway, testKeyPrefix } from '../../helpers/gateway.js'
import { type HaproxyHandle, startHaproxy } from '../../helpers/haproxy.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

const MAX_USES = 7
const CONCURRENT = 50
const CONTENT = 'x'.repeat(64 * 1024)

/** A counter of one gateway's /metrics (0 when absent). */
async function metric(gw: GatewayHandle, line: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text()
  const found = text.split('\n').find((l) => l.startsWith(`${line} `))
  return found === undefined ? 0 : Number(found.split(' ').pop())
}

describe('share uses across two instances', () => {
  let server: FtpServerHandle
  let a: GatewayHandle
  let b: GatewayHandle
  let lb: HaproxyHandle

  beforeAll(async () => {
    server = await startVsftpd()
    const env = {
      REDIS_KEY_PREFIX: testKeyPrefix('shares2'),
      SESSION_SECRET: 'shares-two-instances-secret-0123',
    }
    ;[a, b] = await Promise.all([startGateway(server, env), startGateway(server, env)])
    lb = await startHaproxy([Number(new URL(a.url).port), Number(new URL(b.url).port)])
    await writeFile(path.join(server.root, 'big.bin'), CONTENT)
  }, 60_000)
  afterAll(async () => {
    await lb?.stop()
    await Promise.all([a?.close(), b?.close()])
    await server?.stop()
  })

  it(`${CONCURRENT} concurrent downloads of a share allowing ${MAX_USES}: exactly ${MAX_USES} succeed`, async () => {
    const made = await fetch(`${a.url}/api/v1/shares`, {
      method: 'POST',
      headers: { authorization: basicAuth(server.user, server.password), 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/big.bin', kind: 'read', maxUses: MAX_USES }),
    })
    expect(made.status).toBe(201)
    const { id } = (await made.json()) as { id: string }
    const results = await Promise.all(
      Array.from({ length: CONCURRENT }, async () => {
        const res = await fetch(`${lb.url}/s/${id}/download`)
        const body = await res.text()
        return { status: res.status, whole: body === CONTENT }
      }),
    )
    const ok = results.filter((r) => r.status === 200)
    expect(ok).toHaveLength(MAX_USES)
    expect(ok.every((r) => r.whole)).toBe(true)
    expect(results.filter((r) => r.status === 410)).toHaveLength(CONCURRENT - MAX_USES)
    // Both instances served uses, and together they counted exactly the allowed ones.
    const served = [
      await metric(a, 'ftpgw_share_uses_total{kind="read",outcome="success"}'),
      await metric(b, 'ftpgw_share_uses_total{kind="read",outcome="success"}'),
    ]
    expect(served[0]! + served[1]!).toBe(MAX_USES)
    const refused =
      (await metric(a, 'ftpgw_share_uses_total{kind="read",outcome="refused"}')) +
      (await metric(b, 'ftpgw_share_uses_total{kind="read",outcome="refused"}'))
    expect(refused).toBe(CONCURRENT - MAX_USES)
    // Round robin sent uses (served or refused) to both instances.
    for (const gw of [a, b]) {
      const seen =
        (await metric(gw, 'ftpgw_share_uses_total{kind="read",outcome="success"}')) +
        (await metric(gw, 'ftpgw_share_uses_total{kind="read",outcome="refused"}'))
      expect(seen).toBeGreaterThan(0)
    }
  })

  it('a share made on one instance is served by the other and revoked from it', async () => {
    const auth = basicAuth(server.user, server.password)
    const made = await fetch(`${a.url}/api/v1/shares`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/big.bin', kind: 'read' }),
    })
    const { id } = (await made.json()) as { id: string }
    expect((await fetch(`${b.url}/s/${id}/download`)).status).toBe(200)
    expect(
      (await fetch(`${b.url}/api/v1/shares/${id}`, { method: 'DELETE', headers: { authorization: auth } }))
        .status,
    ).toBe(204)
    expect((await fetch(`${a.url}/s/${id}/download`)).status).toBe(404)
  })
})
