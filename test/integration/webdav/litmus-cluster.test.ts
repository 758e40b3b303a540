/**
 * litmus against two gateway instances sharing Redis behind HAProxy round-robin: locks and dead
 * properties made through one instance must hold on the other.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HaproxyHandle, startHaproxy } from '../../helpers/haproxy.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { type RunningGateway, runLitmus, startGateway } from './harness.js'

// The gateway's config has no key prefix setting: a database of its own keeps this run apart.
const REDIS_DB = 13
const REDIS_URL = `redis://127.0.0.1:6379/${REDIS_DB}`

async function clearDavKeys(): Promise<void> {
  const redis = new Redis(REDIS_URL)
  try {
    const keys = await redis.keys('*dav:*')
    if (keys.length > 0) await redis.del(...keys)
  } finally {
    redis.disconnect()
  }
}

describe('litmus on two instances sharing Redis behind HAProxy', () => {
  let ftp: FtpServerHandle
  const gws: RunningGateway[] = []
  let lb: HaproxyHandle

  beforeAll(async () => {
    await clearDavKeys()
    ftp = await startVsftpd()
    const env = { REDIS_URL, SESSION_SECRET: 'a'.repeat(64) }
    gws.push(await startGateway(ftp, env), await startGateway(ftp, env))
    lb = await startHaproxy(gws.map((g) => g.port))
  })
  afterAll(async () => {
    await lb?.stop()
    for (const g of gws) await g.gateway.close(100)
    await ftp?.stop()
    await clearDavKeys()
  })

  it('passes every test, with requests alternating between the instances', { timeout: 85_000 }, async () => {
    const { summary, output } = await runLitmus(`${lb.url}/dav/`, ftp.user, ftp.password)
    expect(summary.failures, output).toEqual([])
    expect(summary.passed).toBe(104)
    expect(Object.values(summary.suites).every((s) => s.failed === 0)).toBe(true)
    // Both instances served litmus (each opened upstream sessions of its own).
    for (const g of gws) expect(g.gateway.upstream.pool.stats().created).toBeGreaterThan(0)
  })
})
