/**
 * A listing read while a write finished must not be cached after that write's invalidation (it
 * would hide the new file until the TTL, right after the upload answered 201).
 */
import { describe, expect, it } from 'vitest'
import { MetadataCache } from '../../../src/files/metadata-cache.js'
import type { FileStat } from '../../../src/files/types.js'
import { MemoryStore } from '../../../src/store/index.js'

const entry = (name: string): FileStat => ({
  path: `d/${name}`,
  name,
  type: 'file',
  size: 1,
  modified: undefined,
  etag: '"e"',
})

describe('MetadataCache listing epochs', () => {
  it('keeps a listing only when no invalidation came in while it was read', async () => {
    const cache = new MetadataCache({ store: new MemoryStore(), ttlMs: 60_000 })
    const before = cache.epoch
    await cache.invalidate(['d/new.txt'])
    cache.setListing('id', 'd', [entry('old.txt')], before)
    expect(cache.getListing('id', 'd')).toBeUndefined()
    const now = cache.epoch
    cache.setListing('id', 'd', [entry('old.txt'), entry('new.txt')], now)
    expect(cache.getListing('id', 'd')?.map((e) => e.name)).toEqual(['old.txt', 'new.txt'])
    // Without an epoch (callers that just wrote the listing themselves) it is kept as before.
    cache.setListing('id', 'e', [entry('x')])
    expect(cache.getListing('id', 'e')).toHaveLength(1)
  })
})
