/**
 * Issue 15 item 13 (lock parts), by counting: a DAV request reads only its own scope's locks (one
 * store read, bounded by the caps), and lockdiscovery for a Depth 1 PROPFIND comes from one pass
 * over those locks, not children × locks. Plus the 507 a LOCK gets over the per-user cap.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { AuthError } from '../../../src/auth/errors.js'
import { type Authenticator, identityOf } from '../../../src/auth/types.js'
import type { FileStat, Identity } from '../../../src/files/types.js'
import { createServer } from '../../../src/http/app.js'
import { type DavLock, LockManager, MAX_LOCKS_PER_PRINCIPAL } from '../../../src/http/webdav/locks.js'
import { locksByResource } from '../../../src/http/webdav/propfind.js'
import { davScopeOf, viewOfAccount } from '../../../src/http/webdav/scope.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'
import { testConfig } from '../../helpers/http-app.js'

/** Basic `user:pw` for any user: each a passthrough identity of its own. */
class AnyUser implements Authenticator {
  async authenticate(authorization: string | undefined): Promise<Identity> {
    const m = /^Basic (.+)$/.exec(authorization ?? '')
    if (!m) throw new AuthError('AUTH_ERR_MISSING', 'Authentication required')
    const [user, pw] = Buffer.from(m[1] as string, 'base64')
      .toString()
      .split(':') as [string, string]
    return identityOf(user, pw)
  }
}
const basic = (user: string) => `Basic ${Buffer.from(`${user}:pw`).toString('base64')}`

/** A MemoryStore that counts lock-table reads and the lock entries they return. */
function countingStore() {
  const store = new MemoryStore()
  const counts = { tableReads: 0, entriesRead: 0 }
  const hgetall = store.hgetall.bind(store)
  store.hgetall = async (key: string) => {
    const out = await hgetall(key)
    if (key.startsWith('dav:locks:')) {
      counts.tableReads++
      counts.entriesRead += Object.keys(out).length
    }
    return out
  }
  return { store, counts }
}

const LOCKINFO =
  '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  '<D:locktype><D:write/></D:locktype></D:lockinfo>'

describe('a DAV request reads only the locks of its own tree', () => {
  it("ftpu2's PROPFIND reads none of ftpu1's locks; ftpu1's reads its own, once", async () => {
    const { store, counts } = countingStore()
    const files = new FakeFileService()
    for (let i = 0; i < 400; i++) files.putFile(`many/f${i}`, 'x')
    const app = createServer({
      config: testConfig(),
      files,
      auth: new AnyUser(),
      store,
      viewOf: (who) => viewOfAccount('up', who.user),
    })
    onTestFinished(() => app.close())
    await app.ready()
    // ftpu1 holds as many locks as it may: one on each of the first 100 files.
    const one = davScopeOf(viewOfAccount('up', 'ftpu1'), identityOf('ftpu1', 'pw'))
    const table = new LockManager(store, one.tree)
    for (let i = 0; i < MAX_LOCKS_PER_PRINCIPAL; i++)
      await table.create({
        path: `many/f${i}`,
        scope: 'exclusive',
        depth: 0,
        owner: '',
        principal: one.principal,
        timeoutSec: 600,
      })
    counts.tableReads = 0
    counts.entriesRead = 0

    const other = await app.inject({
      method: 'PROPFIND',
      url: '/dav/many/',
      headers: { authorization: basic('ftpu2'), depth: '1' },
    })
    expect(other.statusCode).toBe(207)
    expect(other.body).not.toContain('<D:activelock>')
    expect(counts).toEqual({ tableReads: 1, entriesRead: 0 })

    const own = await app.inject({
      method: 'PROPFIND',
      url: '/dav/many/',
      headers: { authorization: basic('ftpu1'), depth: '1' },
    })
    expect(own.body.match(/<D:activelock>/g)).toHaveLength(MAX_LOCKS_PER_PRINCIPAL)
    expect(counts).toEqual({ tableReads: 2, entriesRead: MAX_LOCKS_PER_PRINCIPAL })

    // One more lock is over ftpu1's cap: 507 with the stable element, and nothing is created.
    const over = await app.inject({
      method: 'LOCK',
      url: '/dav/many/f399',
      headers: { authorization: basic('ftpu1'), 'content-type': 'application/xml' },
      payload: LOCKINFO,
    })
    expect(over.statusCode).toBe(507)
    expect(over.body).toContain('lock-limit-reached')
    expect(await table.all()).toHaveLength(MAX_LOCKS_PER_PRINCIPAL)
    // ftpu2's allowance is its own (and its tree another).
    const fine = await app.inject({
      method: 'LOCK',
      url: '/dav/many/f399',
      headers: { authorization: basic('ftpu2'), 'content-type': 'application/xml' },
      payload: LOCKINFO,
    })
    expect(fine.statusCode).toBe(200)
  })
})

describe('lockdiscovery of a listing from one pass over the locks', () => {
  const stat = (path: string, type: 'file' | 'dir' = 'file'): FileStat => ({
    path,
    name: path.slice(path.lastIndexOf('/') + 1),
    type,
    size: 1,
    modified: undefined,
    etag: '"e"',
  })
  const lock = (path: string, depth: 0 | 'infinity'): DavLock => ({
    token: `urn:uuid:${path}-${depth}`,
    path,
    scope: 'shared',
    depth,
    owner: '',
    principal: 'p',
    timeoutSec: 60,
    expiresAt: Date.now() + 60_000,
  })

  it('reads each lock once for 2,000 children and 100 locks, and assigns them as covers() does', () => {
    const stats = [stat('d', 'dir'), ...Array.from({ length: 2000 }, (_, i) => stat(`d/f${i}`))]
    const raw = [
      ...Array.from({ length: 96 }, (_, i) => lock(`d/f${i * 20}`, 0)),
      lock('', 'infinity'), // covers everything
      lock('d', 0), // the folder only
      lock('d/f5/deeper', 'infinity'), // nothing listed
      lock('e', 'infinity'), // elsewhere
    ]
    let reads = 0
    const locks = new Proxy(raw, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) reads++
        return Reflect.get(target, prop, receiver)
      },
    })
    const held = locksByResource(stats, locks)
    expect(reads).toBe(raw.length)
    // Same answer as the naive children × locks filter.
    const naive = stats.map((s) =>
      raw.filter(
        (l) =>
          l.path === s.path || (l.depth === 'infinity' && (l.path === '' || s.path.startsWith(`${l.path}/`))),
      ),
    )
    expect(held.map((h) => (h ?? []).map((l) => l.token).sort())).toEqual(
      naive.map((h) => h.map((l) => l.token).sort()),
    )
    expect(held[0]?.map((l) => l.path).sort()).toEqual(['', 'd'])
    expect(held[1]?.map((l) => l.path).sort()).toEqual(['', 'd/f0'])
  })
})
