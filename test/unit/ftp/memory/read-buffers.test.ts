/**
 * ReadBufferLender: reads fill a buffer one after the other and go out as views; memory is reused
 * only after the consumer has written out every byte of it; consumers that cannot say what they
 * hold get copies.
 */
import { describe, expect, it } from 'vitest'
import { type ChunkSharing, ReadBufferLender } from '../../../../src/ftp/memory/read-buffers.js'

const SIZE = 1024

/** A consumer that holds what it was handed until `write(n)` says n more bytes went out. */
function consumer(shares = true) {
  let handed = 0
  let written = 0
  const chunks: Buffer[] = []
  const sharing: ChunkSharing = {
    shareable: () => shares,
    handedOver: () => handed,
    held: () => handed - written,
  }
  return {
    sharing,
    chunks,
    take: (chunk: Buffer) => {
      handed += chunk.length
      chunks.push(chunk)
    },
    write: (n: number) => {
      written = Math.min(handed, written + n)
    },
    /** Writes out everything but the last `k` bytes handed over. */
    writeAllBut: (k: number) => {
      written = Math.max(written, handed - k)
    },
    get written() {
      return written
    },
  }
}

/** One read as Node does it: fill the buffer `next()` gave, hand over the chunk, ask for the next. */
function read(
  lender: ReadBufferLender,
  buf: Buffer,
  nread: number,
  fill: number,
  take: (c: Buffer) => void,
  consumed?: () => void,
) {
  buf.fill(fill, 0, nread)
  const chunk = lender.chunk(nread, buf)
  take(chunk)
  consumed?.()
  return { chunk, next: lender.next() }
}

describe('ReadBufferLender', () => {
  it('fills one buffer with consecutive reads, each chunk a view of it', () => {
    const c = consumer()
    const lender = new ReadBufferLender(SIZE, c.sharing)
    const first = lender.next()
    const a = read(lender, first, 100, 1, c.take)
    expect(a.chunk.buffer).toBe(first.buffer) // a view, no copy
    // The next read lands right after the first chunk, in the same memory.
    expect(a.next.buffer).toBe(first.buffer)
    expect(a.next.byteOffset).toBe(first.byteOffset + 100)
    expect(a.next.length).toBe(SIZE - 100)
    const b = read(lender, a.next, 200, 2, c.take)
    expect(b.chunk.byteOffset).toBe(first.byteOffset + 100)
    expect(a.chunk.every((x) => x === 1)).toBe(true)
    expect(b.chunk.every((x) => x === 2)).toBe(true)
  })

  it('starts the buffer over once the consumer has written out all of it', () => {
    const c = consumer()
    const lender = new ReadBufferLender(SIZE, c.sharing)
    const first = lender.next()
    const a = read(lender, first, 300, 1, c.take)
    expect(a.next.byteOffset).toBe(first.byteOffset + 300)
    // One byte still held when Node asks for the next buffer: the read goes after it.
    const b = read(lender, a.next, 10, 2, c.take, () => c.write(309))
    expect(b.next.byteOffset).toBe(first.byteOffset + 310)
    // All written out (a socket that took the chunk at once): the next read starts at the beginning.
    const d = read(lender, b.next, 10, 3, c.take, () => c.write(11))
    expect(d.next.byteOffset).toBe(first.byteOffset)
    expect(d.next.length).toBe(SIZE)
  })

  it('moves to another buffer when the room left is small, and takes the old one back once written', () => {
    const c = consumer()
    const lender = new ReadBufferLender(SIZE, c.sharing)
    const first = lender.next()
    // 800 of 1024 used: 224 left is under a quarter, so the next read gets another buffer.
    const a = read(lender, first, 800, 1, c.take)
    expect(a.next.buffer).not.toBe(first.buffer)
    const second = a.next
    const b = read(lender, second, 900, 2, c.take)
    expect(b.next.buffer).not.toBe(first.buffer)
    expect(b.next.buffer).not.toBe(second.buffer)
    expect(a.chunk.every((x) => x === 1)).toBe(true)
    // The first buffer's bytes are written out; the second's are not.
    c.write(800)
    const d = read(lender, b.next, 900, 3, c.take)
    expect(d.next.buffer).toBe(first.buffer)
    expect(b.chunk.every((x) => x === 2)).toBe(true)
  })

  it('copies for a consumer that cannot say what it holds, and reuses the space at once', () => {
    const c = consumer(false)
    const lender = new ReadBufferLender(SIZE, c.sharing)
    const first = lender.next()
    const r = read(lender, first, SIZE, 7, c.take)
    expect(r.chunk.buffer).not.toBe(first.buffer)
    expect(r.next.buffer).toBe(first.buffer)
    expect(r.next.byteOffset).toBe(first.byteOffset)
    first.fill(0)
    expect(r.chunk.every((x) => x === 7)).toBe(true)
  })

  it('lends at most maxLent buffers, then allocates plain ones', () => {
    const c = consumer()
    const lender = new ReadBufferLender(SIZE, c.sharing, 2)
    const seen = new Set<ArrayBufferLike>()
    let buf = lender.next()
    for (let i = 0; i < 6; i++) {
      const r = read(lender, buf, SIZE, i, c.take)
      seen.add(r.chunk.buffer)
      buf = r.next
    }
    // Six views, all on distinct memory: nothing was reused while the consumer held everything.
    expect(seen.size).toBe(6)
    c.chunks.forEach((chunk, i) => {
      expect(chunk.every((x) => x === i)).toBe(true)
    })
  })

  it('returns the same unused space when asked twice without a read', () => {
    const lender = new ReadBufferLender(SIZE, undefined)
    expect(lender.next()).toBe(lender.next())
  })

  it('never overwrites a byte the consumer still holds (random reads and writes)', () => {
    let state = 7
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31
      return Math.floor((state / 2 ** 31) * n)
    }
    for (let round = 0; round < 20; round++) {
      const c = consumer()
      const lender = new ReadBufferLender(SIZE, c.sharing, 3)
      const expected: number[] = []
      let buf = lender.next()
      for (let i = 0; i < 400; i++) {
        const nread = 1 + random(buf.length)
        const fill = i % 251
        const r = read(lender, buf, nread, fill, c.take, () => {
          const r = random(6)
          if (r === 0) c.write(random(3 * SIZE))
          // Boundaries are where off-by-one reuse would show: leave exactly 0, 1 or 2 bytes held.
          else if (r === 1) c.writeAllBut(random(3))
        })
        expected.push(fill)
        buf = r.next
        // Every chunk not yet written out still holds exactly what was read into it.
        let offset = 0
        c.chunks.forEach((chunk, k) => {
          if (offset + chunk.length > c.written) expect(chunk.every((x) => x === expected[k])).toBe(true)
          offset += chunk.length
        })
      }
    }
  })
})
