/**
 * A Redis Sentinel failover under bearer-token downloads (issue 22). Real processes: a master, a
 * replica and three `redis-server --sentinel`, vsftpd, and a gateway reaching Redis through the
 * sentinels. Sequential downloads with one token run while the master is SIGKILLed; the sentinels
 * promote the replica and the gateway follows. No download may fail: a token the store confirmed
 * recently is accepted from the gateway's bounded memory while the store cannot be read
 * (TOKEN_CACHE_TTL_MS). The store really was unreachable meanwhile (its errors are counted), and
 * once the promoted replica serves, revoking the token works and is refused at once.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway, testKeyPrefix } from '../../helpers/gateway.js'
import { SENTINEL_MASTER_NAME, type SentinelSetup, startSentinelSetup } from '../../helpers/redis-sentinel.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

let sentinels: SentinelSetup
let server: FtpServerHandle
let gw: GatewayHandle
const content = randomBytes(128 * 1024)

beforeAll(async () => {
  sentinels = await startSentinelSetup({ downAfterMs: 1000 })
  server = await startVsftpd()
  gw = await startGateway(server, {
    REDIS_URL: '',
    REDIS_SENTINELS: sentinels.sentinelsSetting,
    REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
    REDIS_KEY_PREFIX: testKeyPrefix('failover'),
  })
  const put = await fetch(`${gw.url}/api/v1/files/failover.bin`, {
    method: 'PUT',
    headers: { authorization: basicAuth(server.user, server.password) },
    body: content,
  })
  expect(put.status).toBe(201)
}, 60_000)

afterAll(async () => {
  await gw?.close()
  await server?.stop()
  await sentinels?.stop()
})

async function storeErrors(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text()
  const m = /^ftpgw_store_errors_total (\d+)/m.exec(text)
  return Number(m?.[1] ?? Number.NaN)
}

async function storeAnswers(): Promise<boolean> {
  return gw.gateway.store.ping().then(
    () => true,
    () => false,
  )
}

describe('Redis Sentinel failover', () => {
  it('costs no bearer-token download; revocation works once the replica is promoted', async () => {
    const login = await fetch(`${gw.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: server.user, password: server.password }),
    })
    expect(login.status).toBe(201)
    const { token } = (await login.json()) as { token: string }
    const bearer = { authorization: `Bearer ${token}` }

    const failures: string[] = []
    let downloads = 0
    let duringOutage = 0
    const download = async (outage: boolean) => {
      downloads++
      if (outage) duringOutage++
      try {
        const r = await fetch(`${gw.url}/api/v1/files/failover.bin`, { headers: bearer })
        const body = Buffer.from(await r.arrayBuffer())
        if (r.status !== 200 || !body.equals(content)) failures.push(`${r.status} ${body.length} bytes`)
      } catch (err) {
        failures.push(String(err))
      }
    }

    for (let i = 0; i < 20; i++) await download(false)
    const errorsBefore = await storeErrors()
    sentinels.killMaster()
    const killedAt = Date.now()
    // Downloads go on, one after another, until the sentinels have promoted the replica and the
    // gateway's store answers through it again (bounded: a failover that never completes fails).
    let restored = false
    while (!restored && Date.now() - killedAt < 60_000) {
      await download(true)
      restored = (await sentinels.currentMasterPort()) === sentinels.replicaPort && (await storeAnswers())
    }
    const outageMs = Date.now() - killedAt
    for (let i = 0; i < 20; i++) await download(false)
    const errorsAfter = await storeErrors()
    console.info(
      `redis-failover: ${downloads} bearer downloads, ${duringOutage} between the kill and the store answering again (${outageMs} ms), ${failures.length} failed, ${errorsAfter - errorsBefore} store errors meanwhile`,
    )

    expect(restored).toBe(true)
    expect(failures).toEqual([])
    // The store really was unreachable while downloads went on.
    expect(errorsAfter).toBeGreaterThan(errorsBefore)
    expect(duringOutage).toBeGreaterThan(0)

    // Writes to the store work again through the promoted replica: revoke, then refused at once.
    const revoke = await fetch(`${gw.url}/api/v1/sessions/current`, { method: 'DELETE', headers: bearer })
    expect(revoke.status).toBe(204)
    const after = await fetch(`${gw.url}/api/v1/files/failover.bin`, { headers: bearer })
    expect(after.status).toBe(401)
    // And new logins are served again.
    const relogin = await fetch(`${gw.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: server.user, password: server.password }),
    })
    expect(relogin.status).toBe(201)
  }, 120_000)
})
