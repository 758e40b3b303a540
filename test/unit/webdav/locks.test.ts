import { describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { assertUnlocked, type DavState, LockedError } from '../../../src/http/webdav/context.js'
import {
  covers,
  DEFAULT_TIMEOUT_SEC,
  LockConflictError,
  LockManager,
  type LockRequest,
  MAX_TIMEOUT_SEC,
  parseTimeout,
} from '../../../src/http/webdav/locks.js'
import { davScopeOf } from '../../../src/http/webdav/scope.js'
import { MemoryStore } from '../../../src/store/memory-store.js'

const want = (
  path: string,
  scope: 'exclusive' | 'shared',
  depth: 0 | 'infinity' = 0,
  principal = 'alice',
): LockRequest => ({
  path,
  scope,
  depth,
  owner: '',
  principal,
  timeoutSec: 60,
})

function manager(now = { t: 1_000_000 }) {
  return { locks: new LockManager(new MemoryStore(), 'tree', { now: () => now.t }), now }
}

describe('lock manager conflict rules', () => {
  it('grants one exclusive lock and refuses any second lock on the resource', async () => {
    const { locks } = manager()
    await locks.create(want('a', 'exclusive'))
    await expect(locks.create(want('a', 'exclusive'))).rejects.toThrow(LockConflictError)
    await expect(locks.create(want('a', 'shared'))).rejects.toThrow(LockConflictError)
  })

  it('grants shared locks together, and no exclusive lock over them', async () => {
    const { locks } = manager()
    await locks.create(want('a', 'shared'))
    await locks.create(want('a', 'shared'))
    await expect(locks.create(want('a', 'exclusive'))).rejects.toThrow(LockConflictError)
    expect(await locks.all()).toHaveLength(2)
  })

  it('sees depth-infinity ancestors and descendants', async () => {
    const { locks } = manager()
    await locks.create(want('dir', 'exclusive', 'infinity'))
    await expect(locks.create(want('dir/sub/file', 'exclusive'))).rejects.toThrow(LockConflictError)
    await expect(locks.create(want('', 'exclusive', 'infinity'))).rejects.toThrow(LockConflictError)
    // A depth-0 lock on the root does not reach into dir, and siblings are free.
    await locks.create(want('', 'exclusive', 0))
    await locks.create(want('dir2/file', 'exclusive'))
  })

  it('lets a depth-0 collection lock coexist with locks on members', async () => {
    const { locks } = manager()
    await locks.create(want('dir', 'exclusive', 0))
    await locks.create(want('dir/file', 'exclusive'))
    await expect(locks.create(want('dir', 'exclusive', 'infinity'))).rejects.toThrow(LockConflictError)
  })

  it('forgets expired locks and refreshes live ones', async () => {
    const { locks, now } = manager()
    const lock = await locks.create(want('a', 'exclusive'))
    now.t += 59_000
    const refreshed = await locks.refresh(lock.token, 120)
    expect(refreshed?.expiresAt).toBe(now.t + 120_000)
    now.t += 119_000
    expect(await locks.get(lock.token)).toBeDefined()
    now.t += 2_000
    expect(await locks.get(lock.token)).toBeUndefined()
    expect(await locks.refresh(lock.token, 60)).toBeUndefined()
    await locks.create(want('a', 'exclusive'))
  })

  it('removes locks with their resources', async () => {
    const { locks } = manager()
    await locks.create(want('dir/a', 'exclusive'))
    await locks.create(want('dir/b/c', 'shared'))
    const keep = await locks.create(want('dir2', 'exclusive'))
    await locks.removeWithin('dir')
    expect((await locks.all()).map((l) => l.token)).toEqual([keep.token])
  })

  it('parses Timeout headers and caps them', () => {
    expect(parseTimeout(undefined)).toBe(DEFAULT_TIMEOUT_SEC)
    expect(parseTimeout('Second-120')).toBe(120)
    expect(parseTimeout('Infinite, Second-4100000000')).toBe(MAX_TIMEOUT_SEC)
    expect(parseTimeout('Second-99999999999')).toBe(MAX_TIMEOUT_SEC)
    expect(parseTimeout('bogus, Second-5')).toBe(5)
  })

  it('covers the root and, for depth infinity, everything below', async () => {
    const { locks } = manager()
    const deep = await locks.create(want('d', 'shared', 'infinity'))
    const flat = await locks.create(want('f', 'shared', 0))
    expect([covers(deep, 'd'), covers(deep, 'd/x/y'), covers(deep, 'dx')]).toEqual([true, true, false])
    expect([covers(flat, 'f'), covers(flat, 'f/x')]).toEqual([true, false])
  })
})

describe('lock enforcement by submitted token, whoever the user is', () => {
  it('refuses writes without the token and allows them with it', async () => {
    const { locks } = manager()
    const lock = await locks.create(want('dir', 'exclusive', 'infinity'))
    const who = identityOf('alice', 'pw')
    const state = (tokens: string[]): DavState => ({
      who,
      scope: davScopeOf('test', who),
      svc: {} as DavState['svc'],
      path: 'dir/x',
      trailingSlash: false,
      submitted: new Set(tokens),
      locks: [lock],
    })
    expect(() => assertUnlocked(state([]), 'dir/x')).toThrow(LockedError)
    expect(() => assertUnlocked(state(['urn:uuid:other']), 'dir/x')).toThrow(LockedError)
    expect(() => assertUnlocked(state([lock.token]), 'dir/x')).not.toThrow()
    // Deleting or moving an ancestor touches the locked subtree.
    expect(() => assertUnlocked(state([]), '', { subtree: true })).toThrow(LockedError)
    expect(() => assertUnlocked(state([]), 'other', { subtree: true })).not.toThrow()
  })
})
