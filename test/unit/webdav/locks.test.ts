import { describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { assertUnlocked, type DavState, LockedError, statusOf } from '../../../src/http/webdav/context.js'
import {
  covers,
  type DavLock,
  DEFAULT_TIMEOUT_SEC,
  LockConflictError,
  LockLimitError,
  LockManager,
  type LockRequest,
  MAX_TIMEOUT_SEC,
  parseTimeout,
} from '../../../src/http/webdav/locks.js'
import { PropertyStore } from '../../../src/http/webdav/properties.js'
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

describe('lock table bounds (issue 15 items 3 and 13)', () => {
  it('grants Timeout: Infinite and long timeouts as one hour, and a refresh is capped too', async () => {
    const { locks, now } = manager()
    expect(parseTimeout('Infinite')).toBe(3600)
    expect(parseTimeout('Second-604800')).toBe(3600)
    // Even a caller that skips parseTimeout gets the cap.
    const lock = await locks.create({ ...want('a', 'exclusive'), timeoutSec: 7 * 24 * 3600 })
    expect(lock.timeoutSec).toBe(3600)
    expect(lock.expiresAt).toBe(now.t + 3_600_000)
    now.t += 3_599_000
    const refreshed = await locks.refresh(lock.token, 7 * 24 * 3600)
    expect(refreshed?.expiresAt).toBe(now.t + 3_600_000)
    now.t += 3_600_000
    expect(await locks.get(lock.token)).toBeUndefined()
  })

  it('limits live locks per principal and per scope; expired and removed locks free their place', async () => {
    const now = { t: 1_000_000 }
    const locks = new LockManager(new MemoryStore(), 'tree', {
      now: () => now.t,
      limits: { perPrincipal: 3, perScope: 5 },
    })
    const mine = []
    for (let i = 0; i < 3; i++) mine.push(await locks.create(want(`a${i}`, 'exclusive', 0, 'alice')))
    await expect(locks.create(want('a3', 'exclusive', 0, 'alice'))).rejects.toThrow(LockLimitError)
    // Bob has his own allowance, up to the scope's.
    await locks.create(want('b0', 'exclusive', 0, 'bob'))
    await locks.create(want('b1', 'exclusive', 0, 'bob'))
    await expect(locks.create(want('b2', 'exclusive', 0, 'bob'))).rejects.toThrow(LockLimitError)
    expect(await locks.all()).toHaveLength(5)
    await locks.remove((mine[0] as DavLock).token)
    await locks.create(want('b2', 'exclusive', 0, 'bob'))
    // Once they expire, locks count no more (and are purged from the table on the next create).
    now.t += 61_000
    await locks.create(want('a3', 'exclusive', 0, 'alice'))
    expect(await locks.all()).toHaveLength(1)
  })

  it('answers a LOCK over the limit with 507 and a stable precondition element', () => {
    const { status, body } = statusOf(new LockLimitError('At most 100 locks per user'))
    expect(status).toBe(507)
    expect(body).toContain('<G:lock-limit-reached xmlns:G="urn:ftp-gateway:dav"/>')
  })

  it('keeps scopes apart: a depth-infinity lock on one tree is invisible to another', async () => {
    const store = new MemoryStore()
    const one = new LockManager(store, 'tree-1')
    const two = new LockManager(store, 'tree-2')
    const held = await one.create(want('', 'exclusive', 'infinity'))
    await two.create(want('a', 'exclusive'))
    expect((await two.all()).map((l) => l.path)).toEqual(['a'])
    expect(await two.get(held.token)).toBeUndefined()
    expect(await two.remove(held.token)).toBe(false)
    expect(await one.get(held.token)).toBeDefined()
  })

  it('keys the store by hashed scope: no user name in any key', async () => {
    const keys = new Set<string>()
    const memory = new MemoryStore()
    // Every key any call names (the first argument of every Store method but mget's).
    const store = new Proxy(memory, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver)
        if (typeof v !== 'function') return v
        return (...args: unknown[]) => {
          for (const a of args.slice(0, 1).flat()) if (typeof a === 'string') keys.add(a)
          return (v as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
    const who = identityOf('ftpu1', 'pw')
    const scope = davScopeOf('127.0.0.1:21', who)
    await new LockManager(store, scope.tree).create(want('a', 'exclusive', 0, scope.principal))
    await new PropertyStore(store, scope.tree).put('a', { '{urn:x}p': '<p xmlns="urn:x"/>' })
    await new PropertyStore(store, scope.tree).getMany(['a'])
    expect(keys.size).toBeGreaterThan(3)
    for (const k of keys) expect(k).not.toContain('ftpu1')
    // Same account, another principal (service account): same tree, another owner.
    const bob = davScopeOf('127.0.0.1:21', identityOf('ftpu1', 'pw', 'bob'))
    expect(bob.tree).toBe(scope.tree)
    expect(bob.principal).not.toBe(scope.principal)
    // Another upstream: another tree.
    expect(davScopeOf('10.0.0.1:21', who).tree).not.toBe(scope.tree)
  })
})

describe('dead properties per scope', () => {
  it("never shows one tree's property on another's resource of the same path", async () => {
    const store = new MemoryStore()
    const one = new PropertyStore(store, 'tree-1')
    const two = new PropertyStore(store, 'tree-2')
    await one.put('dir/f', { '{urn:x}p': '<p xmlns="urn:x">1</p>' })
    expect(await two.get('dir/f')).toEqual({})
    expect(await two.getMany(['dir/f'])).toEqual([{}])
    await two.removeWithin('dir')
    expect(await one.get('dir/f')).toEqual({ '{urn:x}p': '<p xmlns="urn:x">1</p>' })
    await two.transfer('dir', 'moved', { move: true, depth: 'infinity' })
    expect(await one.get('dir/f')).not.toEqual({})
  })
})
