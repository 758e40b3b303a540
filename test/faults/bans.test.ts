/**
 * The shared ban list against real vsftpd, through real HAProxy (`option forwardfor`, as deploy/
 * ships it) in front of two gateway instances sharing one Redis, as login-limits.test.ts sets it
 * up. Clients bind distinct loopback addresses (127.0.0.x), so HAProxy sees each as its own client;
 * a pin header sends a request to instance 0 or 1. What reached the FTP server is read in vsftpd's
 * own command log; a ban's start and end are read in the gateways' logs and the admin list, never
 * timed.
 */
import type http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BANS_WITHOUT_TRUST_PROXY } from '../../src/config/trust-proxy.js'
import { loadConfig } from '../../src/config.js'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { FORWARDED_WITHOUT_TRUST_PROXY } from '../../src/http/forwarded-warning.js'
import { basicAuth, deleteRedisKeys, SHARED_REDIS_URL, testKeyPrefix } from '../helpers/gateway.js'
import { type HaproxyHandle, startHaproxy } from '../helpers/haproxy.js'
import { captureLogs } from '../helpers/log-capture.js'
import { startVsftpd, type VsftpdHandle } from '../helpers/servers/index.js'
import { waitFor } from '../helpers/wait-for.js'
import { record } from './support/counters.js'
import { type AddressedAnswer, requestFrom } from './support/from-address.js'
import { rejectionCounter } from './support/harness.js'

const rejections = rejectionCounter()
const LIMIT = 3
const PER_USER = 8
const PIN = 'x-gw'
const ADMIN = { name: 'ftpgw-banadm', password: 'banadm-pw' }

interface Instance {
  gateway: Gateway
  port: number
  /** The instance's log, one parsed JSON object per line. */
  logs: Array<Record<string, unknown>>
}

interface Cluster {
  instances: Instance[]
  haproxy: HaproxyHandle
  prefix: string
}

type Answer = AddressedAnswer

let server: VsftpdHandle
let admin: string

async function startInstance(prefix: string, env: Record<string, string>): Promise<Instance> {
  const config = loadConfig({
    FTP_URL: `ftp://127.0.0.1:${server.port}`,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_SECRET: 'bans-shared-secret-0123456789abcdef',
    LOGIN_FAIL_LIMIT: String(LIMIT),
    LOGIN_FAIL_LIMIT_PER_ADDRESS: '20',
    LOGIN_FAIL_LIMIT_PER_USER: String(PER_USER),
    LOGIN_FAIL_WINDOW_MS: '3600000',
    BAN_BASE_SECONDS: '600',
    BAN_MEMORY_SECONDS: '3600',
    BAN_MAX_SECONDS: '3600',
    GATEWAY_ADMINS: `user:${ADMIN.name}`,
    FTP_POOL_MAX_UNVERIFIED: '64',
    FTP_POOL_MAX_TOTAL: '64',
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'info',
    ...env,
  })
  const captured = captureLogs('info')
  const gateway = await createGateway(config, captured.logger)
  await gateway.app.listen({ host: '127.0.0.1', port: 0 })
  const address = gateway.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return { gateway, port: address.port, logs: captured.records }
}

async function startCluster(name: string, env: Record<string, string>): Promise<Cluster> {
  const prefix = testKeyPrefix(name)
  const instances = await Promise.all([startInstance(prefix, env), startInstance(prefix, env)])
  const haproxy = await startHaproxy(
    instances.map((i) => i.port),
    { forwardFor: true, pinHeader: PIN },
  )
  return { instances, haproxy, prefix }
}

async function stopCluster(cluster: Cluster | undefined): Promise<void> {
  if (cluster === undefined) return
  await cluster.haproxy.stop()
  await Promise.all(cluster.instances.map((i) => i.gateway.close(1000)))
  await deleteRedisKeys(SHARED_REDIS_URL, cluster.prefix)
}

/** One request through HAProxy from `localAddress` (pinned to an instance when `pin` is given). */
function send(
  cluster: Cluster,
  method: string,
  path: string,
  localAddress: string,
  options: { auth?: string; pin?: 0 | 1; headers?: http.OutgoingHttpHeaders; body?: string } = {},
): Promise<Answer> {
  const headers: http.OutgoingHttpHeaders = { ...options.headers }
  if (options.auth) headers.authorization = options.auth
  if (options.pin !== undefined) headers[PIN] = String(options.pin)
  return requestFrom(`${cluster.haproxy.url}${path}`, localAddress, {
    method,
    headers,
    ...(options.body !== undefined && { body: options.body }),
  })
}

/** GET of the root listing with Basic credentials. */
function list(cluster: Cluster, auth: string, localAddress: string, pin?: 0 | 1): Promise<Answer> {
  return send(cluster, 'GET', '/api/v1/dirs/', localAddress, { auth, ...(pin !== undefined && { pin }) })
}

interface ListedBan {
  id: string
  kind: string
  subject: string
  since: string
  until: string
  strikes: number
  reason: string
}

async function bans(cluster: Cluster, from = '127.0.0.200'): Promise<ListedBan[]> {
  const r = await send(cluster, 'GET', '/api/v1/admin/bans', from, { auth: admin })
  expect(r.status, r.body).toBe(200)
  return (JSON.parse(r.body) as { bans: ListedBan[] }).bans
}

/** vsftpd's command log lines that name `text` (a user name: USER and PASS lines carry it). */
async function ftpLinesNaming(text: string): Promise<string[]> {
  return (await server.commandLog()).filter((l) => l.includes(text))
}

/** FTP logins (PASS commands) vsftpd logged for `user`. */
async function ftpLogins(user: string): Promise<number> {
  const lines = await server.commandLog()
  return lines.filter((l) => {
    const m = /\[([^\]]+)\] FTP command: Client "[^"]*", "PASS /.exec(l)
    return m !== null && m[1] === user
  }).length
}

function logsOf(cluster: Cluster): Array<Record<string, unknown>> {
  return cluster.instances.flatMap((i) => i.logs)
}

beforeAll(async () => {
  server = await startVsftpd({ users: [ADMIN] })
  admin = basicAuth(ADMIN.name, ADMIN.password)
})

afterAll(async () => {
  await server?.stop()
})

describe('bans through HAProxy over two instances (TRUST_PROXY=1)', () => {
  let c: Cluster
  const attacker = '127.0.0.41'
  beforeAll(async () => {
    c = await startCluster('bans-trusted', { TRUST_PROXY: '1' })
  })
  afterAll(async () => stopCluster(c))

  it('an address banned through instance A is banned on B: 429 + Retry-After on every face, no FTP login', async () => {
    const right = basicAuth(server.user, server.password)
    for (let i = 0; i < LIMIT; i++) {
      expect((await list(c, basicAuth(server.user, `wrong-${i}`), attacker, 0)).status).toBe(401)
    }
    const issued = c.instances[0]?.logs.find((l) => l.msg === 'ban issued')
    expect(issued).toMatchObject({ kind: 'address', subject: attacker, strikes: 1, seconds: 600 })
    const loginsBefore = await ftpLogins(server.user)
    // On B: the right password, another user name, a session, WebDAV, the browse sign-in.
    const probe = 'ftpgw-banprobe'
    const answers = [
      await list(c, right, attacker, 1),
      await list(c, basicAuth(probe, 'x'), attacker, 1),
      await list(c, right, attacker, 0),
      await send(c, 'POST', '/api/v1/sessions', attacker, {
        pin: 1,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: server.user, password: server.password }),
      }),
    ]
    for (const a of answers) {
      expect(a.status, a.body).toBe(429)
      expect(a.code, a.body).toBe('AUTH_ERR_BANNED')
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1)
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(600)
    }
    // WebDAV answers errors without a body (its clients read the status and headers only).
    const dav = await send(c, 'PROPFIND', '/dav/', attacker, { pin: 1, auth: right, headers: { depth: '1' } })
    expect(dav.status).toBe(429)
    expect(Number(dav.retryAfter)).toBeGreaterThanOrEqual(1)
    const signIn = await send(c, 'POST', '/_browse/login', attacker, {
      pin: 1,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        username: server.user,
        password: server.password,
        next: '/browse/',
      }).toString(),
    })
    expect(signIn.status).toBe(429)
    expect(Number(signIn.retryAfter)).toBeGreaterThanOrEqual(1)
    record({ cases: 1, badInputs: answers.length + 2 })
    // Nothing reached the FTP server: no PASS for the real user, no USER or PASS for the probe.
    expect(await ftpLogins(server.user)).toBe(loginsBefore)
    expect(await ftpLinesNaming(probe)).toEqual([])
    // B refused from the shared record: its log says so, with the address HAProxy saw.
    const refusedOnB = c.instances[1]?.logs.filter((l) => l.msg === 'login banned') ?? []
    expect(refusedOnB.length).toBeGreaterThanOrEqual(1)
    expect(new Set(refusedOnB.map((l) => l.address))).toEqual(new Set([attacker]))
    // Never a password in a log line.
    expect(JSON.stringify(logsOf(c))).not.toContain(server.password)
    // Other addresses are not affected.
    expect((await list(c, right, '127.0.0.42', 1)).status).toBe(200)
    expect((await list(c, right, '127.0.0.42', 0)).status).toBe(200)
  })

  it('a user name under attack is banned for the attackers, while the real user from a clean address logs in', async () => {
    // The first test spent LIMIT of the user's PER_USER failures; these fill the rest.
    const attackers = ['127.0.0.51', '127.0.0.52', '127.0.0.53']
    let n = 0
    for (const address of attackers) {
      for (let i = 0; i < 2; i++) await list(c, basicAuth(server.user, `attack-${n++}`), address)
    }
    const userBan = logsOf(c).find((l) => l.msg === 'ban issued' && l.kind === 'user')
    expect(userBan).toMatchObject({ subject: server.user, strikes: 1, reason: 'LOGIN_FAIL_LIMIT_PER_USER' })
    const right = basicAuth(server.user, server.password)
    const before = await ftpLogins(server.user)
    for (const address of attackers) {
      const r = await list(c, right, address)
      expect(r.status).toBe(429)
      expect(r.code).toBe('AUTH_ERR_BANNED')
    }
    expect(await ftpLogins(server.user)).toBe(before)
    // The real user, from an address without failures, gets in, and keeps getting in on both.
    for (let i = 0; i < 4; i++) expect((await list(c, right, '127.0.0.60')).status).toBe(200)
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) => list(c, right, '127.0.0.60', (i % 2) as 0 | 1)),
    )
    expect(burst.map((r) => r.status)).toEqual(Array(8).fill(200))
  })

  it('an admin lists and lifts the ban, and the address logs in again; a non-admin gets 403 and lifts nothing', async () => {
    const listed = await bans(c)
    const addressBan = listed.find((b) => b.kind === 'address' && b.subject === attacker)
    expect(addressBan).toMatchObject({ strikes: 1, reason: 'LOGIN_FAIL_LIMIT' })
    expect(Date.parse(addressBan?.until ?? '')).toBeGreaterThan(Date.parse(addressBan?.since ?? ''))
    expect(listed.find((b) => b.kind === 'user')?.subject).toBe(server.user)
    const id = addressBan?.id ?? ''

    // A non-admin (the real FTP user, signed in fine) is refused, and nothing is lifted.
    const user = basicAuth(server.user, server.password)
    const forbiddenList = await send(c, 'GET', '/api/v1/admin/bans', '127.0.0.60', { auth: user })
    expect(forbiddenList.status).toBe(403)
    expect(forbiddenList.code).toBe('GW_ERR_NOT_ADMIN')
    const forbiddenLift = await send(c, 'DELETE', `/api/v1/admin/bans/${id}`, '127.0.0.60', { auth: user })
    expect(forbiddenLift.status).toBe(403)
    expect(await bans(c)).toEqual(listed)
    expect((await list(c, user, attacker)).status).toBe(429)

    // Bad ids: 400 for a malformed one, 404 for a well-formed one with no ban; the list is untouched.
    const bad: Array<[string, number]> = [
      ['nope', 400],
      [`${id}0`, 400],
      [id.toUpperCase(), 400],
      [`x${id.slice(1)}`, 400],
      // The dots are resolved before routing: no ban route at all.
      ['%2e%2e', 404],
      [`${id.slice(0, -1)}%00`, 400],
      [encodeURIComponent(`${id}\r\nx: y`), 400],
      ['a'.repeat(5000), 400],
      [`a${'0'.repeat(32)}`, 404],
      [`u${id.slice(1)}`, 404],
    ]
    for (const [badId, status] of bad) {
      const r = await send(c, 'DELETE', `/api/v1/admin/bans/${badId}`, '127.0.0.200', { auth: admin })
      expect(r.status, badId).toBe(status)
      // A well-formed id with no ban in force is the ban route's own 404.
      if (status === 404 && /^[au][0-9a-f]{32}$/.test(badId)) expect(r.code).toBe('GW_ERR_NO_BAN')
    }
    record({ cases: 1, badInputs: bad.length + 2 })
    expect(await bans(c)).toEqual(listed)

    // The admin lifts it through A; B lets the address in at once.
    const lifted = await send(c, 'DELETE', `/api/v1/admin/bans/${id}`, '127.0.0.200', { auth: admin, pin: 0 })
    expect(lifted.status).toBe(204)
    expect((await bans(c)).map((b) => b.id)).not.toContain(id)
    expect((await send(c, 'DELETE', `/api/v1/admin/bans/${id}`, '127.0.0.200', { auth: admin })).status).toBe(
      404,
    )
    // Another user from the formerly banned address gets in at once.
    const adminFromThere = await list(c, admin, attacker, 1)
    expect(adminFromThere.status).toBe(200)
    // Audited: the lift, and each refused attempt (the non-admin's included) as a failure.
    const liftLines = logsOf(c).filter((l) => l.audit === true && l.action === 'ban-lift')
    expect(liftLines.filter((l) => l.outcome === 'success')).toEqual([
      expect.objectContaining({ user: ADMIN.name, to: id, status: 204 }),
    ])
    expect(liftLines.some((l) => l.outcome === 'failure' && l.user === server.user && l.to === id)).toBe(true)
    expect(c.instances[0]?.logs.some((l) => l.msg === 'ban lifted' && l.by === ADMIN.name)).toBe(true)

    // Lifting the user's ban too lets the real user in from the formerly banned address.
    const userBan = (await bans(c)).find((b) => b.kind === 'user')
    expect(
      (await send(c, 'DELETE', `/api/v1/admin/bans/${userBan?.id}`, '127.0.0.200', { auth: admin })).status,
    ).toBe(204)
    expect((await list(c, user, '127.0.0.51', 1)).status).toBe(200)
    expect(await bans(c)).toEqual([])
  })

  it('metrics count the bans issued and in force', async () => {
    const r = await send(c, 'GET', '/metrics', '127.0.0.200', { pin: 0 })
    expect(r.status).toBe(200)
    expect(r.body).toMatch(/^ftpgw_bans_issued_total\{kind="address"\} [1-9]/m)
    expect(r.body).toMatch(/^ftpgw_bans_lifted_total\{kind="address"\} 1$/m)
    expect(r.body).toMatch(/^ftpgw_bans_active\{kind="address"\} 0$/m)
    expect(rejections()).toEqual([])
  })
})

describe('a repeat within the memory doubles the ban (TRUST_PROXY=1, BAN_BASE_SECONDS=1)', () => {
  let c: Cluster
  beforeAll(async () => {
    c = await startCluster('bans-repeat', { TRUST_PROXY: '1', BAN_BASE_SECONDS: '1' })
  })
  afterAll(async () => stopCluster(c))

  it('1 s, then 2 s, then 4 s: each repeat doubles the ban (the failures spread over both instances)', async () => {
    const address = '127.0.0.71'
    let n = 0
    for (let round = 1; round <= 3; round++) {
      // Each round starts once the previous ban has ended (read from the admin list, not timed).
      expect(
        await waitFor(async () => !(await bans(c)).some((b) => b.subject === address), 30_000),
        'previous ban ended',
      ).toBe(true)
      for (let i = 0; i < LIMIT; i++) {
        // A user name per round: the per-user count must not be what fills up.
        expect((await list(c, basicAuth(`ftpgw-repeat-${round}`, `w-${n++}`), address)).status).toBe(401)
      }
    }
    const issued = logsOf(c)
      .filter((l) => l.msg === 'ban issued' && l.subject === address)
      .map((l) => [l.strikes, l.seconds])
      .sort((a, b) => Number(a[0]) - Number(b[0]))
    expect(issued).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
    ])
  })
})

describe('without TRUST_PROXY every client is the balancer', () => {
  let c: Cluster
  beforeAll(async () => {
    c = await startCluster('bans-untrusted', {})
  })
  afterAll(async () => stopCluster(c))

  it('the start-up warning is logged, and one client banned bans every client behind HAProxy', async () => {
    for (const instance of c.instances)
      expect(instance.logs.some((l) => l.msg === BANS_WITHOUT_TRUST_PROXY)).toBe(true)
    for (let i = 0; i < LIMIT; i++) {
      expect((await list(c, basicAuth(server.user, `nope-${i}`), '127.0.0.81')).status).toBe(401)
    }
    // The ban names HAProxy's address, not the client's.
    const issued = logsOf(c).find((l) => l.msg === 'ban issued')
    expect(issued).toMatchObject({ kind: 'address', subject: '127.0.0.1' })
    // A different client with the right password (and the admin) is refused: it shares the address.
    const other = await list(c, basicAuth(server.user, server.password), '127.0.0.82')
    expect(other.status).toBe(429)
    expect(other.code).toBe('AUTH_ERR_BANNED')
    expect((await send(c, 'GET', '/api/v1/admin/bans', '127.0.0.83', { auth: admin })).status).toBe(429)
    // The forwarded header was seen and not believed: said once per instance that saw it.
    expect(logsOf(c).some((l) => l.msg === FORWARDED_WITHOUT_TRUST_PROXY)).toBe(true)
    expect(JSON.stringify(logsOf(c))).not.toContain('127.0.0.8')
    expect(rejections()).toEqual([])
  })
})
