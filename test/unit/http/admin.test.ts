/** The admin API (issue 15 item 10): who may drop a user's sessions, and the settings behind it. */
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { loadConfig } from '../../../src/config.js'
import { createServer, LOG_REDACTION } from '../../../src/http/app.js'
import { isAdmin } from '../../../src/http/rest/admin.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'
import { buildTestApp, FakeAdmin, FakeAuthenticator, GOOD_AUTH, testConfig } from '../../helpers/http-app.js'

describe('DELETE /api/v1/admin/users/{user}/sessions', () => {
  it('drops the sessions for an admin (204)', async () => {
    const { app, admin } = await buildTestApp({ config: testConfig({ gatewayAdmins: ['alice'] }) })
    const r = await app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/users/bob/sessions',
      headers: { authorization: GOOD_AUTH },
    })
    expect(r.statusCode).toBe(204)
    expect(admin.dropped).toEqual(['bob'])
  })

  it('refuses a principal not listed in GATEWAY_ADMINS (403) and drops nothing', async () => {
    const { app, admin } = await buildTestApp({ config: testConfig({ gatewayAdmins: ['carol'] }) })
    const r = await app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/users/bob/sessions',
      headers: { authorization: GOOD_AUTH },
    })
    expect(r.statusCode).toBe(403)
    expect(r.json().code).toBe('GW_ERR_NOT_ADMIN')
    expect(admin.dropped).toEqual([])
  })

  it('needs authentication (401) and a printable user name (400)', async () => {
    const { app, admin } = await buildTestApp({ config: testConfig({ gatewayAdmins: ['alice'] }) })
    const anonymous = await app.inject({ method: 'DELETE', url: '/api/v1/admin/users/bob/sessions' })
    expect(anonymous.statusCode).toBe(401)
    const control = await app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/users/b%0aob/sessions',
      headers: { authorization: GOOD_AUTH },
    })
    expect(control.statusCode).toBe(400)
    expect(admin.dropped).toEqual([])
  })

  it('answers 405 with Allow for other methods', async () => {
    const { app } = await buildTestApp()
    const r = await app.inject({ method: 'GET', url: '/api/v1/admin/users/bob/sessions' })
    expect(r.statusCode).toBe(405)
    expect(r.headers.allow).toBe('DELETE')
  })
})

describe('POST /api/v1/admin/reload', () => {
  const reload = (app: Awaited<ReturnType<typeof buildTestApp>>['app'], authorization?: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/admin/reload',
      headers: authorization ? { authorization } : {},
    })

  it('reloads for an admin and says what is now in effect (200)', async () => {
    const { app, admin } = await buildTestApp({ config: testConfig({ gatewayAdmins: ['alice'] }) })
    admin.report = { ok: true, upstreams: ['a', 'b'], mounts: ['/', '/b'], restartNeeded: ['port'] }
    const r = await reload(app, GOOD_AUTH)
    expect(r.statusCode).toBe(200)
    expect(r.json()).toEqual({ upstreams: ['a', 'b'], mounts: ['/', '/b'], restartNeeded: ['port'] })
    expect(admin.reloads).toBe(1)
  })

  it('refuses a non-admin (403) and an anonymous caller (401) without reloading', async () => {
    const { app, admin } = await buildTestApp({ config: testConfig({ gatewayAdmins: ['carol'] }) })
    expect((await reload(app, GOOD_AUTH)).json().code).toBe('GW_ERR_NOT_ADMIN')
    expect((await reload(app)).statusCode).toBe(401)
    expect(admin.reloads).toBe(0)
  })

  it('answers an invalid file with 422 and every problem, and a missing one with 409', async () => {
    const { app, admin } = await buildTestApp({ config: testConfig({ gatewayAdmins: ['alice'] }) })
    admin.report = {
      ok: false,
      reason: 'invalid',
      problems: ['line 3: mounts[0].upstream: unknown', 'x: bad'],
    }
    const invalid = await reload(app, GOOD_AUTH)
    expect([invalid.statusCode, invalid.json().code]).toEqual([422, 'GW_ERR_CONFIG_INVALID'])
    expect(invalid.json().detail).toBe('line 3: mounts[0].upstream: unknown; x: bad')
    admin.report = { ok: false, reason: 'no-file', problems: ['none'] }
    const none = await reload(app, GOOD_AUTH)
    expect([none.statusCode, none.json().code]).toEqual([409, 'GW_ERR_NO_CONFIG_FILE'])
    const get = await app.inject({
      method: 'GET',
      url: '/api/v1/admin/reload',
      headers: { authorization: GOOD_AUTH },
    })
    expect([get.statusCode, get.headers.allow]).toEqual([405, 'POST'])
  })
})

describe('audit of the admin API', () => {
  it('writes one audit line per drop, naming the caller and the target, refused or not', async () => {
    const lines: Array<Record<string, unknown>> = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
        done()
      },
    })
    const logger = pino({ level: 'info', redact: LOG_REDACTION }, sink)
    for (const admins of [['alice'], ['carol']]) {
      const app = createServer(
        {
          config: testConfig({ gatewayAdmins: admins }),
          files: new FakeFileService(),
          auth: new FakeAuthenticator(),
          admin: new FakeAdmin(),
          store: new MemoryStore(),
        },
        { logger },
      )
      await app.inject({
        method: 'DELETE',
        url: '/api/v1/admin/users/bob/sessions',
        headers: { authorization: GOOD_AUTH },
      })
      await app.close()
    }
    const audits = lines.filter((l) => l.audit === true)
    expect(audits.map((l) => [l.action, l.user, l.to, l.outcome])).toEqual([
      ['drop-sessions', 'alice', 'bob', 'success'],
      ['drop-sessions', 'alice', 'bob', 'failure'],
    ])
  })
})

describe('isAdmin and GATEWAY_ADMINS', () => {
  it('judges the principal, not the FTP account', () => {
    const serviceIdentity = identityOf('ftp-service', 'pw', 'alice')
    expect(isAdmin(serviceIdentity, { users: ['alice'] })).toBe(true)
    expect(isAdmin(serviceIdentity, { users: ['ftp-service'] })).toBe(false)
  })

  it('parses user:NAME and group:NAME entries and rejects anything else', () => {
    expect(loadConfig({ GATEWAY_ADMINS: 'user:alice, user:bob' }).gatewayAdmins).toEqual(['alice', 'bob'])
    const mixed = loadConfig({ GATEWAY_ADMINS: 'group:ops,user:root' })
    expect([mixed.gatewayAdmins, mixed.gatewayAdminGroups]).toEqual([['root'], ['ops']])
    expect(loadConfig({}).gatewayAdmins).toEqual([])
    expect(loadConfig({}).gatewayAdminGroups).toEqual([])
    for (const bad of ['alice', 'role:staff', 'group:', 'user:a b', 'group:ops,']) {
      expect(() => loadConfig({ GATEWAY_ADMINS: bad }), bad).toThrow(/GATEWAY_ADMINS/)
    }
  })

  it('a group entry makes every member an administrator, and only members', () => {
    const policy = { users: ['root'], groups: ['ops'] }
    const alice = identityOf('alice', 'pw')
    expect(isAdmin(alice, policy)).toBe(false)
    expect(isAdmin({ ...alice, groups: ['staff', 'ops'] }, policy)).toBe(true)
    expect(isAdmin({ ...alice, groups: ['staff'] }, policy)).toBe(false)
    // No group entries: groups never make an admin, whatever the caller claims.
    expect(isAdmin({ ...alice, groups: ['ops'] }, { users: ['root'] })).toBe(false)
    expect(isAdmin(identityOf('root', 'pw'), policy)).toBe(true)
  })

  it('checks the pool settings of issue 15', () => {
    const c = loadConfig({ FTP_URL: 'ftp://h' })
    expect(c.upstreams[0]).toMatchObject({ poolMaxUnverified: 4, reverifyMs: 300_000 })
    expect(c.httpMaxConnectionsPerAddress).toBe(256)
    expect(() => loadConfig({ FTP_URL: 'ftp://h', FTP_POOL_MAX_UNVERIFIED: '33' })).toThrow(
      /FTP_POOL_MAX_UNVERIFIED/,
    )
  })
})
