/**
 * Bearer JWTs end to end (issue 18): a real OpenID provider (oidc-provider on 127.0.0.1), a real
 * vsftpd, and an in-process gateway configured by a GATEWAY_CONFIG file with two mounts on one
 * service-account upstream (`/team` for group:staff, `/ops` for group:ops) and one passthrough
 * upstream (`/direct`). Every case runs on REST and on WebDAV:
 * - real ID tokens act as their person: the groups claim decides which mount is visible, writes land;
 * - forged, expired, foreign, tampered tokens are 401 before any FTP command, and the gateway serves on;
 * - a passthrough upstream is 403 AUTH_ERR_NO_UPSTREAM_ACCOUNT for a JWT, with no FTP login tried;
 * - a rotated key is fetched on its first token; a provider that is down is 503, nothing accepted.
 */
import { createHmac } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { type GatewayHandle, startGatewayWith, testGatewayEnv } from '../../helpers/gateway.js'
import { type CapturedLogs, captureLogs } from '../../helpers/log-capture.js'
import { teamEstateYaml, writeOwned } from '../../helpers/oidc-estate.js'
import { newTestKey, startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js'
import { OpenApiValidator, readChecked } from '../../helpers/openapi-validator.js'
import { startVsftpd, type VsftpdHandle } from '../../helpers/servers/index.js'

let server: VsftpdHandle
let idp: TestOidcProvider
let gw: GatewayHandle
let dir: string
let logs: CapturedLogs
const contract = new OpenApiValidator()
/** Every REST answer's mismatches with the OpenAPI document (checked at the end). */
const offContract: string[] = []

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

/** The FTP commands the server has seen (not the probes' greetings and QUITs). */
async function ftpCommands(): Promise<string[]> {
  return (await server.commandLog()).filter((l) => /FTP command/.test(l) && !/"(QUIT|NOOP)/.test(l))
}

async function startGw(logger = captureLogs('info').logger): Promise<GatewayHandle> {
  const file = path.join(dir, `gateway-${Math.random().toString(36).slice(2)}.yaml`)
  await writeFile(file, teamEstateYaml(server, idp, 'direct'))
  // A cooldown of 0: a token with a new kid refetches the keys at once (production waits 30 s).
  return startGatewayWith(loadConfig(testGatewayEnv({ GATEWAY_CONFIG: file })), {
    jwt: { cooldownMs: 0 },
    logger,
  })
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function rest(token: string, p: string, init: RequestInit = {}) {
  const r = await fetch(`${gw.url}/api/v1${p}`, { ...init, headers: { ...bearer(token), ...init.headers } })
  return readChecked(contract, offContract, init.method ?? 'GET', `/api/v1${p}`, r)
}

async function dav(token: string, method: string, p: string, body?: string) {
  const r = await fetch(`${gw.url}/dav${p}`, {
    method,
    headers: { ...bearer(token), ...(method === 'PROPFIND' ? { depth: '1' } : {}) },
    ...(body === undefined ? {} : { body }),
  })
  return { status: r.status, text: await r.text() }
}

beforeAll(async () => {
  server = await startVsftpd()
  await writeOwned(server, 'team/hello.txt', 'hello team')
  await writeOwned(server, 'ops/runbook.txt', 'ops only')
  idp = await startOidcProvider({
    users: { alice: { groups: ['staff'] }, bob: { groups: ['ops'] }, carol: { groups: 'staff' } },
  })
  dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-oidc-'))
  logs = captureLogs('info')
  gw = await startGw(logs.logger)
}, 60_000)

afterAll(async () => {
  await gw?.close()
  await idp?.close()
  await server?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('valid JWTs act as their person', () => {
  it('REST: /me, the group decides the mount, a write lands', async () => {
    const alice = await idp.idToken('alice')
    const me = await rest(alice, '/me')
    expect(me.status).toBe(200)
    expect(me.json).toEqual({
      username: 'alice',
      groups: ['staff'],
      method: 'jwt',
      upstreams: [
        { name: 'vs', credentials: 'service', linked: true },
        { name: 'direct', credentials: 'passthrough', linked: false },
      ],
    })
    expect((await rest(alice, '/files/team/hello.txt')).text).toBe('hello team')
    expect((await rest(alice, '/files/ops/runbook.txt')).status).toBe(404)
    const root = await rest(alice, '/dirs/')
    expect((root.json.entries as Array<{ name: string }>).map((e) => e.name).sort()).toEqual([
      'direct',
      'team',
    ])
    // The command log is live (the filter below sees real commands).
    expect((await ftpCommands()).some((l) => /RETR .*hello\.txt/.test(l))).toBe(true)
    const mark = logs.records.length
    const put = await rest(alice, '/files/team/from-rest.txt', { method: 'PUT', body: 'by alice' })
    expect(put.status).toBe(201)
    expect(await readFile(path.join(server.root, 'team/from-rest.txt'), 'utf8')).toBe('by alice')
    // The audit line names the person, their groups and how they authenticated; no FTP account of theirs.
    const line = logs.since(mark).find((r) => r.audit === true && r.action === 'upload')
    expect(line).toMatchObject({
      user: 'alice',
      groups: ['staff'],
      method: 'jwt',
      upstream: 'vs',
      outcome: 'success',
    })
    expect(line?.ftpUser).toBeUndefined()

    const bob = await idp.idToken('bob')
    expect((await rest(bob, '/files/ops/runbook.txt')).text).toBe('ops only')
    expect((await rest(bob, '/files/team/hello.txt')).status).toBe(404)
  })

  it('WebDAV: PROPFIND, GET, PUT as the person; the other group is hidden', async () => {
    const alice = await idp.idToken('alice')
    const root = await dav(alice, 'PROPFIND', '/')
    expect(root.status).toBe(207)
    expect(root.text).toContain('/dav/team/')
    expect(root.text).not.toContain('/dav/ops')
    const team = await dav(alice, 'PROPFIND', '/team/')
    expect(team.status).toBe(207)
    expect(team.text).toContain('hello.txt')
    expect(await dav(alice, 'GET', '/team/hello.txt')).toEqual({ status: 200, text: 'hello team' })
    const mark = logs.records.length
    expect((await dav(alice, 'PUT', '/team/from-dav.txt', 'dav bytes')).status).toBe(201)
    expect(logs.since(mark).find((r) => r.audit === true && r.action === 'upload')).toMatchObject({
      user: 'alice',
      groups: ['staff'],
      method: 'jwt',
    })
    expect(await readFile(path.join(server.root, 'team/from-dav.txt'), 'utf8')).toBe('dav bytes')
    expect((await dav(alice, 'GET', '/ops/runbook.txt')).status).toBe(404)

    const bob = await idp.idToken('bob')
    expect(await dav(bob, 'GET', '/ops/runbook.txt')).toEqual({ status: 200, text: 'ops only' })
    expect((await dav(bob, 'PROPFIND', '/team/')).status).toBe(404)
  })

  it('a groups claim that is not an array of strings means no groups', async () => {
    const carol = await idp.idToken('carol')
    const me = await rest(carol, '/me')
    expect(me.json).toMatchObject({ username: 'carol', groups: [] })
    expect((await rest(carol, '/files/team/hello.txt')).status).toBe(404)
    expect((await dav(carol, 'GET', '/team/hello.txt')).status).toBe(404)
  })

  it('a passthrough upstream is 403 AUTH_ERR_NO_UPSTREAM_ACCOUNT, with no FTP login tried', async () => {
    const alice = await idp.idToken('alice')
    const before = await ftpCommands()
    const r = await rest(alice, '/dirs/direct/')
    expect(r.status).toBe(403)
    expect(r.json.code).toBe('AUTH_ERR_NO_UPSTREAM_ACCOUNT')
    expect(String(r.json.detail)).toContain('upstream direct')
    expect((await dav(alice, 'PROPFIND', '/direct/')).status).toBe(403)
    expect((await dav(alice, 'PUT', '/direct/x.txt', 'x')).status).toBe(403)
    expect(await ftpCommands()).toEqual(before)
  })
})

describe('/me for every method', () => {
  it('basic, token and cookie name the FTP account; passthrough is linked for them', async () => {
    const basicAuth = `Basic ${Buffer.from(`${server.user}:${server.password}`).toString('base64')}`
    const upstreams = [
      { name: 'vs', credentials: 'service', linked: true },
      { name: 'direct', credentials: 'passthrough', linked: true },
    ]
    const me = (headers: Record<string, string>) =>
      fetch(`${gw.url}/api/v1/me`, { headers }).then(async (r) => ({
        status: r.status,
        json: await r.json(),
      }))
    expect(await me({ authorization: basicAuth })).toEqual({
      status: 200,
      json: { username: server.user, groups: [], method: 'basic', upstreams },
    })
    const created = await fetch(`${gw.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: server.user, password: server.password }),
    })
    expect(created.status).toBe(201)
    const { token } = (await created.json()) as { token: string }
    expect((await me({ authorization: `Bearer ${token}` })).json).toMatchObject({
      method: 'token',
      upstreams,
    })
    expect((await me({ cookie: `ftpgw_session=${token}` })).json).toMatchObject({
      username: server.user,
      method: 'cookie',
      upstreams,
    })
  })
})

describe('refused tokens: 401 before any FTP command, on both faces', () => {
  it('expired, wrong issuer, wrong audience, alg none, HS256, foreign key, tampered payload', async () => {
    const now = Math.floor(Date.now() / 1000)
    const real = await idp.idToken('alice')
    const [h, p, s] = real.split('.') as [string, string, string]
    const foreign = await newTestKey()
    const hs256 = (secret: string) => {
      const head = b64({ alg: 'HS256', typ: 'JWT', kid: idp.key.kid })
      const body = b64({
        iss: idp.issuer,
        aud: idp.clientId,
        preferred_username: 'alice',
        groups: ['staff'],
        exp: now + 600,
      })
      return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`
    }
    const cases: Array<[string, string, string, RegExp]> = [
      // 120 s past exp: beyond the 30 s skew.
      [
        'expired',
        await idp.sign({ preferred_username: 'alice', groups: ['staff'], iat: now - 900, exp: now - 120 }),
        'AUTH_ERR_TOKEN_EXPIRED',
        /expired/,
      ],
      [
        'wrong issuer',
        await idp.sign({ preferred_username: 'alice', iss: 'https://evil.example' }),
        'AUTH_ERR_INVALID',
        /another issuer/,
      ],
      [
        'wrong audience',
        await idp.sign({ preferred_username: 'alice', aud: 'other-app' }),
        'AUTH_ERR_INVALID',
        /another audience/,
      ],
      [
        'alg none',
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: idp.issuer, aud: idp.clientId, preferred_username: 'alice', groups: ['staff'], exp: now + 600 })}.`,
        'AUTH_ERR_INVALID',
        /algorithm/,
      ],
      ['HS256 with a guessable secret', hs256('secret'), 'AUTH_ERR_INVALID', /algorithm/],
      // OIDC lets providers sign ID tokens with the client secret (HS256): not accepted here either.
      ['HS256 with the client secret', hs256(idp.clientSecret), 'AUTH_ERR_INVALID', /algorithm/],
      [
        'foreign key, unknown kid',
        await idp.sign({ preferred_username: 'alice' }, { key: foreign }),
        'AUTH_ERR_INVALID',
        /not signed with one of the provider's keys/,
      ],
      [
        "foreign key under the provider's kid",
        await idp.sign({ preferred_username: 'alice' }, { key: { ...foreign, kid: idp.key.kid } }),
        'AUTH_ERR_INVALID',
        /signature does not verify/,
      ],
      [
        'tampered payload',
        `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), groups: ['ops'] })}.${s}`,
        'AUTH_ERR_INVALID',
        /signature does not verify/,
      ],
    ]
    const before = await ftpCommands()
    for (const [name, token, code, why] of cases) {
      const r = await rest(token, '/files/team/hello.txt')
      expect([name, r.status, r.json.code]).toEqual([name, 401, code])
      // Refused for the reason the case is about, not by some earlier check.
      expect(String(r.json.detail), name).toMatch(why)
      // The Bearer challenge says the token is what failed (RFC 6750); Basic stays for WebDAV clients.
      expect(r.headers.get('www-authenticate'), name).toBe(
        'Basic realm="ftp-gateway", Bearer realm="ftp-gateway", error="invalid_token"',
      )
      expect([name, (await dav(token, 'PROPFIND', '/team/')).status]).toEqual([name, 401])
      expect([name, (await dav(token, 'GET', '/team/hello.txt')).status]).toEqual([name, 401])
      expect([name, (await dav(token, 'PUT', '/team/forged.txt', 'x')).status]).toEqual([name, 401])
    }
    expect(await ftpCommands()).toEqual(before)
    // Still serving, to a valid token.
    expect((await rest(real, '/files/team/hello.txt')).text).toBe('hello team')
    expect((await dav(real, 'GET', '/team/hello.txt')).status).toBe(200)
  })

  it('an opaque token still goes to the token store (unknown: 401), never to JWT checks', async () => {
    const r = await rest('bm90LWEtand0LWp1c3QtYS10b2tlbg', '/files/team/hello.txt')
    expect([r.status, r.json.code]).toEqual([401, 'AUTH_ERR_INVALID'])
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"')
    // Without a Bearer token there is no Bearer challenge: Windows and macOS offer Basic alone.
    const none = await fetch(`${gw.url}/api/v1/files/team/hello.txt`)
    expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Basic realm="ftp-gateway"'])
  })
})

describe('keys: rotation and a provider that is down', () => {
  it('a token with a new kid is accepted once the provider rotates; the old key is dropped', async () => {
    const old = await idp.sign({ preferred_username: 'alice', groups: ['staff'] })
    expect((await rest(old, '/files/team/hello.txt')).status).toBe(200)
    const oldKid = idp.key.kid
    await idp.rotate()
    expect(idp.key.kid).not.toBe(oldKid)
    const fresh = await idp.idToken('alice')
    const jwksBefore = idp.requests.filter((r) => r.startsWith('GET /jwks')).length
    expect((await rest(fresh, '/files/team/hello.txt')).text).toBe('hello team')
    expect((await dav(fresh, 'GET', '/team/hello.txt')).status).toBe(200)
    // The gateway fetched the key set again for the new kid.
    expect(idp.requests.filter((r) => r.startsWith('GET /jwks')).length).toBeGreaterThan(jwksBefore)
    // The old key is no longer published: its tokens are refused now.
    expect((await rest(old, '/files/team/hello.txt')).status).toBe(401)
  })

  it('provider down: 503 for a token whose keys are not cached, nothing accepted; back up: accepted', async () => {
    const token = await idp.idToken('alice')
    await idp.stop()
    // A gateway that has never reached the provider: no discovery document, no keys.
    const cold = await startGw()
    try {
      const c = await fetch(`${cold.url}/api/v1/files/team/hello.txt`, { headers: bearer(token) })
      expect(c.status).toBe(503)
      expect(((await c.json()) as { code: string }).code).toBe('AUTH_ERR_PROVIDER_UNAVAILABLE')
      expect(c.headers.get('retry-after')).not.toBeNull()
      const d = await fetch(`${cold.url}/dav/team/hello.txt`, { headers: bearer(token) })
      expect(d.status).toBe(503)
      // The warm gateway has the current key, but a token under a key it has never seen needs the
      // provider, which is down: 503, neither acceptance nor 401.
      const unknownKey = await idp.sign(
        { preferred_username: 'alice', groups: ['staff'] },
        { key: await newTestKey() },
      )
      const w = await rest(unknownKey, '/files/team/hello.txt')
      expect([w.status, w.json.code]).toEqual([503, 'AUTH_ERR_PROVIDER_UNAVAILABLE'])
      expect((await dav(unknownKey, 'GET', '/team/hello.txt')).status).toBe(503)
      // Its cached key still serves the tokens it can check.
      expect((await rest(token, '/files/team/hello.txt')).status).toBe(200)
    } finally {
      await idp.start()
    }
    try {
      // Back up: the cold gateway discovers the keys and accepts.
      const again = await fetch(`${cold.url}/api/v1/files/team/hello.txt`, { headers: bearer(token) })
      expect(again.status).toBe(200)
    } finally {
      await cold.close()
    }
  })
})

describe('the contract', () => {
  it('every REST answer above (200, 201, 401, 403, 404, 503) matched the OpenAPI document', () => {
    expect(offContract).toEqual([])
  })
})
