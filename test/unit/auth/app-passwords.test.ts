/**
 * App passwords over a MemoryStore: the shape, what is stored (a bcrypt hash, the creator's FTP
 * login sealed), a verified password skipping bcrypt until its record changes or goes, revocation,
 * another person's id, and an app password refused the management calls.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  AppPasswords,
  isAppPasswordId,
  isAppPasswordShaped,
  VERIFIED_TTL_MS,
} from '../../../src/auth/app-passwords.js'
import { isAuthError } from '../../../src/auth/errors.js'
import { identityOf } from '../../../src/auth/types.js'
import { MemoryStore } from '../../../src/store/memory-store.js'

function setup() {
  const store = new MemoryStore()
  let now = 1_000_000
  const passwords = new AppPasswords({ store, sessionKey: randomBytes(32), now: () => now })
  return { store, passwords, advance: (ms: number) => (now += ms) }
}

/** A guard that counts the checks it runs (each one a bcrypt). */
function counting() {
  const counter = { checks: 0 }
  const guard = async (check: () => Promise<boolean>) => {
    counter.checks++
    return check()
  }
  return { counter, guard }
}

const alice = { ...identityOf('alice', 'alice-ftp-pw'), method: 'basic' as const, groups: ['staff'] }

describe('app passwords', () => {
  it('have a fixed shape with 192 random bits, and only their hash and a sealed FTP login are stored', async () => {
    const { store, passwords } = setup()
    const made = await passwords.create(alice, 'phone', true)
    expect(isAppPasswordShaped(made.password)).toBe(true)
    expect(isAppPasswordId(made.id)).toBe(true)
    // gwap_, the 16-character id, _, then 32 characters (24 random bytes) of secret.
    expect(made.password.slice(`gwap_${made.id}_`.length)).toHaveLength(32)
    expect(made.password.startsWith(`gwap_${made.id}_`)).toBe(true)
    const stored = JSON.stringify(await store.hgetall('apppw:alice'))
    expect(stored).toContain('$2')
    expect(stored).not.toContain(made.password)
    expect(stored).not.toContain('alice-ftp-pw')
    const found = await passwords.verify('alice', made.password)
    expect(found).toEqual({
      id: made.id,
      principal: 'alice',
      groups: ['staff'],
      ftp: { user: 'alice', password: 'alice-ftp-pw' },
    })
  })

  it('keep no FTP login when told not to (service accounts, JWT users)', async () => {
    const { passwords } = setup()
    const made = await passwords.create(alice, 'svc', false)
    expect((await passwords.verify('alice', made.password))?.ftp).toBeUndefined()
  })

  it('a verified password skips bcrypt until the TTL passes; a wrong one costs a check each time', async () => {
    const { passwords, advance } = setup()
    const made = await passwords.create(alice, 'cache', true)
    const { counter, guard } = counting()
    expect(await passwords.verify('alice', made.password, guard)).toBeDefined()
    expect(await passwords.verify('alice', made.password, guard)).toBeDefined()
    expect(counter.checks).toBe(1)
    advance(VERIFIED_TTL_MS + 1)
    expect(await passwords.verify('alice', made.password, guard)).toBeDefined()
    expect(counter.checks).toBe(2)
    const wrong = made.password.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
    expect(await passwords.verify('alice', wrong, guard)).toBeUndefined()
    expect(await passwords.verify('alice', wrong, guard)).toBeUndefined()
    expect(counter.checks).toBe(4)
  })

  it('a revoked one fails at once even though it was verified; the list forgets it', async () => {
    const { passwords } = setup()
    const made = await passwords.create(alice, 'gone', true)
    expect(await passwords.verify('alice', made.password)).toBeDefined()
    expect((await passwords.list('alice')).map((p) => p.label)).toEqual(['gone'])
    await passwords.remove(alice, made.id)
    expect(await passwords.verify('alice', made.password)).toBeUndefined()
    expect(await passwords.list('alice')).toEqual([])
  })

  it("another person's id, an unknown id, a malformed id: not found; under another name: refused", async () => {
    const { passwords } = setup()
    const made = await passwords.create(alice, 'mine', true)
    const bob = { ...identityOf('bob', 'pw'), method: 'basic' as const }
    for (const id of [made.id, 'AAAAAAAAAAAAAAAA', 'bad'])
      await expect(passwords.remove(bob, id)).rejects.toSatisfy((e) =>
        isAuthError(e, 'AUTH_ERR_APP_PASSWORD_NOT_FOUND'),
      )
    expect(await passwords.verify('bob', made.password)).toBeUndefined()
    expect(await passwords.verify('alice', made.password)).toBeDefined()
  })

  it('an app password cannot make or revoke app passwords', async () => {
    const { passwords } = setup()
    const made = await passwords.create(alice, 'x', true)
    const viaApp = { ...alice, method: 'app-password' as const }
    await expect(passwords.create(viaApp, 'y', true)).rejects.toSatisfy((e) =>
      isAuthError(e, 'AUTH_ERR_APP_PASSWORD_FORBIDDEN'),
    )
    await expect(passwords.remove(viaApp, made.id)).rejects.toSatisfy((e) =>
      isAuthError(e, 'AUTH_ERR_APP_PASSWORD_FORBIDDEN'),
    )
  })

  it('lastUsedAt is recorded on use', async () => {
    const { passwords } = setup()
    const made = await passwords.create(alice, 'used', true)
    expect((await passwords.list('alice'))[0]?.lastUsedAt).toBeUndefined()
    await passwords.verify('alice', made.password)
    expect((await passwords.list('alice'))[0]?.lastUsedAt).toBeInstanceOf(Date)
  })

  it('shapes: a Basic password is an app password only in its exact form', () => {
    expect(isAppPasswordShaped('gwap_AAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB')).toBe(true)
    for (const p of [
      '',
      'secret',
      'gwap_short_x',
      'gwap_AAAAAAAAAAAAAAAA_BBBB',
      ' gwap_AAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
    ])
      expect(isAppPasswordShaped(p)).toBe(false)
  })
})
