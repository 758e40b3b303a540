/**
 * Rendered folder bodies (src/http/webdav/listing-bodies.ts): reused only for the very same stat
 * objects, dropped after the TTL, bounded in bytes (least recently used first), and the PROPFIND
 * handler reuses one only when nothing but the stats shaped it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { FileService, FileStat, Identity, RelPath } from '../../../src/files/types.js'
import { type DavServices, setDavState } from '../../../src/http/webdav/context.js'
import { ListingBodies } from '../../../src/http/webdav/listing-bodies.js'
import type { DavLock, LockManager } from '../../../src/http/webdav/locks.js'
import type { PropertyBag, PropertyStore } from '../../../src/http/webdav/properties.js'
import { propfind } from '../../../src/http/webdav/propfind.js'
import { davScopeOf } from '../../../src/http/webdav/scope.js'

const stat = (path: string, type: FileStat['type'] = 'file'): FileStat => ({
  path: path as RelPath,
  name: path.split('/').pop() ?? '',
  type,
  size: type === 'dir' ? undefined : 3,
  modified: new Date(Date.UTC(2026, 0, 1)),
  etag: `e-${path}`,
})
const body = (bytes: number) => Buffer.alloc(bytes, 0x61)
const options = { ttlMs: 5000, maxBytes: 1000, maxBodyBytes: 600 }

afterEach(() => vi.useRealTimers())

describe('ListingBodies', () => {
  it('answers for the same stat objects only, and forgets a body whose stats changed', () => {
    const bodies = new ListingBodies(options)
    const stats = [stat('d', 'dir'), stat('d/a'), stat('d/b')]
    const b = body(100)
    bodies.set('k', stats, b)
    expect(bodies.get('k', [...stats])).toBe(b)
    // Equal contents are not enough: a listing fetched again is new objects.
    expect(bodies.get('k', [stats[0]!, stat('d/a'), stats[2]!])).toBeUndefined()
    expect(bodies.size).toEqual({ entries: 0, bytes: 0 })
    bodies.set('k', stats, b)
    expect(bodies.get('k', stats.slice(0, 2))).toBeUndefined()
    expect(bodies.get('other', stats)).toBeUndefined()
  })

  it('drops a body after the TTL', () => {
    vi.useFakeTimers()
    const bodies = new ListingBodies(options)
    const stats = [stat('d', 'dir'), stat('d/a')]
    bodies.set('k', stats, body(10))
    vi.advanceTimersByTime(4999)
    expect(bodies.get('k', stats)).toBeDefined()
    vi.advanceTimersByTime(2)
    expect(bodies.get('k', stats)).toBeUndefined()
    expect(bodies.size.bytes).toBe(0)
  })

  it('keeps within maxBytes by dropping the least recently used, and refuses oversized bodies', () => {
    const bodies = new ListingBodies(options)
    const s = (n: string) => [stat(n, 'dir'), stat(`${n}/x`)]
    const [a, b, c] = [s('a'), s('b'), s('c')]
    bodies.set('a', a, body(400))
    bodies.set('b', b, body(400))
    expect(bodies.get('a', a)).toBeDefined() // a is now the most recent
    bodies.set('c', c, body(400))
    expect(bodies.get('b', b)).toBeUndefined()
    expect(bodies.get('a', a)).toBeDefined()
    expect(bodies.get('c', c)).toBeDefined()
    expect(bodies.size).toEqual({ entries: 2, bytes: 800 })
    bodies.set('big', s('big'), body(601))
    expect(bodies.get('big', s('big'))).toBeUndefined()
    bodies.set('a', a, body(100)) // replacing counts the new size only
    expect(bodies.size).toEqual({ entries: 2, bytes: 500 })
    bodies.clear()
    expect(bodies.size).toEqual({ entries: 0, bytes: 0 })
  })

  it('keeps nothing with a TTL of 0', () => {
    const bodies = new ListingBodies({ ...options, ttlMs: 0 })
    const stats = [stat('d', 'dir'), stat('d/a')]
    bodies.set('k', stats, body(10))
    expect(bodies.get('k', stats)).toBeUndefined()
  })
})

describe('PROPFIND and the kept bodies', () => {
  const who: Identity = { user: 'u', password: 'p', key: 'u:k', principal: 'u' }
  let listing = [stat('d/a'), stat('d/b')]
  const folder = stat('d', 'dir')
  let bags: PropertyBag[] = []
  const files = {
    stat: async () => folder,
    list: async () => ({ path: 'd', entries: listing, next: null }),
  } as unknown as FileService
  const svc: DavServices = {
    files,
    locks: {} as LockManager,
    props: {
      getMany: async (paths: RelPath[]) => paths.map((_, i) => bags[i] ?? {}),
    } as unknown as PropertyStore,
    bodies: new ListingBodies({ ttlMs: 60_000, maxBytes: 1 << 20, maxBodyBytes: 1 << 20 }),
  }

  /** One PROPFIND of d/ with an empty body (allprop); returns what reached res.end. */
  async function run(locks: DavLock[] = [], depth = '1'): Promise<Buffer> {
    const req = Object.assign(Readable.from([]), { headers: { depth } }) as unknown as IncomingMessage
    setDavState(req, {
      who,
      scope: davScopeOf('test', who),
      svc,
      path: 'd',
      trailingSlash: true,
      submitted: new Set(),
      locks,
    })
    let sent: Buffer | undefined
    const res = {
      headersSent: false,
      writableEnded: false,
      statusCode: 0,
      hasHeader: () => false,
      setHeader: () => undefined,
      end: (b: Buffer) => {
        sent = b
      },
    } as unknown as ServerResponse
    await propfind(svc, req, res)
    expect(res.statusCode).toBe(207)
    return sent!
  }

  it('sends the kept body again for the same stats, and renders anew when anything shaped it', async () => {
    const first = await run()
    expect(await run()).toBe(first) // the same Buffer: nothing rendered
    listing = [stat('d/a'), stat('d/b'), stat('d/c')]
    const grown = await run()
    expect(grown).not.toBe(first)
    expect(grown.toString()).toContain('/dav/d/c<')
    bags = [{}, { '{urn:x}tag': '<tag xmlns="urn:x">1</tag>' }]
    const withProp = await run()
    expect(withProp.toString()).toContain('<tag xmlns="urn:x">1</tag>')
    bags = []
    expect(await run()).toBe(grown) // the bag is gone again: the kept body is still right
    const lock: DavLock = {
      token: 'urn:uuid:1',
      path: 'd/a' as RelPath,
      scope: 'exclusive',
      depth: 0,
      owner: '',
      principal: 'p',
      timeoutSec: 60,
      expiresAt: Date.now() + 60_000,
    }
    const locked = await run([lock])
    expect(locked.toString()).toContain('<D:activelock>')
    expect(await run()).toBe(grown)
    expect(svc.bodies?.size.entries).toBe(1)
  })
})
