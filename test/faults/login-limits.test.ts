/**
 * Brute-force limits against real vsftpd, through real HAProxy (`option forwardfor`, as deploy/
 * ships it) in front of two gateway instances sharing one Redis, with TRUST_PROXY=1. Clients bind
 * distinct loopback addresses (127.0.0.x), so HAProxy sees each as its own client. What reached
 * the FTP server is counted in vsftpd's own log (one FAIL LOGIN line per refused login), never timed.
 */
import type http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { basicAuth, deleteRedisKeys, SHARED_REDIS_URL, testKeyPrefix } from '../helpers/gateway.js'
import { type HaproxyHandle, startHaproxy } from '../helpers/haproxy.js'
import { captureLogs } from '../helpers/log-capture.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { record } from './support/counters.js'
import { type AddressedAnswer, requestFrom } from './support/from-address.js'
import { rejectionCounter } from './support/harness.js'

const rejections = rejectionCounter()
const prefix = testKeyPrefix('login-limits')
const LIMIT = 10
const PER_ADDRESS = 20
const PER_USER = 30

interface Instance {
  gateway: Gateway
  port: number
  /** The instance's log, one parsed JSON object per line. */
  logs: Array<Record<string, unknown>>
}

let server: FtpServerHandle
let instances: Instance[] = []
let haproxy: HaproxyHandle
/** Failures the first test spent of the real user's per-user allowance. */
let spentOnUser = 0

async function startInstance(): Promise<Instance> {
  const config = loadConfig({
    FTP_URL: `ftp://127.0.0.1:${server.port}`,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_SECRET: 'login-limits-shared-secret-0123456789',
    TRUST_PROXY: '1',
    LOGIN_FAIL_LIMIT: String(LIMIT),
    LOGIN_FAIL_LIMIT_PER_ADDRESS: String(PER_ADDRESS),
    LOGIN_FAIL_LIMIT_PER_USER: String(PER_USER),
    LOGIN_FAIL_WINDOW_MS: '3600000',
    // These tests count what the login limits let through to the FTP server; the separate budget
    // for unverified logins (pool-logins.test.ts) would otherwise answer most guesses with 503.
    FTP_POOL_MAX_UNVERIFIED: '64',
    FTP_POOL_MAX_TOTAL: '64',
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'info',
  })
  const captured = captureLogs('info')
  const gateway = await createGateway(config, captured.logger)
  await gateway.app.listen({ host: '127.0.0.1', port: 0 })
  const address = gateway.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return { gateway, port: address.port, logs: captured.records }
}

/** A GET of the root listing through HAProxy from `localAddress`, with extra headers. */
function list(
  auth: string,
  localAddress: string,
  headers: http.OutgoingHttpHeaders = {},
): Promise<AddressedAnswer> {
  return requestFrom(`${haproxy.url}/api/v1/dirs/`, localAddress, {
    headers: { authorization: auth, ...headers },
  })
}

/**
 * FTP logins (PASS commands) vsftpd logged for `user` so far. Every guess uses its own password:
 * the gateway answers a repeated wrong password from memory without a new FTP login.
 */
async function ftpLogins(user: string | RegExp): Promise<number> {
  const lines = await server.commandLog()
  return lines.filter((l) => {
    const m = /\[([^\]]+)\] FTP command: Client "[^"]*", "PASS /.exec(l)
    return m !== null && (typeof user === 'string' ? m[1] === user : user.test(m[1] as string))
  }).length
}

function allLogs(): Array<Record<string, unknown>> {
  return instances.flatMap((i) => i.logs)
}

beforeAll(async () => {
  server = await startVsftpd()
  instances = await Promise.all([startInstance(), startInstance()])
  haproxy = await startHaproxy(
    instances.map((i) => i.port),
    { forwardFor: true },
  )
})

afterAll(async () => {
  await haproxy?.stop()
  await Promise.all(instances.map((i) => i.gateway.close(1000)))
  await deleteRedisKeys(SHARED_REDIS_URL, prefix)
  await server?.stop()
})

describe('login limits through HAProxy over two instances (TRUST_PROXY=1)', () => {
  it('60 concurrent wrong passwords with rotating X-Forwarded-For: at most the limit reach vsftpd, the rest 429', async () => {
    const before = await ftpLogins(server.user)
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        list(basicAuth(server.user, `guess-${i}`), '127.0.0.2', { 'x-forwarded-for': `203.0.113.${i + 1}` }),
      ),
    )
    const reached = (await ftpLogins(server.user)) - before
    const unauthorized = results.filter((r) => r.status === 401).length
    const limited = results.filter((r) => r.status === 429)
    console.info(
      `login-limits: 60 concurrent → ${reached} FTP logins, ${unauthorized} 401, ${limited.length} 429`,
    )
    record({ cases: 1, badInputs: 60 })
    spentOnUser = reached
    expect(reached).toBeLessThanOrEqual(LIMIT)
    expect(unauthorized).toBe(reached)
    expect(limited).toHaveLength(60 - unauthorized)
    // Refused by the window's limit while the ban was being written, by the ban after (bans.test.ts).
    for (const r of limited) {
      expect(['AUTH_ERR_RATE_LIMITED', 'AUTH_ERR_BANNED']).toContain(r.code)
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1)
    }
    // Both instances counted into the same Redis and refused; the logs name the client HAProxy saw.
    for (const instance of instances) {
      expect(instance.logs.some((l) => l.msg === 'login rate-limited' || l.msg === 'login banned')).toBe(true)
    }
    const loginLines = allLogs().filter(
      (l) => l.msg === 'login refused' || l.msg === 'login rate-limited' || l.msg === 'login banned',
    )
    expect(new Set(loginLines.map((l) => l.address))).toEqual(new Set(['127.0.0.2']))
    expect(JSON.stringify(allLogs())).not.toContain('203.0.113.')
  })

  it('spraying many user names from one address is limited per address', async () => {
    const before = await ftpLogins(/^spray-/)
    const results = (
      await Promise.all(Array.from({ length: 40 }, (_, i) => list(basicAuth(`spray-${i}`, 'x'), '127.0.0.3')))
    ).map((r) => r.status)
    const reached = (await ftpLogins(/^spray-/)) - before
    console.info(`login-limits: 40 user names from one address → ${reached} FTP logins`)
    expect(reached).toBeLessThanOrEqual(PER_ADDRESS)
    expect(results.filter((s) => s === 429)).toHaveLength(40 - PER_ADDRESS)
    // Another client is not affected.
    expect((await list(basicAuth(server.user, server.password), '127.0.0.20')).status).toBe(200)
  })

  it('a user under attack from many addresses: attackers stopped, the real password from another address works', async () => {
    // The first test spent some of the user's 30; four more addresses fire 10 guesses each.
    const before = await ftpLogins(server.user)
    const statuses: number[] = []
    for (const [n, address] of ['127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7'].entries()) {
      const batch = await Promise.all(
        Array.from({ length: LIMIT }, (_, i) => list(basicAuth(server.user, `attack-${n}-${i}`), address)),
      )
      statuses.push(...batch.map((r) => r.status))
    }
    const reached = (await ftpLogins(server.user)) - before
    console.info(`login-limits: 40 guesses from 4 addresses at a user → ${reached} FTP logins`)
    // At most what fills the per-user limit, then one (the first) per fresh address.
    expect(reached).toBeLessThanOrEqual(PER_USER - spentOnUser + 2)
    expect(statuses.filter((s) => s === 401)).toHaveLength(reached)
    expect(statuses.filter((s) => s === 429)).toHaveLength(40 - reached)
    expect(
      allLogs().some(
        (l) => (l.msg === 'login rate-limited' || l.msg === 'login banned') && l.limit === 'user',
      ),
    ).toBe(true)
    // The attackers stay locked out, even with the right password.
    const right = basicAuth(server.user, server.password)
    expect((await list(right, '127.0.0.2')).status).toBe(429)
    expect((await list(right, '127.0.0.6')).status).toBe(429)
    // The real user, from an address that has not failed, gets in, and keeps getting in.
    for (let i = 0; i < 5; i++) expect((await list(right, '127.0.0.8')).status).toBe(200)
    const burst = await Promise.all(Array.from({ length: 12 }, () => list(right, '127.0.0.8')))
    expect(burst.map((r) => r.status)).toEqual(Array(12).fill(200))
    expect(rejections()).toEqual([])
  })
})
