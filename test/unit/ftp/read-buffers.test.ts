/**
 * ReadBufferLender: a buffer whose chunk went out as a view is reused only after the consumer has
 * written out every byte up to that chunk; small reads and non-sharing consumers get copies.
 */
import { describe, expect, it } from 'vitest'
import { type ChunkSharing, ReadBufferLender } from '../../../src/ftp/read-buffers.js'

const SIZE = 1024

/** A consumer that holds what it was handed until `write(n)` says n more bytes went out. */
function consumer(shares = true) {
  let handed = 0
  let written = 0
  const sharing: ChunkSharing = {
    shareable: () => shares,
    handedOver: () => handed,
    held: () => handed - written,
  }
  return {
    sharing,
    take: (chunk: Buffer) => {
      handed += chunk.length
    },
    write: (n: number) => {
      written = Math.min(handed, written + n)
    },
  }
}

/** One read as Node does it: fill the buffer `next()` gave, hand over the chunk, ask for the next. */
function read(lender: ReadBufferLender, buf: Buffer, nread: number, fill: number, take: (c: Buffer) => void) {
  buf.fill(fill, 0, nread)
  const chunk = lender.chunk(nread, buf)
  take(chunk)
  return { chunk, next: lender.next() }
}

describe('ReadBufferLender', () => {
  it('never reuses a buffer whose view the consumer still holds', () => {
    const c = consumer()
    const lender = new ReadBufferLender(SIZE, c.sharing)
    const first = lender.next()
    const a = read(lender, first, SIZE, 1, c.take)
    expect(a.chunk.buffer).toBe(first.buffer) // a view, no copy
    expect(a.next.buffer).not.toBe(first.buffer)
    const b = read(lender, a.next, SIZE, 2, c.take)
    expect(b.next.buffer).not.toBe(first.buffer)
    expect(b.next.buffer).not.toBe(a.next.buffer)
    // Both chunks are intact whatever the lender did since.
    expect(a.chunk.every((x) => x === 1)).toBe(true)
    expect(b.chunk.every((x) => x === 2)).toBe(true)
    // The consumer wrote out the first chunk only: its buffer may come back, the second may not.
    c.write(SIZE)
    const d = read(lender, b.next, SIZE, 3, c.take)
    expect(d.next.buffer).toBe(first.buffer)
    expect(b.chunk.every((x) => x === 2)).toBe(true)
  })

  it('copies small reads (a view would pin the whole buffer) and reuses the buffer at once', () => {
    const c = consumer()
    const lender = new ReadBufferLender(SIZE, c.sharing)
    const first = lender.next()
    const small = read(lender, first, 10, 5, c.take)
    expect(small.chunk.buffer).not.toBe(first.buffer)
    expect(small.next).toBe(first)
    first.fill(0)
    expect(small.chunk.every((x) => x === 5)).toBe(true)
  })

  it('copies everything for a consumer that cannot say what it holds', () => {
    const c = consumer(false)
    const lender = new ReadBufferLender(SIZE, c.sharing)
    const first = lender.next()
    const r = read(lender, first, SIZE, 7, c.take)
    expect(r.chunk.buffer).not.toBe(first.buffer)
    expect(r.next).toBe(first)
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
  })

  it('returns the same unused buffer when asked twice without a read', () => {
    const lender = new ReadBufferLender(SIZE, undefined)
    expect(lender.next()).toBe(lender.next())
  })
})
