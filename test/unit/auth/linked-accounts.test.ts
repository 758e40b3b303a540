/**
 * Linked accounts over a MemoryStore with fake upstreams: linking only after the login succeeds,
 * nothing stored after a refusal, unknown and non-mapped upstreams, the sealed record bound to its
 * person and upstream, and the authenticator wrapper adding the accounts only when some upstream is mapped.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isAuthError } from '../../../src/auth/errors.js'
import { LinkedAccounts, withLinkedAccounts } from '../../../src/auth/linked-accounts.js'
import { identityOf } from '../../../src/auth/types.js'
import { FileError } from '../../../src/files/errors.js'
import type { Identity } from '../../../src/files/types.js'
import { StoreError } from '../../../src/store/errors.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import type { Store } from '../../../src/store/store.js'

function setup() {
  const store = new MemoryStore()
  const logins: string[] = []
  const links = new LinkedAccounts({
    store,
    sessionKey: randomBytes(32),
    targets: {
      kindOf: (name) => ({ m: 'mapped', s: 'service', p: 'passthrough' })[name] as 'mapped' | undefined,
      verify: async (name, who: Identity) => {
        logins.push(`${name}:${who.user}`)
        if (who.password !== 'right') throw new FileError('FILE_ERR_UNAUTHORIZED', 'refused')
      },
    },
  })
  return { store, links, logins }
}

describe('linked accounts', () => {
  it('are stored only after the FTP server accepted them, sealed', async () => {
    const { store, links, logins } = setup()
    await expect(links.link('alice', 'm', 'ftp-alice', 'wrong')).rejects.toSatisfy((e) =>
      isAuthError(e, 'AUTH_ERR_LINK_REFUSED'),
    )
    expect(await store.hgetall('links:alice')).toEqual({})
    await links.link('alice', 'm', 'ftp-alice', 'right')
    expect(logins).toEqual(['m:ftp-alice', 'm:ftp-alice'])
    expect(JSON.stringify(await store.hgetall('links:alice'))).not.toContain('right')
    const accounts = await links.accountsOf('alice')
    expect(accounts.get('m')).toMatchObject({ user: 'ftp-alice', password: 'right', principal: 'alice' })
    await links.unlink('alice', 'm')
    expect((await links.accountsOf('alice')).size).toBe(0)
  })

  it('unknown upstreams are 404, others than mapped 409, CR/LF refused: no login tried', async () => {
    const { links, logins } = setup()
    await expect(links.link('alice', 'x', 'u', 'right')).rejects.toSatisfy((e) =>
      isAuthError(e, 'AUTH_ERR_UNKNOWN_UPSTREAM'),
    )
    await expect(links.link('alice', 's', 'u', 'right')).rejects.toSatisfy((e) =>
      isAuthError(e, 'AUTH_ERR_NOT_MAPPED'),
    )
    await expect(links.link('alice', 'p', 'u', 'right')).rejects.toSatisfy((e) =>
      isAuthError(e, 'AUTH_ERR_NOT_MAPPED'),
    )
    await expect(links.link('alice', 'm', 'u\r\nDELE x', 'right')).rejects.toSatisfy((e) =>
      isAuthError(e, 'AUTH_ERR_BAD_HEADER'),
    )
    expect(logins).toEqual([])
  })

  it('a record moved to another person does not open', async () => {
    const { store, links } = setup()
    await links.link('alice', 'm', 'ftp-alice', 'right')
    const raw = (await store.hgetall('links:alice')).m as string
    await store.hset('links:mallory', 'm', raw)
    expect((await links.accountsOf('mallory')).size).toBe(0)
  })

  it('the wrapper adds the accounts only while some upstream is mapped', async () => {
    const { links } = setup()
    await links.link('alice', 'm', 'ftp-alice', 'right')
    let mapped = true
    const auth = withLinkedAccounts(
      { authenticate: async () => identityOf('alice', 'x') },
      links,
      () => mapped,
    )
    expect((await auth.authenticate('Basic x', '127.0.0.1')).linked?.get('m')?.user).toBe('ftp-alice')
    mapped = false
    expect((await auth.authenticate('Basic x', '127.0.0.1')).linked).toBeUndefined()
  })

  it('a store that cannot be read marks the identity instead of failing the request', async () => {
    const down = {
      hgetall: async () => {
        throw new StoreError('STORE_ERR_UNAVAILABLE', 'down')
      },
    } as unknown as Store
    const broken = new LinkedAccounts({
      store: down,
      sessionKey: randomBytes(32),
      targets: { kindOf: () => 'mapped', verify: async () => undefined },
    })
    const auth = withLinkedAccounts(
      { authenticate: async () => identityOf('alice', 'x') },
      broken,
      () => true,
    )
    const who = await auth.authenticate('Basic x', '127.0.0.1')
    expect(who.linkedUnavailable).toBe(true)
    expect(who.linked).toBeUndefined()
  })
})
