/**
 * Memory for plain passive data sockets read through `net.connect({ onread })`. Node asks for a
 * buffer before every read; these buffers come back for reuse instead of becoming garbage.
 *
 * Why: a fresh buffer per read (or a copy per chunk) is external memory V8 only frees at its next
 * major GC, which it starts after ~64 MiB of external growth. Eight slow 2 MB/s downloads then
 * sat on 60 MiB of dead chunks, and at thousands of small GETs a second those collections took
 * more CPU than the requests (bench/run.ts).
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

/** A read buffer whose chunk went out as a view; free once the consumer is past `end`. */
interface Lent {
  buffer: Buffer
  end: number
}

/**
 * The read buffers of one data connection. A chunk is either copied out (the buffer is free again
 * at once) or, when the consumer can say how much it still holds, handed over as a view: the
 * buffer is then lent until the consumer has written out every byte up to that chunk's end. Small
 * reads are copied: a view pins its whole buffer. At most `maxLent` buffers are lent; past that a
 * read gets a plain allocation the pool forgets about.
 */
export class ReadBufferLender {
  readonly #size: number
  readonly #sharing: ChunkSharing | undefined
  readonly #maxLent: number
  #home: Buffer[] = []
  #lent: Lent[] = []
  #current: Buffer | undefined
  #justLent: Lent | undefined

  constructor(size: number, sharing: ChunkSharing | undefined, maxLent = 4) {
    this.#size = size
    this.#sharing = sharing
    this.#maxLent = maxLent
  }

  /** The buffer for the next read (Node calls this before every read, right after the last chunk). */
  next(): Buffer {
    // Asked again with no read in between: the buffer given last is still unused.
    if (this.#current) return this.#current
    this.#reclaim()
    let buffer = this.#home.pop()
    if (buffer === undefined && this.#lent.length < this.#maxLent) buffer = take(this.#size)
    this.#current = buffer ?? Buffer.allocUnsafeSlow(this.#size)
    return this.#current
  }

  /** The chunk a read produced: a view when the consumer shares memory, else a copy. */
  chunk(nread: number, read: Uint8Array): Buffer {
    const view = Buffer.from(read.buffer, read.byteOffset, nread)
    const current = this.#current
    this.#current = undefined
    const ours =
      current !== undefined && read.buffer === current.buffer && read.byteOffset === current.byteOffset
    if (ours && nread >= this.#size / 4 && this.#sharing?.shareable()) {
      this.#justLent = { buffer: current, end: Number.POSITIVE_INFINITY }
      this.#lent.push(this.#justLent)
      return view
    }
    const copy = Buffer.from(view)
    if (ours) this.#home.push(current)
    return copy
  }

  /** Takes back the lent buffers whose chunks the consumer has written out. */
  #reclaim(): void {
    const sharing = this.#sharing
    if (!sharing) return
    if (this.#justLent) {
      // The consumer counted the chunk just taken: its end is everything handed over so far.
      this.#justLent.end = sharing.handedOver()
      this.#justLent = undefined
    }
    const written = sharing.handedOver() - sharing.held()
    while (this.#lent.length > 0 && (this.#lent[0] as Lent).end <= written)
      this.#home.push((this.#lent.shift() as Lent).buffer)
  }

  /** The socket closed: buffers nobody holds any more go back to the pool. */
  close(): void {
    this.#reclaim()
    for (const b of this.#home) giveBack(b)
    if (this.#current) giveBack(this.#current)
    this.#home = []
    this.#current = undefined
  }
}
