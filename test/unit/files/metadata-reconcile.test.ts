/**
 * MetadataCache.reconcile: what the server just said about a path against what is cached. A
 * listing that disagrees about the entry being there (or being a folder) goes; one that only shows
 * another size or time (LIST's minutes against MDTM's seconds) stays; a path that is gone loses
 * its cached stat.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MetadataCache } from '../../../src/files/metadata-cache.js'
import type { FileStat } from '../../../src/files/types.js'
import { MemoryStore } from '../../../src/store/memory-store.js'

const file = (path: string, size = 1, type: FileStat['type'] = 'file'): FileStat => ({
  path,
  name: path.slice(path.lastIndexOf('/') + 1),
  type,
  size,
  modified: new Date('2024-01-01T00:00:00Z'),
  etag: `"${size}"`,
})

const store = new MemoryStore()
afterEach(async () => store.close())

function cacheWith(entries: FileStat[]): MetadataCache {
  const cache = new MetadataCache({ store, ttlMs: 60_000 })
  cache.setListing('me', 'd', entries)
  return cache
}

describe('MetadataCache.reconcile', () => {
  it('drops a listing that lacks a file the server has (another client created it)', () => {
    const cache = cacheWith([file('d/a')])
    cache.reconcile('me', 'd/new', file('d/new'))
    expect(cache.getListing('me', 'd')).toBeUndefined()
  })

  it('drops a listing that still holds a file the server no longer has, and its stat', () => {
    const cache = cacheWith([file('d/a'), file('d/gone')])
    cache.setStat('me', file('d/gone'))
    cache.reconcile('me', 'd/gone', undefined)
    expect(cache.getListing('me', 'd')).toBeUndefined()
    expect(cache.getStat('me', 'd/gone')).toBeUndefined()
  })

  it('drops a listing where a file became a folder', () => {
    const cache = cacheWith([file('d/x')])
    cache.reconcile('me', 'd/x', file('d/x', 0, 'dir'))
    expect(cache.getListing('me', 'd')).toBeUndefined()
  })

  it('keeps a listing that agrees, whatever the size or time shows, and other identities alone', () => {
    const cache = cacheWith([file('d/a')])
    cache.setListing('other', 'd', [file('d/a')])
    cache.reconcile('me', 'd/a', file('d/a', 99))
    cache.reconcile('me', 'd/missing', undefined)
    expect(cache.getListing('me', 'd')).toHaveLength(1)
    cache.reconcile('me', 'd/new', file('d/new'))
    expect(cache.getListing('other', 'd')).toHaveLength(1)
  })
})
