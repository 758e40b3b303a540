/** The small-file content cache: what it keeps, when an entry is used, and what drops it. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ContentCache, collect, inMemory } from '../../../src/files/content-cache.js'
import { isFileError } from '../../../src/files/errors.js'
import { MetadataCache } from '../../../src/files/metadata-cache.js'
import type { FileStat } from '../../../src/files/types.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { readAll } from '../../helpers/streams.js'

const stat = (path: string, size: number, etag = `"${size}-1"`): FileStat => ({
  path,
  name: path.split('/').pop() ?? path,
  type: 'file',
  size,
  modified: new Date(1000),
  etag,
})
const bytes = (n: number, fill = 7) => Buffer.alloc(n, fill)

afterEach(() => {
  vi.useRealTimers()
})

describe('ContentCache', () => {
  it('keeps small files and hands them back only under the same ETag', () => {
    const c = new ContentCache({ ttlMs: 5000, maxBytes: 1000, maxFileBytes: 100 })
    c.set('alice', stat('a.txt', 10), bytes(10))
    expect(c.get('alice', stat('a.txt', 10))?.equals(bytes(10))).toBe(true)
    // Same size, other modification time: the file changed, the entry is useless and goes.
    expect(c.get('alice', stat('a.txt', 10, '"10-2"'))).toBeUndefined()
    expect(c.get('alice', stat('a.txt', 10))).toBeUndefined()
    expect(c.size).toBe(0)
    expect(c.hits).toBe(1)
    expect(c.misses).toBe(2)
  })

  it('is per identity: another login never sees alice’s bytes', () => {
    const c = new ContentCache({ ttlMs: 5000, maxBytes: 1000, maxFileBytes: 100 })
    c.set('alice', stat('a.txt', 10), bytes(10))
    expect(c.get('bob', stat('a.txt', 10))).toBeUndefined()
    expect(c.get('alice', stat('a.txt', 10))).toBeDefined()
  })

  it('refuses files over the per-file limit, bytes that do not match the stat, and everything when off', () => {
    const c = new ContentCache({ ttlMs: 5000, maxBytes: 1000, maxFileBytes: 100 })
    expect(c.fits(100)).toBe(true)
    expect(c.fits(101)).toBe(false)
    expect(c.fits(undefined)).toBe(false)
    c.set('alice', stat('big.bin', 101), bytes(101))
    c.set('alice', stat('short.bin', 10), bytes(9))
    expect(c.size).toBe(0)
    for (const off of [
      new ContentCache({ ttlMs: 0, maxBytes: 1000, maxFileBytes: 100 }),
      new ContentCache({ ttlMs: 5000, maxBytes: 0, maxFileBytes: 100 }),
    ]) {
      expect(off.fits(1)).toBe(false)
      off.set('alice', stat('a.txt', 1), bytes(1))
      expect(off.size).toBe(0)
    }
  })

  it('stays within its byte budget, dropping the oldest entries first', () => {
    const c = new ContentCache({ ttlMs: 5000, maxBytes: 250, maxFileBytes: 100 })
    for (const name of ['1', '2', '3']) c.set('alice', stat(name, 100), bytes(100))
    expect(c.size).toBe(200)
    expect(c.get('alice', stat('1', 100))).toBeUndefined()
    expect(c.get('alice', stat('2', 100))).toBeDefined()
    expect(c.get('alice', stat('3', 100))).toBeDefined()
    // Replacing an entry does not count it twice.
    c.set('alice', stat('3', 50, '"50-9"'), bytes(50))
    expect(c.size).toBe(150)
  })

  it('expires entries with the metadata lifetime', () => {
    vi.useFakeTimers()
    const c = new ContentCache({ ttlMs: 1000, maxBytes: 1000, maxFileBytes: 100 })
    c.set('alice', stat('a.txt', 10), bytes(10))
    vi.advanceTimersByTime(999)
    expect(c.get('alice', stat('a.txt', 10))).toBeDefined()
    vi.advanceTimersByTime(2)
    expect(c.get('alice', stat('a.txt', 10))).toBeUndefined()
    expect(c.size).toBe(0)
  })

  it('is dropped with the metadata: a write to the file, or to a directory above it with subtree', async () => {
    const store = new MemoryStore()
    const content = new ContentCache({ ttlMs: 5000, maxBytes: 1000, maxFileBytes: 100 })
    const meta = new MetadataCache({ store, ttlMs: 5000, content })
    content.set('alice', stat('d/a.txt', 10), bytes(10))
    content.set('alice', stat('d/e/b.txt', 10), bytes(10))
    content.set('alice', stat('other.txt', 10), bytes(10))
    await meta.invalidate(['d/a.txt'])
    expect(content.get('alice', stat('d/a.txt', 10))).toBeUndefined()
    expect(content.get('alice', stat('d/e/b.txt', 10))).toBeDefined()
    await meta.invalidate(['d'], { subtree: true })
    expect(content.get('alice', stat('d/e/b.txt', 10))).toBeUndefined()
    expect(content.get('alice', stat('other.txt', 10))).toBeDefined()
    await meta.stop()
    expect(content.size).toBe(0)
    await store.close()
  })
})

describe('inMemory and collect', () => {
  it('serves the whole file or a range of it, and refuses an unsatisfiable range with the size', async () => {
    const data = Buffer.from('0123456789')
    const whole = inMemory(stat('a', 10), data, undefined)
    expect(whole.range).toBeUndefined()
    expect((await readAll(whole.body)).equals(data)).toBe(true)
    const part = inMemory(stat('a', 10), data, { start: 2, end: 4 })
    expect(part.range).toEqual({ start: 2, end: 4 })
    expect(part.bytes?.toString()).toBe('234')
    expect((await readAll(part.body)).toString()).toBe('234')
    expect(inMemory(stat('a', 10), data, { end: 3 }).bytes?.toString()).toBe('789')
    let err: unknown
    try {
      inMemory(stat('a', 10), data, { start: 10 })
    } catch (e) {
      err = e
    }
    expect(isFileError(err, 'FILE_ERR_RANGE')).toBe(true)
  })

  it('lets the first reader of a file lead a burst and the others wait for its outcome', async () => {
    const cache = new ContentCache({ ttlMs: 1000, maxBytes: 1 << 20, maxFileBytes: 1024 })
    const first = cache.turn('alice', 'a.txt')
    const second = cache.turn('alice', 'a.txt')
    // Another identity or another path is another burst.
    expect('lead' in cache.turn('bob', 'a.txt')).toBe(true)
    expect('lead' in cache.turn('alice', 'b.txt')).toBe(true)
    if (!('lead' in first) || !('joined' in second)) throw new Error('first must lead, second join')
    first.lead({ stat: stat('a.txt', 3), bytes: bytes(3) })
    first.lead(undefined) // a later settlement changes nothing
    const outcome = await second.joined
    expect(outcome && 'bytes' in outcome && outcome.bytes?.length).toBe(3)
    // Settled: the next reader leads a new burst.
    expect('lead' in cache.turn('alice', 'a.txt')).toBe(true)
  })

  it('lets readers arriving after an invalidation start a burst of their own', () => {
    const cache = new ContentCache({ ttlMs: 1000, maxBytes: 1 << 20, maxFileBytes: 1024 })
    const before = cache.turn('alice', 'dir/a.txt')
    expect('lead' in before).toBe(true)
    cache.drop((p) => p.startsWith('dir/'))
    expect('lead' in cache.turn('alice', 'dir/a.txt')).toBe(true)
    const other = cache.turn('alice', 'x.txt')
    cache.clear()
    expect('lead' in cache.turn('alice', 'x.txt')).toBe(true)
    if ('lead' in other) other.lead(undefined)
  })

  it('collects a stream, and rejects when it fails', async () => {
    const { Readable } = await import('node:stream')
    expect((await collect(Readable.from([Buffer.from('ab'), Buffer.from('cd')]))).toString()).toBe('abcd')
    const failing = new Readable({
      read() {
        this.destroy(new Error('lost'))
      },
    })
    await expect(collect(failing)).rejects.toThrow('lost')
  })
})
