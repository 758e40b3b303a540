/**
 * Logins against the session pool on a real vsftpd (issue 15 items 6 and 10):
 * - 120 concurrent logins with random names and wrong passwords while a verified user keeps
 *   reading: the user's requests all succeed, at most FTP_POOL_MAX_UNVERIFIED of the bad logins
 *   are ever in progress at once (counted from the engine's command events), and the rest get a
 *   503 with Retry-After;
 * - a password changed on the server stops working through pooled sessions after FTP_REVERIFY_MS,
 *   and the new one works;
 * - an admin drops a user's sessions on every instance (two gateways, one Redis); a non-admin gets
 *   403 and causes no FTP command.
 */
import { randomBytes } from 'node:crypto'
import { chmod, chown, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { identityOf } from '../../src/auth/index.js'
import { type FtpCommandEvent, onFtpCommand } from '../../src/ftp/diagnostics.js'
import { unverifiedBudgetKey } from '../../src/pool/index.js'
import { basicAuth, type GatewayHandle, startGateway, testKeyPrefix } from '../helpers/gateway.js'
import { ensureSystemUser, run } from '../helpers/servers/common.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { waitFor } from '../helpers/wait-for.js'

const BAD_LOGINS = 120
const UNVERIFIED = 4
const REVERIFY_MS = 400
// A user of our own: changing the shared test user's password would break other test files.
const PW_USER = 'ftpgw-pool-pw'

// What the engine sends to log in (a re-verification may fall into any request here).
const LOGIN_COMMANDS = new Set(['USER', 'PASS', 'FEAT', 'OPTS', 'TYPE', 'PWD'])

let server: FtpServerHandle
let a: GatewayHandle
let b: GatewayHandle
let events: FtpCommandEvent[] = []
let unsubscribe: () => void

beforeAll(async () => {
  server = await startVsftpd()
  await ensureSystemUser(PW_USER, 'old-password-1')
  // Both users log in to the same chrooted root: let the second one read it.
  await chmod(server.root, 0o755)
  const file = path.join(server.root, 'data.bin')
  await writeFile(file, randomBytes(4096))
  await chown(file, server.uid, server.gid)
  const prefix = testKeyPrefix('pool-logins')
  const env = {
    REDIS_KEY_PREFIX: prefix,
    FTP_POOL_MAX: '4',
    FTP_POOL_MAX_TOTAL: '8',
    FTP_POOL_MAX_UNVERIFIED: String(UNVERIFIED),
    FTP_REVERIFY_MS: String(REVERIFY_MS),
    CACHE_TTL_MS: '0',
    // Random names: the per-user limit never triggers; the per-address one is not under test here.
    LOGIN_FAIL_LIMIT: '100000',
    GATEWAY_ADMINS: `user:${server.user}`,
  }
  a = await startGateway(server, env)
  b = await startGateway(server, env)
  unsubscribe = onFtpCommand((e) => events.push(e))
})

afterAll(async () => {
  unsubscribe?.()
  await a?.close()
  await b?.close()
  await server?.stop()
})

async function get(gw: GatewayHandle, url: string, user: string, password: string) {
  const res = await fetch(`${gw.url}${url}`, { headers: { authorization: basicAuth(user, password) } })
  const body = await res.text()
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body }
}

/** The most logins refused with 530 that were in progress at once, in the order events arrived. */
function maxConcurrentRefusedLogins(log: FtpCommandEvent[]): number {
  const userAt = new Map<number, number>()
  const intervals: Array<[number, number]> = []
  log.forEach((e, i) => {
    if (e.command === 'USER') userAt.set(e.session, i)
    if (e.command === 'PASS' && e.code === 530) intervals.push([userAt.get(e.session) ?? i, i])
  })
  let max = 0
  for (const [start] of intervals) {
    const overlapping = intervals.filter(([s, end]) => s <= start && end >= start).length
    max = Math.max(max, overlapping)
  }
  return max
}

describe('unverified logins', () => {
  it('keep a verified user served and never take more than the unverified budget', async () => {
    const alice = { user: server.user, password: server.password }
    expect((await get(a, '/api/v1/files/data.bin', alice.user, alice.password)).status).toBe(200)
    events = []
    const bad = Promise.all(
      Array.from({ length: BAD_LOGINS }, () =>
        get(a, '/api/v1/dirs/', `guess-${randomBytes(6).toString('hex')}`, 'wrong-password'),
      ),
    )
    let attackOver = false
    void bad.then(() => {
      attackOver = true
    })
    const aliceStatuses: number[] = []
    // The verified user keeps reading, four requests at a time, for as long as the guesses last.
    while (!attackOver) {
      const round = await Promise.all(
        Array.from({ length: 4 }, () => get(a, '/api/v1/files/data.bin', alice.user, alice.password)),
      )
      aliceStatuses.push(...round.map((r) => r.status))
    }
    const outcomes = await bad
    expect(aliceStatuses.length).toBeGreaterThan(0)
    expect(aliceStatuses.every((s) => s === 200)).toBe(true)
    const refused = outcomes.filter((o) => o.status === 503)
    expect(outcomes.every((o) => o.status === 401 || o.status === 503)).toBe(true)
    expect(refused.length).toBeGreaterThan(0)
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThan(0)
      expect(JSON.parse(r.body).code).toBe('FILE_ERR_UNAVAILABLE')
    }
    const concurrent = maxConcurrentRefusedLogins(events)
    console.info(
      `pool-logins: ${BAD_LOGINS} bad logins -> ${outcomes.length - refused.length} x 401, ${refused.length} x 503; ` +
        `max ${concurrent} refused FTP logins at once; verified user ${aliceStatuses.length} x 200`,
    )
    expect(concurrent).toBeGreaterThan(0)
    expect(concurrent).toBeLessThanOrEqual(UNVERIFIED)
    expect(a.gateway.upstream.pool.stats().unverifiedRefused).toBe(refused.length)
    expect(await a.gateway.store.countLeases(unverifiedBudgetKey(a.gateway.upstream.id))).toBe(0)
  })
})

describe('changed passwords and dropped sessions', () => {
  it('refuses the old password once the re-verification interval has passed, and takes the new one', async () => {
    const oldPw = 'old-password-1'
    const newPw = 'new-password-2'
    await run('chpasswd', [], `${PW_USER}:${oldPw}\n`)
    expect((await get(a, '/api/v1/dirs/', PW_USER, oldPw)).status).toBe(200)
    const oldKey = identityOf(PW_USER, oldPw).key
    const pool = a.gateway.upstream.pool
    expect(pool.stats().perKey[oldKey]?.idle).toBe(1)
    await run('chpasswd', [], `${PW_USER}:${newPw}\n`)
    // The pooled session logged in with the old password is still open; after the interval it may
    // not be reused without a fresh login.
    expect(await waitFor(() => !pool.verified(oldKey), 10_000, 20)).toBe(true)
    const refused = await get(a, '/api/v1/dirs/', PW_USER, oldPw)
    expect(refused.status).toBe(401)
    // Every session of the old credentials is gone at once.
    expect(await waitFor(() => (pool.stats().perKey[oldKey]?.idle ?? 0) === 0, 5000, 20)).toBe(true)
    expect((await get(a, '/api/v1/dirs/', PW_USER, newPw)).status).toBe(200)
    expect((await get(a, '/api/v1/dirs/', PW_USER, oldPw)).status).toBe(401)
  })

  it("lets an admin drop a user's sessions on every instance; a non-admin gets 403 and no FTP command", async () => {
    const pw = 'drop-password-3'
    await run('chpasswd', [], `${PW_USER}:${pw}\n`)
    const key = identityOf(PW_USER, pw).key
    expect((await get(a, '/api/v1/dirs/', PW_USER, pw)).status).toBe(200)
    expect((await get(b, '/api/v1/dirs/', PW_USER, pw)).status).toBe(200)
    expect(b.gateway.upstream.pool.stats().perKey[key]?.idle).toBe(1)

    const url = `/api/v1/admin/users/${PW_USER}/sessions`
    const asUser = { authorization: basicAuth(PW_USER, pw) }
    events = []
    const denied = await fetch(`${a.url}${url}`, { method: 'DELETE', headers: asUser })
    expect(denied.status).toBe(403)
    expect(((await denied.json()) as { code: string }).code).toBe('GW_ERR_NOT_ADMIN')
    // At most a re-verification login (the interval is short here), nothing of the drop.
    expect(events.filter((e) => !LOGIN_COMMANDS.has(e.command))).toEqual([])
    expect(b.gateway.upstream.pool.stats().perKey[key]?.idle).toBe(1)

    // The admin logs in first so that the drop itself is the only thing under test.
    const admin = { authorization: basicAuth(server.user, server.password) }
    expect((await fetch(`${a.url}/api/v1/dirs/`, { headers: admin })).status).toBe(200)
    events = []
    const dropped = await fetch(`${a.url}${url}`, { method: 'DELETE', headers: admin })
    expect(dropped.status).toBe(204)
    expect(events.filter((e) => !LOGIN_COMMANDS.has(e.command) && e.command !== 'QUIT')).toEqual([])
    const gone = (gw: GatewayHandle) => (gw.gateway.upstream.pool.stats().perKey[key]?.idle ?? 0) === 0
    expect(await waitFor(() => gone(a) && gone(b), 5000, 20)).toBe(true)
    // The next request on B logs in again.
    const created = b.gateway.upstream.pool.stats().created
    expect((await get(b, '/api/v1/dirs/', PW_USER, pw)).status).toBe(200)
    expect(b.gateway.upstream.pool.stats().created).toBe(created + 1)
  })
})
