/**
 * `GET /api/v1/admin/bans` and `DELETE /api/v1/admin/bans/{id}` over a real BanList on the app's
 * MemoryStore: who may list and lift, what a bad id gets, and that nothing else changes.
 */
import { describe, expect, it } from 'vitest'
import { BanList, subjectHash } from '../../../src/auth/bans.js'
import type { Identity } from '../../../src/files/types.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { buildTestApp, FakeAuthenticator, GOOD_AUTH, testConfig } from '../../helpers/http-app.js'

/** The fake authenticator's alice, in the group `ops` (as an OpenID groups claim would put her). */
class OpsAuthenticator extends FakeAuthenticator {
  override async authenticate(authorization: string | undefined, clientAddress: string): Promise<Identity> {
    return { ...(await super.authenticate(authorization, clientAddress)), groups: ['ops'] }
  }
}

async function withBans(admins: string[]) {
  const store = new MemoryStore()
  const bans = new BanList({ store, baseSeconds: 600, memorySeconds: 3600, maxSeconds: 86_400 })
  const address = await bans.issue('address', '192.0.2.7', subjectHash('192.0.2.7'), 'LOGIN_FAIL_LIMIT')
  const user = await bans.issue('user', 'mallory', subjectHash('mallory'), 'LOGIN_FAIL_LIMIT_PER_USER')
  const built = await buildTestApp({ config: testConfig({ gatewayAdmins: admins }), store, bans })
  return { ...built, bans, store, address: address!, user: user! }
}

const auth = { authorization: GOOD_AUTH }

describe('the admin ban routes', () => {
  it('lists the bans in force for an admin', async () => {
    const { app, address, store } = await withBans(['alice'])
    const r = await app.inject({ method: 'GET', url: '/api/v1/admin/bans', headers: auth })
    expect(r.statusCode).toBe(200)
    const listed = r.json().bans as Array<Record<string, unknown>>
    expect(listed.map((b) => [b.kind, b.subject, b.strikes, b.reason])).toEqual(
      expect.arrayContaining([
        ['address', '192.0.2.7', 1, 'LOGIN_FAIL_LIMIT'],
        ['user', 'mallory', 1, 'LOGIN_FAIL_LIMIT_PER_USER'],
      ]),
    )
    expect(listed.find((b) => b.id === address.id)?.until).toBe(new Date(address.until).toISOString())
    await store.close()
  })

  it('lifts one (204), then 404 for it; the other stays', async () => {
    const { app, address, user, bans, store } = await withBans(['alice'])
    const url = `/api/v1/admin/bans/${address.id}`
    expect((await app.inject({ method: 'DELETE', url, headers: auth })).statusCode).toBe(204)
    const again = await app.inject({ method: 'DELETE', url, headers: auth })
    expect(again.statusCode).toBe(404)
    expect(again.json().code).toBe('GW_ERR_NO_BAN')
    expect((await bans.list()).map((b) => b.id)).toEqual([user.id])
    await store.close()
  })

  it('refuses a non-admin (403) and lifts nothing; anonymous is 401', async () => {
    const { app, bans, store } = await withBans(['carol'])
    const before = await bans.list()
    const listed = await app.inject({ method: 'GET', url: '/api/v1/admin/bans', headers: auth })
    expect(listed.statusCode).toBe(403)
    expect(listed.json().code).toBe('GW_ERR_NOT_ADMIN')
    for (const ban of before) {
      const r = await app.inject({ method: 'DELETE', url: `/api/v1/admin/bans/${ban.id}`, headers: auth })
      expect(r.statusCode).toBe(403)
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/admin/bans' })).statusCode).toBe(401)
    expect(await bans.list()).toEqual(before)
    await store.close()
  })

  it('a malformed id is 400, a well-formed unknown one 404, and the store is left as it was', async () => {
    const { app, address, bans, store } = await withBans(['alice'])
    const before = await bans.list()
    const cases: Array<[string, number]> = [
      ['x', 400],
      [`${address.id}0`, 400],
      [address.id.toUpperCase(), 400],
      [`z${address.id.slice(1)}`, 400],
      [`${address.id.slice(0, -1)}%00`, 400],
      [`${address.id.slice(0, -1)}%0a`, 400],
      ['%C3%A9'.repeat(11), 400],
      ['a'.repeat(4000), 400],
      [`a${'0'.repeat(32)}`, 404],
      [`u${address.id.slice(1)}`, 404],
    ]
    for (const [id, status] of cases) {
      const r = await app.inject({ method: 'DELETE', url: `/api/v1/admin/bans/${id}`, headers: auth })
      expect(r.statusCode, id).toBe(status)
    }
    expect(await bans.list()).toEqual(before)
    expect(
      (await app.inject({ method: 'PUT', url: `/api/v1/admin/bans/${address.id}`, headers: auth })).headers
        .allow,
    ).toBe('DELETE')
    await store.close()
  })

  it('/metrics counts bans issued and lifted through this app, and those in force in the store', async () => {
    const { app, address, store } = await withBans(['alice'])
    await app.inject({ method: 'DELETE', url: `/api/v1/admin/bans/${address.id}`, headers: auth })
    const text = (await app.inject({ url: '/metrics' })).body
    // Issued before the app subscribed (withBans), so only the lift is this app's.
    expect(text).toMatch(/^ftpgw_bans_issued_total\{kind="address"\} 0$/m)
    expect(text).toMatch(/^ftpgw_bans_lifted_total\{kind="address"\} 1$/m)
    expect(text).toMatch(/^ftpgw_bans_active\{kind="address"\} 0$/m)
    expect(text).toMatch(/^ftpgw_bans_active\{kind="user"\} 1$/m)
    await store.close()
  })

  it('GATEWAY_ADMINS=group:NAME: a member of the group is an administrator, others are not', async () => {
    for (const [groups, status] of [
      [['ops'], 200],
      [['staff'], 403],
    ] as const) {
      const { app } = await buildTestApp({
        config: testConfig({ gatewayAdmins: [], gatewayAdminGroups: groups }),
        auth: new OpsAuthenticator(),
      })
      const r = await app.inject({ method: 'GET', url: '/api/v1/admin/bans', headers: auth })
      expect(r.statusCode, groups.join()).toBe(status)
    }
  })
})
