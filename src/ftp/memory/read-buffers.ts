/**
 * Memory for plain passive data sockets read through `net.connect({ onread })`. Node asks for a
 * buffer before every read; these buffers come back for reuse instead of becoming garbage.
 *
 * Why: a fresh buffer per read (or a copy per chunk) is external memory V8 only frees at its next
 * major GC, which it starts only after tens of MiB of external growth: slow downloads then sit on
 * dead chunks, and at thousands of small GETs a second those collections cost more CPU than the
 * requests (docs/performance.md "Read-buffer lending").
 */

/** How the consumer of a transfer's chunks treats their memory. */
export interface ChunkSharing {
  /** True when the next chunk may be handed over as a view of the read buffer (no copy). */
  shareable(): boolean
  /** Bytes handed to the consumer so far. */
  handedOver(): number
  /** Of those, bytes the consumer still holds (queued, not yet written out); FIFO order. */
  held(): number
}

// Buffers of finished data connections, for the next ones; at most FREE_MAX stay when idle.
const FREE_MAX = 8
const free: Buffer[] = []

function take(bytes: number): Buffer {
  const i = free.findIndex((b) => b.length === bytes)
  // Slow: its own memory, never a slice of Node's shared pool (views must not reach other data).
  if (i === -1) return Buffer.allocUnsafeSlow(bytes)
  return free.splice(i, 1)[0] as Buffer
}

function giveBack(buffer: Buffer): void {
  if (free.length < FREE_MAX) free.push(buffer)
}

/** A read buffer some of whose chunks went out as views; free once the consumer is past `end`. */
interface Lent {
  buffer: Buffer
  end: number
}

/**
 * The read buffers of one data connection. Reads fill a buffer one after the other (each read gets
 * the space after the previous chunk), and each chunk goes out as a view when the consumer can say
 * how much it still holds: no copy, and no garbage for the GC whatever the read sizes. A buffer is
 * lent until the consumer has written out every byte up to its last chunk; the buffer being filled
 * starts over from its beginning as soon as the consumer has written out all of it, so a fast
 * consumer keeps reading into one buffer. Consumers that cannot say what they hold get copies.
 * At most `maxLent` full buffers are lent; past that the next one is a plain allocation that goes
 * to the garbage collector instead of back to the pool.
 */
export class ReadBufferLender {
  readonly #size: number
  readonly #sharing: ChunkSharing | undefined
  readonly #maxLent: number
  /** A buffer with less room than this left is retired and the next read gets a fresh one. */
  readonly #minRead: number
  #home: Buffer[] = []
  #lent: Lent[] = []
  /** The buffer being filled, how much of it went out as views, and the end of its last view. */
  #current: Buffer | undefined
  #used = 0
  #currentEnd = 0
  /** A view went out since the last `next()`: its end is known once the consumer has counted it. */
  #endPending = false
  /** The space the last `next()` offered, until a read lands in it. */
  #offered: Buffer | undefined

  constructor(size: number, sharing: ChunkSharing | undefined, maxLent = 4) {
    this.#size = size
    this.#sharing = sharing
    this.#maxLent = maxLent
    this.#minRead = Math.max(1, Math.floor(size / 4))
  }

  /** The buffer for the next read (Node calls this before every read, right after the last chunk). */
  next(): Buffer {
    // Asked again with no read in between: the space offered last is still unused.
    if (this.#offered) return this.#offered
    this.#reclaim()
    if (this.#current !== undefined && this.#size - this.#used < this.#minRead) this.#retire()
    if (this.#current === undefined) {
      let buffer = this.#home.pop()
      if (buffer === undefined && this.#lent.length < this.#maxLent) buffer = take(this.#size)
      this.#current = buffer ?? Buffer.allocUnsafeSlow(this.#size)
      this.#used = 0
    }
    this.#offered = this.#current.subarray(this.#used)
    return this.#offered
  }

  /** The chunk a read produced: a view when the consumer shares memory, else a copy. */
  chunk(nread: number, read: Uint8Array): Buffer {
    const view = Buffer.from(read.buffer, read.byteOffset, nread)
    const offered = this.#offered
    this.#offered = undefined
    const ours =
      offered !== undefined && read.buffer === offered.buffer && read.byteOffset === offered.byteOffset
    if (ours && this.#sharing?.shareable()) {
      this.#used += nread
      this.#endPending = true
      return view
    }
    // The space stays free for the next read: the consumer gets its own bytes.
    return Buffer.from(view)
  }

  /** Takes back the buffers whose views the consumer has written out. */
  #reclaim(): void {
    const sharing = this.#sharing
    if (!sharing) return
    if (this.#endPending) {
      // The consumer counted the chunk just taken: its end is everything handed over so far.
      this.#currentEnd = sharing.handedOver()
      this.#endPending = false
    }
    const written = sharing.handedOver() - sharing.held()
    while (this.#lent.length > 0 && (this.#lent[0] as Lent).end <= written) {
      const { buffer } = this.#lent.shift() as Lent
      if (this.#home.length < this.#maxLent) this.#home.push(buffer)
    }
    // Every view of the buffer being filled is written out: fill it again from the start.
    if (this.#current !== undefined && this.#used > 0 && this.#currentEnd <= written) this.#used = 0
  }

  /** The buffer being filled has too little room left: lend it out, or keep it if nothing is out. */
  #retire(): void {
    const buffer = this.#current as Buffer
    this.#current = undefined
    if (this.#used > 0) this.#lent.push({ buffer, end: this.#currentEnd })
    else this.#home.push(buffer)
  }

  /** The socket closed: buffers nobody holds any more go back to the pool. */
  close(): void {
    this.#reclaim()
    if (this.#current !== undefined && this.#used === 0) this.#home.push(this.#current)
    for (const b of this.#home) giveBack(b)
    this.#home = []
    this.#current = undefined
    this.#offered = undefined
  }
}
