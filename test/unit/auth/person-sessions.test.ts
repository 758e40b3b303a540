/**
 * Sessions of people the OpenID sign-in vouched for (tokens.ts `createPerson`): the record holds
 * the principal, the groups and the ID token sealed, no FTP secret; the `oidc` mark is bound into
 * the seal, so a store edit cannot turn a person's session into a password session or back.
 */
import { createHash, randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SessionTokens } from '../../../src/auth/tokens.js'
import { MemoryStore } from '../../../src/store/memory-store.js'

const HOUR = 3_600_000

describe('person sessions', () => {
  let store: MemoryStore
  const key = randomBytes(32)
  beforeEach(() => {
    store = new MemoryStore()
  })
  afterEach(async () => {
    await store.close()
  })
  const recordKey = (token: string) => `session:${createHash('sha256').update(token).digest('hex')}`

  for (const mode of ['passthrough', 'service'] as const) {
    it(`${mode}: resolves to the person, with no password or binding, whatever accept says`, async () => {
      const tokens = new SessionTokens({ store, key, ttlMs: HOUR, mode })
      const { token } = await tokens.createPerson('alice', { groups: ['staff', 'ops'], idToken: 'a.b.c' })
      const session = await tokens.resolve(token, () => false)
      expect(session).toMatchObject({
        username: 'alice',
        password: undefined,
        binding: undefined,
        person: { groups: ['staff', 'ops'], idToken: 'a.b.c' },
      })
      expect(await tokens.describe(token)).toMatchObject({ username: 'alice' })
      expect(await tokens.revoke(token)).toBe(true)
      expect(await tokens.resolve(token)).toBeUndefined()
    })
  }

  it('the store holds neither the groups nor the ID token in clear', async () => {
    const tokens = new SessionTokens({ store, key, ttlMs: HOUR, mode: 'service' })
    const { token } = await tokens.createPerson('alice', {
      groups: ['secret-group'],
      idToken: 'eyJhbGciOi.x.y',
    })
    const raw = (await store.get(recordKey(token))) as string
    expect(raw).not.toContain('secret-group')
    expect(raw).not.toContain('eyJhbGciOi')
    expect(JSON.parse(raw)).toMatchObject({ u: 'alice', m: 'oidc' })
  })

  it('removing or adding the oidc mark, or renaming the person, breaks the seal', async () => {
    const tokens = new SessionTokens({ store, key, ttlMs: HOUR, mode: 'passthrough' })
    const person = await tokens.createPerson('alice', { groups: [], idToken: undefined })
    const password = await tokens.create('bob', 'pw')
    const p = JSON.parse((await store.get(recordKey(person.token))) as string)
    const b = JSON.parse((await store.get(recordKey(password.token))) as string)
    const { m: _m, ...unmarked } = p
    await store.set(recordKey(person.token), JSON.stringify(unmarked))
    expect(await tokens.resolve(person.token)).toBeUndefined()
    await store.set(recordKey(password.token), JSON.stringify({ ...b, m: 'oidc' }))
    expect(await tokens.resolve(password.token)).toBeUndefined()
    const renamed = await tokens.createPerson('carol', { groups: ['staff'], idToken: undefined })
    const r = JSON.parse((await store.get(recordKey(renamed.token))) as string)
    await store.set(recordKey(renamed.token), JSON.stringify({ ...r, u: 'root' }))
    expect(await tokens.resolve(renamed.token)).toBeUndefined()
    // An unknown mark is no record at all.
    const other = await tokens.createPerson('dave', { groups: [], idToken: undefined })
    const o = JSON.parse((await store.get(recordKey(other.token))) as string)
    await store.set(recordKey(other.token), JSON.stringify({ ...o, m: 'admin' }))
    expect(await tokens.resolve(other.token)).toBeUndefined()
  })
})
