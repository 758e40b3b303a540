/**
 * Frees an upload's chunks as soon as the data connection has taken them. Node's HTTP parser
 * copies every request-body chunk (up to 64 KiB) into an ArrayBuffer of its own, and only a
 * garbage collection frees those, which an upload, allocating little JavaScript, hardly triggers.
 * Detaching a written chunk's ArrayBuffer frees its memory at once: the next chunk reuses it while
 * still in cache, and the young generation is left with wrappers of a few hundred bytes, which V8
 * collects on its own schedule (docs/performance.md "Chunk release").
 *
 * Detaching is done by transferring the buffers into a message on a closed MessagePort. A closed
 * port still transfers what it is given (the HTML structured-clone rules Node follows) and then
 * drops the message, which frees the memory on the spot; it is the one detach Node 20 offers
 * (`ArrayBuffer.prototype.transfer` arrived with Node 21). A call costs about as much for many
 * buffers as for one, so chunks are freed in batches.
 */
import { MessageChannel } from 'node:worker_threads'

const sink = new MessageChannel().port1
sink.close()

/** Chunks freed per transfer; one transfer of 16 buffers costs about as much as one of one. */
export const RELEASE_BATCH = 16

/**
 * Whether `chunk` is alone in its ArrayBuffer, so that freeing it frees no one else's bytes.
 * Buffer.allocUnsafe() slices of Node's shared pool and subarrays are never released.
 */
export function ownsWholeBuffer(chunk: Buffer): boolean {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.byteLength > 0
}

/**
 * Tracks the chunks of one upload in write order. Every write to the data socket passes
 * `written` as its callback and is announced with `track()` just before, so the n-th callback
 * belongs to the n-th tracked chunk; Node calls write callbacks in order, once the chunk has left
 * userland (or failed). A chunk is freed only after its own callback, never while the kernel may
 * still be reading it.
 */
export class ChunkReleaser {
  /** Written chunks whose callback has not come yet; `undefined` for one that is not released. */
  readonly #inFlight: (ArrayBuffer | undefined)[] = []
  #head = 0
  readonly #ready: ArrayBuffer[] = []
  #released = 0

  /** Announces the next write; returns whether `chunk` will be freed after it. */
  track(chunk: Buffer): boolean {
    const owned = ownsWholeBuffer(chunk)
    this.#inFlight.push(owned ? (chunk.buffer as ArrayBuffer) : undefined)
    return owned
  }

  /** The write callback for every tracked write. */
  readonly written = (): void => {
    const ab = this.#inFlight[this.#head]
    this.#inFlight[this.#head++] = undefined
    // Compacts the queue now and then instead of shift() per chunk.
    if (this.#head >= 1024 && this.#head * 2 >= this.#inFlight.length) {
      this.#inFlight.splice(0, this.#head)
      this.#head = 0
    }
    if (ab === undefined || ab.byteLength === 0) return
    this.#ready.push(ab)
    if (this.#ready.length >= RELEASE_BATCH) this.flush()
  }

  /** Frees what was written so far; chunks still in flight stay to the garbage collector. */
  flush(): void {
    if (this.#ready.length === 0) return
    // A buffer detached elsewhere since it was queued makes Node 22+ refuse the whole transfer
    // (Node 20 skipped it), so only live ones are handed over.
    const live = this.#ready.filter((ab) => ab.byteLength > 0)
    try {
      if (live.length > 0) sink.postMessage(null, live)
      this.#released += live.length
    } catch {
      // Should Node refuse the transfer, nothing was detached: the collector frees these instead.
    }
    this.#ready.length = 0
  }

  /** Chunks freed so far (tests, diagnostics). */
  get released(): number {
    return this.#released
  }
}
