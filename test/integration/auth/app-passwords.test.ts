/**
 * App passwords end to end (issue 18): two gateways sharing Redis (one key prefix, one
 * SESSION_SECRET) over a real vsftpd whose users log in as themselves (passthrough). The FTP user
 * makes an app password with an API token; cadaver (through gateway A) and rclone's WebDAV client
 * (through gateway B) use it as Basic with the user's name; it is revoked, and the next request is
 * 401 on both instances (rclone fails too). Every bad input is its 4xx, no FTP command, and the
 * gateways serve on. Redis never holds the app password nor the FTP password in clear.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  basicAuth,
  type GatewayHandle,
  SHARED_REDIS_URL,
  startGateway,
  testKeyPrefix,
} from '../../helpers/gateway.js'
import { OpenApiValidator, readChecked } from '../../helpers/openapi-validator.js'
import { startVsftpd, type VsftpdHandle } from '../../helpers/servers/index.js'
import { runCommand } from '../webdav/harness.js'

let vs: VsftpdHandle
let a: GatewayHandle
let b: GatewayHandle
let home: string
let token: string
let otherToken: string
const contract = new OpenApiValidator()
const offContract: string[] = []

async function call(
  gw: GatewayHandle,
  authorization: string,
  p: string,
  init: RequestInit & { json?: unknown } = {},
) {
  const { json: body, ...rest } = init
  const r = await fetch(`${gw.url}/api/v1${p}`, {
    ...rest,
    headers: {
      authorization,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...rest.headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  return readChecked(contract, offContract, init.method ?? 'GET', `/api/v1${p}`, r)
}

/** FTP commands vsftpd has seen (not the probes' greetings, QUITs and NOOPs). */
async function ftpCommands(): Promise<number> {
  return (await vs.commandLog()).filter((l) => /FTP command/.test(l) && !/"(QUIT|NOOP)/.test(l)).length
}

async function tokenFor(user: string, password: string): Promise<string> {
  const r = await fetch(`${a.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
  })
  expect(r.status).toBe(201)
  return ((await r.json()) as { token: string }).token
}

beforeAll(async () => {
  vs = await startVsftpd({ users: [{ name: 'ftpgw-apppw-other', password: 'other-secret-pw' }] })
  await writeFile(path.join(vs.root, 'hello.txt'), 'hello app passwords\n')
  const shared = { REDIS_KEY_PREFIX: testKeyPrefix('apppw') }
  a = await startGateway(vs, shared)
  b = await startGateway(vs, shared)
  token = await tokenFor(vs.user, vs.password)
  const other = vs.users[0] as { user: string; password: string }
  otherToken = await tokenFor(other.user, other.password)
  home = await mkdtemp(path.join(tmpdir(), 'ftpgw-apppw-'))
}, 60_000)

afterAll(async () => {
  await a?.close()
  await b?.close()
  await vs?.stop()
  if (home) await rm(home, { recursive: true, force: true })
})

describe('app passwords', () => {
  let id: string
  let password: string

  it('are made once, listed without secrets, and act as their creator', async () => {
    const made = await call(a, `Bearer ${token}`, '/me/app-passwords', {
      method: 'POST',
      json: { label: 'laptop rclone' },
    })
    expect(made.status).toBe(201)
    id = made.json.id as string
    password = made.json.password as string
    expect(password).toMatch(/^gwap_[A-Za-z0-9_-]{16}_[A-Za-z0-9_-]{32}$/)
    expect(made.json.label).toBe('laptop rclone')

    const list = await call(b, `Bearer ${token}`, '/me/app-passwords')
    expect(list.status).toBe(200)
    expect(list.json.appPasswords).toEqual([
      { id, label: 'laptop rclone', createdAt: made.json.createdAt, lastUsedAt: null },
    ])
    expect(list.text).not.toContain(password)

    const me = await call(b, basicAuth(vs.user, password), '/me')
    expect(me.status).toBe(200)
    expect(me.json).toMatchObject({ username: vs.user, method: 'app-password' })
    expect((await call(a, basicAuth(vs.user, password), '/files/hello.txt')).text).toBe(
      'hello app passwords\n',
    )
    const listed = await call(a, `Bearer ${token}`, '/me/app-passwords')
    expect((listed.json.appPasswords as Array<{ lastUsedAt: string | null }>)[0]?.lastUsedAt).not.toBeNull()
  })

  it('cadaver (instance A) and rclone (instance B) use one', { timeout: 90_000 }, async () => {
    await writeFile(
      path.join(home, '.netrc'),
      `machine 127.0.0.1\nlogin ${vs.user}\npassword ${password}\n`,
      {
        mode: 0o600,
      },
    )
    await writeFile(path.join(home, 'up.txt'), 'uploaded by cadaver\n')
    const script = ['mkcol from-cadaver', 'cd from-cadaver', 'put up.txt', 'ls', 'quit'].join('\n')
    const cad = await runCommand('cadaver', [`${a.url}/dav/`], {
      env: { HOME: home },
      input: `${script}\n`,
      cwd: home,
    })
    const out = cad.stdout + cad.stderr
    expect(out).toMatch(/Creating `from-cadaver': succeeded/)
    expect(out).not.toMatch(/failed/)
    expect(await readFile(path.join(vs.root, 'from-cadaver', 'up.txt'), 'utf8')).toBe('uploaded by cadaver\n')

    const obscured = await runCommand('rclone', ['obscure', password])
    const env = {
      RCLONE_CONFIG: path.join(home, 'rclone.conf'),
      RCLONE_CONFIG_GW_TYPE: 'webdav',
      RCLONE_CONFIG_GW_URL: `${b.url}/dav/`,
      RCLONE_CONFIG_GW_VENDOR: 'other',
      RCLONE_CONFIG_GW_USER: vs.user,
      RCLONE_CONFIG_GW_PASS: obscured.stdout.trim(),
    }
    const rclone = (...args: string[]) =>
      runCommand('rclone', [...args, '--retries', '1', '--low-level-retries', '1'], {
        env,
        timeoutMs: 60_000,
      })
    const cat = await rclone('cat', 'gw:from-cadaver/up.txt')
    expect([cat.code, cat.stdout]).toEqual([0, 'uploaded by cadaver\n'])
    await writeFile(path.join(home, 'by-rclone.txt'), 'copied by rclone\n')
    const copy = await rclone('copyto', path.join(home, 'by-rclone.txt'), 'gw:by-rclone.txt')
    expect(copy.code).toBe(0)
    expect(await readFile(path.join(vs.root, 'by-rclone.txt'), 'utf8')).toBe('copied by rclone\n')

    // Revoked through instance A: the next request is 401 on both instances, for rclone too.
    expect((await call(a, `Bearer ${token}`, `/me/app-passwords/${id}`, { method: 'DELETE' })).status).toBe(
      204,
    )
    for (const gw of [a, b]) {
      const r = await call(gw, basicAuth(vs.user, password), '/files/hello.txt')
      expect([r.status, r.json.code]).toEqual([401, 'AUTH_ERR_INVALID'])
      const dav = await fetch(`${gw.url}/dav/hello.txt`, {
        headers: { authorization: basicAuth(vs.user, password) },
      })
      expect(dav.status).toBe(401)
      await dav.arrayBuffer()
    }
    const after = await rclone('cat', 'gw:from-cadaver/up.txt')
    expect(after.code).not.toBe(0)
    expect((await call(b, `Bearer ${token}`, '/me/app-passwords')).json.appPasswords).toEqual([])
  })

  it('every bad input is its 4xx, with no FTP command, and both instances serve on', async () => {
    const mine = await call(a, `Bearer ${token}`, '/me/app-passwords', {
      method: 'POST',
      json: { label: 'kept' },
    })
    expect(mine.status).toBe(201)
    const kept = mine.json.password as string
    const before = await ftpCommands()
    const wrongSecret = kept.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
    const cases: Array<[GatewayHandle, string, string, RequestInit & { json?: unknown }, number, string]> = [
      [a, `Bearer ${token}`, '/me/app-passwords/not!an!id', { method: 'DELETE' }, 400, 'GW_ERR_VALIDATION'],
      [b, `Bearer ${token}`, '/me/app-passwords/short', { method: 'DELETE' }, 400, 'GW_ERR_VALIDATION'],
      [
        a,
        `Bearer ${token}`,
        '/me/app-passwords',
        { method: 'POST', json: { label: 'x'.repeat(101) } },
        400,
        'GW_ERR_VALIDATION',
      ],
      [
        a,
        `Bearer ${token}`,
        '/me/app-passwords',
        { method: 'POST', json: { label: '' } },
        400,
        'GW_ERR_VALIDATION',
      ],
      [
        a,
        `Bearer ${token}`,
        '/me/app-passwords',
        { method: 'POST', json: { label: 'a\nb' } },
        400,
        'GW_ERR_VALIDATION',
      ],
      [b, `Bearer ${token}`, '/me/app-passwords', { method: 'POST', json: {} }, 400, 'GW_ERR_VALIDATION'],
      [
        b,
        `Bearer ${token}`,
        '/me/app-passwords',
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        400,
        'GW_ERR_BAD_JSON',
      ],
      [
        a,
        `Bearer ${token}`,
        '/me/app-passwords',
        { method: 'POST', json: '{"label":' },
        400,
        'GW_ERR_BAD_JSON',
      ],
      // Another user's id: not theirs, so 404 (its existence is not revealed).
      [
        a,
        `Bearer ${otherToken}`,
        `/me/app-passwords/${mine.json.id}`,
        { method: 'DELETE' },
        404,
        'AUTH_ERR_APP_PASSWORD_NOT_FOUND',
      ],
      [
        b,
        `Bearer ${token}`,
        '/me/app-passwords/AAAAAAAAAAAAAAAA',
        { method: 'DELETE' },
        404,
        'AUTH_ERR_APP_PASSWORD_NOT_FOUND',
      ],
      // A wrong app password, a right one under another name: 401, never tried on the FTP server.
      [a, basicAuth(vs.user, wrongSecret), '/me', {}, 401, 'AUTH_ERR_INVALID'],
      [b, basicAuth('ftpgw-apppw-other', kept), '/me', {}, 401, 'AUTH_ERR_INVALID'],
      // An app password makes and revokes none.
      [
        a,
        basicAuth(vs.user, kept),
        '/me/app-passwords',
        { method: 'POST', json: { label: 'x' } },
        403,
        'AUTH_ERR_APP_PASSWORD_FORBIDDEN',
      ],
      [
        b,
        basicAuth(vs.user, kept),
        `/me/app-passwords/${mine.json.id}`,
        { method: 'DELETE' },
        403,
        'AUTH_ERR_APP_PASSWORD_FORBIDDEN',
      ],
    ]
    for (const [gw, auth, p, init, status, code] of cases) {
      const r = await call(gw, auth, p, init)
      expect([p, r.status, r.json.code]).toEqual([p, status, code])
    }
    expect(await ftpCommands()).toBe(before)
    // The other user's attempt removed nothing; both instances still serve the kept one.
    for (const gw of [a, b]) expect((await call(gw, basicAuth(vs.user, kept), '/me')).status).toBe(200)
    expect(offContract).toEqual([])
  })

  it('Redis holds neither the app passwords nor the FTP password in clear', async () => {
    const made = await call(a, `Bearer ${token}`, '/me/app-passwords', {
      method: 'POST',
      json: { label: 'scan' },
    })
    const secret = made.json.password as string
    expect((await call(b, basicAuth(vs.user, secret), '/files/hello.txt')).status).toBe(200)
    const redis = new Redis(SHARED_REDIS_URL)
    const values: string[] = []
    try {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${a.keyPrefix}*`, 'COUNT', 500)
        cursor = next
        for (const key of keys) {
          const type = await redis.type(key)
          if (type === 'string') values.push(`${key}=${await redis.get(key)}`)
          else if (type === 'hash') values.push(`${key}=${JSON.stringify(await redis.hgetall(key))}`)
          else if (type === 'zset') values.push(`${key}=${(await redis.zrange(key, 0, -1)).join(',')}`)
          else values.push(`${key}=<${type}>`)
        }
      } while (cursor !== '0')
    } finally {
      redis.disconnect()
    }
    expect(values.some((v) => v.includes('apppw:'))).toBe(true)
    for (const v of values) {
      expect(v.includes(secret), v.slice(0, 60)).toBe(false)
      expect(v.includes(vs.password), v.slice(0, 60)).toBe(false)
    }
  })
})
