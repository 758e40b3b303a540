/**
 * Mapped FTP accounts end to end (issue 18): a real OpenID provider, a real vsftpd and a real
 * Pure-FTPd, and an in-process gateway configured by a GATEWAY_CONFIG file with both upstreams
 * `credentials: mapped` (mounted at /vs and /pure) and a service-account upstream (/svc). A person
 * signed in with a JWT (no FTP password of their own):
 * - is refused with 403 AUTH_ERR_NOT_LINKED on a mapped upstream before any FTP command;
 * - links an account: a wrong password is 422 and nothing is stored, a right one 204, then reads and
 *   writes land on each server as that account; /me reports every upstream truthfully;
 * - unlinks: the next request there is 403 again;
 * - bad input (unknown upstream, a service upstream, a missing body, a malformed name) is its 4xx;
 * - an administrator links and unlinks for another person, lists and revokes their app passwords;
 *   a non-administrator may not.
 * Afterwards no Redis value under the test's prefix, no log line and no /metrics text holds either
 * FTP password.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import {
  type GatewayHandle,
  SHARED_REDIS_URL,
  startGatewayWith,
  testGatewayEnv,
} from '../../helpers/gateway.js'
import { type CapturedLogs, captureLogs } from '../../helpers/log-capture.js'
import { startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js'
import { OpenApiValidator, readChecked } from '../../helpers/openapi-validator.js'
import {
  type FtpServerHandle,
  startPureFtpd,
  startVsftpd,
  type VsftpdHandle,
} from '../../helpers/servers/index.js'

let vs: VsftpdHandle
let pure: FtpServerHandle
let idp: TestOidcProvider
let gw: GatewayHandle
let dir: string
let logs: CapturedLogs
const contract = new OpenApiValidator()
const offContract: string[] = []

async function rest(token: string, p: string, init: RequestInit & { json?: unknown } = {}) {
  const { json: body, ...rest } = init
  const r = await fetch(`${gw.url}/api/v1${p}`, {
    ...rest,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...rest.headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return readChecked(contract, offContract, init.method ?? 'GET', `/api/v1${p}`, r)
}

/** FTP commands each server has seen so far (login, file commands; not probes' QUIT/NOOP). */
async function commandCounts(): Promise<[number, number]> {
  const count = (lines: string[]) =>
    lines.filter((l) => /USER|PASS|RETR|STOR|LIST|MLSD|SIZE|MDTM|CWD/.test(l)).length
  return [count(await vs.commandLog()), count(await pure.commandLog())]
}

beforeAll(async () => {
  ;[vs, pure] = await Promise.all([startVsftpd(), startPureFtpd()])
  await writeFile(path.join(vs.root, 'on-vs.txt'), 'hello from vsftpd')
  await writeFile(path.join(pure.root, 'on-pure.txt'), 'hello from pure-ftpd')
  idp = await startOidcProvider({
    users: { alice: { groups: ['staff'] }, bob: { groups: ['ops'] }, carol: { groups: [] } },
  })
  dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-mapped-'))
  const file = path.join(dir, 'gateway.yaml')
  const svcAccount = `${encodeURIComponent(vs.user)}:${encodeURIComponent(vs.password)}`
  await mkdir(path.join(vs.root, 'shared'), { recursive: true })
  await writeFile(
    file,
    `oidc:
  issuer: ${idp.issuer}
  clientId: ${idp.clientId}
  clientSecret: ${idp.clientSecret}
admins: ["user:bob"]
upstreams:
  vs:
    url: ftp://127.0.0.1:${vs.port}
    credentials: mapped
  pure:
    url: ftp://127.0.0.1:${pure.port}
    credentials: mapped
  svc:
    url: ftp://${svcAccount}@127.0.0.1:${vs.port}
mounts:
  - path: /vs
    upstream: vs
  - path: /pure
    upstream: pure
  - path: /svc
    upstream: svc
    root: shared
`,
  )
  logs = captureLogs('debug')
  gw = await startGatewayWith(loadConfig(testGatewayEnv({ GATEWAY_CONFIG: file, LOG_LEVEL: 'debug' })), {
    logger: logs.logger,
  })
}, 60_000)

afterAll(async () => {
  await gw?.close()
  await idp?.close()
  await Promise.all([vs?.stop(), pure?.stop()])
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('mapped upstreams', () => {
  it('refuse an unlinked person before any FTP command, /me says not linked', async () => {
    const alice = await idp.idToken('alice')
    const me = await rest(alice, '/me')
    expect(me.status).toBe(200)
    expect(me.json.upstreams).toEqual([
      { name: 'vs', credentials: 'mapped', linked: false },
      { name: 'pure', credentials: 'mapped', linked: false },
      { name: 'svc', credentials: 'service', linked: true },
    ])
    const before = await commandCounts()
    const refused = await rest(alice, '/files/vs/on-vs.txt')
    expect(refused.status).toBe(403)
    expect(refused.json.code).toBe('AUTH_ERR_NOT_LINKED')
    expect(refused.json.detail).toMatch(/upstream vs/)
    const dav = await fetch(`${gw.url}/dav/pure/on-pure.txt`, {
      headers: { authorization: `Bearer ${alice}` },
    })
    expect(dav.status).toBe(403)
    await dav.arrayBuffer()
    expect(await commandCounts()).toEqual(before)
  })

  it('a refused login stores nothing; bad input is its 4xx', async () => {
    const alice = await idp.idToken('alice')
    const wrong = await rest(alice, '/me/credentials/vs', {
      method: 'PUT',
      json: { username: vs.user, password: 'not-the-password' },
    })
    expect(wrong.status).toBe(422)
    expect(wrong.json.code).toBe('AUTH_ERR_LINK_REFUSED')
    expect(wrong.text).not.toContain('not-the-password')
    expect((await rest(alice, '/me')).json.upstreams).toContainEqual({
      name: 'vs',
      credentials: 'mapped',
      linked: false,
    })
    const redis = new Redis(SHARED_REDIS_URL)
    try {
      expect(await redis.keys(`${gw.keyPrefix}links:*`)).toEqual([])
    } finally {
      redis.disconnect()
    }
    const before = await commandCounts()
    const cases: Array<[string, RequestInit & { json?: unknown }, number, string]> = [
      [
        '/me/credentials/nope',
        { method: 'PUT', json: { username: 'a', password: 'b' } },
        404,
        'AUTH_ERR_UNKNOWN_UPSTREAM',
      ],
      [
        '/me/credentials/svc',
        { method: 'PUT', json: { username: 'a', password: 'b' } },
        409,
        'AUTH_ERR_NOT_MAPPED',
      ],
      ['/me/credentials/vs', { method: 'PUT' }, 400, 'GW_ERR_VALIDATION'],
      ['/me/credentials/vs', { method: 'PUT', json: { username: 'a' } }, 400, 'GW_ERR_VALIDATION'],
      [
        '/me/credentials/vs',
        { method: 'PUT', json: { username: 'a\r\nDELE x', password: 'b' } },
        400,
        'GW_ERR_VALIDATION',
      ],
      [
        '/me/credentials/Bad%20Name',
        { method: 'PUT', json: { username: 'a', password: 'b' } },
        400,
        'GW_ERR_VALIDATION',
      ],
      ['/me/credentials/nope', { method: 'DELETE' }, 404, 'AUTH_ERR_UNKNOWN_UPSTREAM'],
      [
        '/admin/users/carol/credentials/vs',
        { method: 'PUT', json: { username: 'a', password: 'b' } },
        403,
        'GW_ERR_NOT_ADMIN',
      ],
    ]
    for (const [p, init, status, code] of cases) {
      const r = await rest(alice, p, init)
      expect([p, r.status, r.json.code]).toEqual([p, status, code])
    }
    expect(await commandCounts()).toEqual(before)
    // Still serving.
    expect((await rest(alice, '/files/svc/')).status).not.toBe(500)
  })

  it('links an account on each server, uses it, unlinks it', async () => {
    const alice = await idp.idToken('alice')
    for (const [name, server] of [
      ['vs', vs],
      ['pure', pure],
    ] as const) {
      const r = await rest(alice, `/me/credentials/${name}`, {
        method: 'PUT',
        json: { username: server.user, password: server.password },
      })
      expect([name, r.status]).toEqual([name, 204])
    }
    expect((await rest(alice, '/me')).json.upstreams).toEqual([
      { name: 'vs', credentials: 'mapped', linked: true },
      { name: 'pure', credentials: 'mapped', linked: true },
      { name: 'svc', credentials: 'service', linked: true },
    ])
    expect((await rest(alice, '/files/vs/on-vs.txt')).text).toBe('hello from vsftpd')
    expect((await rest(alice, '/files/pure/on-pure.txt')).text).toBe('hello from pure-ftpd')
    const put = await rest(alice, '/files/pure/from-alice.txt', { method: 'PUT', body: 'written as alice' })
    expect(put.status).toBe(201)
    expect(await readFile(path.join(pure.root, 'from-alice.txt'), 'utf8')).toBe('written as alice')
    const dav = await fetch(`${gw.url}/dav/vs/on-vs.txt`, { headers: { authorization: `Bearer ${alice}` } })
    expect(await dav.text()).toBe('hello from vsftpd')

    // Another person has not linked anything.
    const carol = await idp.idToken('carol')
    expect((await rest(carol, '/files/vs/on-vs.txt')).json.code).toBe('AUTH_ERR_NOT_LINKED')

    // An app password made with the JWT acts as alice, with her linked accounts, over WebDAV Basic.
    const app = await rest(alice, '/me/app-passwords', { method: 'POST', json: { label: 'davfs2' } })
    expect(app.status).toBe(201)
    const basic = `Basic ${Buffer.from(`alice:${app.json.password}`).toString('base64')}`
    const viaApp = await fetch(`${gw.url}/dav/pure/on-pure.txt`, { headers: { authorization: basic } })
    expect(await viaApp.text()).toBe('hello from pure-ftpd')
    const meViaApp = await fetch(`${gw.url}/api/v1/me`, { headers: { authorization: basic } })
    expect(await meViaApp.json()).toMatchObject({
      username: 'alice',
      groups: ['staff'],
      method: 'app-password',
    })
    expect((await rest(alice, `/me/app-passwords/${app.json.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await fetch(`${gw.url}/api/v1/me`, { headers: { authorization: basic } })).status).toBe(401)

    expect((await rest(alice, '/me/credentials/vs', { method: 'DELETE' })).status).toBe(204)
    const after = await rest(alice, '/files/vs/on-vs.txt')
    expect([after.status, after.json.code]).toEqual([403, 'AUTH_ERR_NOT_LINKED'])
    expect((await rest(alice, '/files/pure/on-pure.txt')).text).toBe('hello from pure-ftpd')
  })

  it('an administrator links and unlinks for another person', async () => {
    const bob = await idp.idToken('bob')
    const carol = await idp.idToken('carol')
    const wrong = await rest(bob, '/admin/users/carol/credentials/pure', {
      method: 'PUT',
      json: { username: pure.user, password: 'wrong' },
    })
    expect(wrong.status).toBe(422)
    const set = await rest(bob, '/admin/users/carol/credentials/pure', {
      method: 'PUT',
      json: { username: pure.user, password: pure.password },
    })
    expect(set.status).toBe(204)
    expect((await rest(carol, '/files/pure/on-pure.txt')).text).toBe('hello from pure-ftpd')
    // App passwords: an administrator lists and revokes another person's; others may not.
    const made = await rest(carol, '/me/app-passwords', { method: 'POST', json: { label: 'carol script' } })
    expect(made.status).toBe(201)
    const carolBasic = `Basic ${Buffer.from(`carol:${made.json.password}`).toString('base64')}`
    expect((await fetch(`${gw.url}/api/v1/me`, { headers: { authorization: carolBasic } })).status).toBe(200)
    const listed = await rest(bob, '/admin/users/carol/app-passwords')
    expect(listed.status).toBe(200)
    expect(listed.json.appPasswords).toEqual([
      expect.objectContaining({ id: made.json.id, label: 'carol script' }),
    ])
    expect(listed.text).not.toContain(made.json.password as string)
    const alice = await idp.idToken('alice')
    expect((await rest(alice, '/admin/users/carol/app-passwords')).status).toBe(403)
    expect(
      (await rest(alice, `/admin/users/carol/app-passwords/${made.json.id}`, { method: 'DELETE' })).status,
    ).toBe(403)
    expect((await rest(bob, '/admin/users/carol/app-passwords/not-an-id', { method: 'DELETE' })).status).toBe(
      400,
    )
    expect(
      (await rest(bob, `/admin/users/carol/app-passwords/${made.json.id}`, { method: 'DELETE' })).status,
    ).toBe(204)
    expect((await fetch(`${gw.url}/api/v1/me`, { headers: { authorization: carolBasic } })).status).toBe(401)
    expect(
      (await rest(bob, `/admin/users/carol/app-passwords/${made.json.id}`, { method: 'DELETE' })).json.code,
    ).toBe('AUTH_ERR_APP_PASSWORD_NOT_FOUND')
    expect((await rest(bob, '/admin/users/carol/credentials/pure', { method: 'DELETE' })).status).toBe(204)
    expect((await rest(carol, '/files/pure/on-pure.txt')).json.code).toBe('AUTH_ERR_NOT_LINKED')
  })

  it('no FTP password in Redis, the logs or /metrics', async () => {
    const secrets = [vs.password, pure.password]
    const redis = new Redis(SHARED_REDIS_URL)
    const values: string[] = []
    try {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${gw.keyPrefix}*`, 'COUNT', 500)
        cursor = next
        for (const key of keys) {
          const type = await redis.type(key)
          if (type === 'string') values.push(`${key}=${await redis.get(key)}`)
          else if (type === 'hash') values.push(`${key}=${JSON.stringify(await redis.hgetall(key))}`)
          else if (type === 'zset')
            values.push(`${key}=${(await redis.zrange(key, 0, -1, 'WITHSCORES')).join(',')}`)
          else if (type === 'set') values.push(`${key}=${(await redis.smembers(key)).join(',')}`)
          else if (type === 'list') values.push(`${key}=${(await redis.lrange(key, 0, -1)).join(',')}`)
          else values.push(`${key}=<${type}>`)
        }
      } while (cursor !== '0')
    } finally {
      redis.disconnect()
    }
    // The links are there (carol's was removed, alice's pure one stays), sealed.
    expect(values.some((v) => v.includes('links:alice'))).toBe(true)
    const metrics = await (await fetch(`${gw.url}/metrics`)).text()
    const logText = logs.records.map((r) => JSON.stringify(r)).join('\n')
    expect(logs.records.length).toBeGreaterThan(0)
    for (const secret of secrets) {
      for (const v of values) expect(v.includes(secret), v.slice(0, 80)).toBe(false)
      expect(logText.includes(secret)).toBe(false)
      expect(metrics.includes(secret)).toBe(false)
    }
    expect(offContract).toEqual([])
  })
})
