/**
 * Upload chunks are freed after their own write callback and never before (src/ftp/memory/chunk-release.ts);
 * only chunks alone in their ArrayBuffer are freed.
 */
import { describe, expect, it } from 'vitest'
import { ChunkReleaser, ownsWholeBuffer, RELEASE_BATCH } from '../../../../src/ftp/memory/chunk-release.js'

// A view of a whole ArrayBuffer, as Node's HTTP parser hands out body chunks.
const owned = (n = 65536) => Buffer.from(new Uint8Array(n).fill(1).buffer)

describe('ownsWholeBuffer', () => {
  it('is true only for a chunk that is its whole ArrayBuffer', () => {
    expect(ownsWholeBuffer(owned())).toBe(true)
    expect(ownsWholeBuffer(Buffer.allocUnsafeSlow(5000))).toBe(true)
    // Node's 8 KiB pool hands out slices of one shared buffer.
    expect(ownsWholeBuffer(Buffer.allocUnsafe(100))).toBe(false)
    expect(ownsWholeBuffer(owned().subarray(1))).toBe(false)
    expect(ownsWholeBuffer(owned().subarray(0, 10))).toBe(false)
    expect(ownsWholeBuffer(Buffer.alloc(0))).toBe(false)
  })
})

describe('ChunkReleaser', () => {
  it('frees a chunk only after its own callback, in batches, and on flush', () => {
    const r = new ChunkReleaser()
    const chunks = Array.from({ length: RELEASE_BATCH + 3 }, () => owned())
    for (const c of chunks) expect(r.track(c)).toBe(true)
    // Written but no callback yet: the kernel may still be reading them.
    expect(chunks.every((c) => c.length === 65536)).toBe(true)
    for (let i = 0; i < RELEASE_BATCH - 1; i++) r.written()
    expect(r.released).toBe(0)
    expect(chunks[0]!.length).toBe(65536)
    r.written()
    expect(r.released).toBe(RELEASE_BATCH)
    expect(chunks.slice(0, RELEASE_BATCH).every((c) => c.length === 0)).toBe(true)
    r.written()
    r.flush()
    expect(r.released).toBe(RELEASE_BATCH + 1)
    expect(chunks[RELEASE_BATCH]!.length).toBe(0)
    // The last two never got their callback (a failed upload): they stay for the collector.
    expect(chunks.slice(RELEASE_BATCH + 1).every((c) => c.length === 65536)).toBe(true)
  })

  it('keeps callbacks matched to chunks when some chunks are not released', () => {
    const r = new ChunkReleaser()
    const pool = Buffer.allocUnsafe(64).fill(3)
    const a = owned()
    const b = owned()
    expect(r.track(a)).toBe(true)
    expect(r.track(pool)).toBe(false)
    expect(r.track(b)).toBe(true)
    r.written()
    r.written()
    r.flush()
    expect(a.length).toBe(0)
    expect(pool.equals(Buffer.alloc(64, 3))).toBe(true)
    expect(b.length).toBe(65536)
    r.written()
    r.flush()
    expect(b.length).toBe(0)
    expect(r.released).toBe(2)
  })

  it('survives a buffer detached elsewhere in the meantime', () => {
    const r = new ChunkReleaser()
    const a = owned()
    const b = owned()
    r.track(a)
    r.track(b)
    r.written()
    r.written()
    structuredClone(a.buffer, { transfer: [a.buffer] })
    expect(() => r.flush()).not.toThrow()
    expect(b.length).toBe(0)
  })

  it('stays correct over many chunks (queue compaction)', () => {
    const r = new ChunkReleaser()
    const all: Buffer[] = []
    for (let i = 0; i < 5000; i++) {
      const c = owned(16)
      all.push(c)
      r.track(c)
      if (i % 3 === 2) for (let k = 0; k < 3; k++) r.written()
    }
    for (let i = 0; i < 5000 % 3; i++) r.written()
    r.flush()
    expect(r.released).toBe(5000)
    expect(all.every((c) => c.length === 0)).toBe(true)
  })
})
