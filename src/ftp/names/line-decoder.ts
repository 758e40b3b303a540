/**
 * Turns a byte stream (control replies, a listing) into text a line at a time. Decoding waits for
 * each line's LF: a name's bytes are never split across two decodes (which would escape both
 * halves of a character cut by a chunk boundary), and a line is decoded as a whole so the escape
 * applies to exactly the bytes the server sent. LF is never part of a multi-byte character in an
 * ASCII-compatible encoding, so lines decode independently.
 */
import { FtpError } from '../errors.js'
import type { NameCodec } from './codec.js'

const LF = 0x0a

/** The incremental decoder described above. */
export class LineDecoder {
  readonly #codec: NameCodec
  readonly #maxPending: number
  /** Bytes of the unterminated last line, copied (chunks may be lent buffers that get reused). */
  #pending: Buffer[] = []
  #pendingBytes = 0

  /** `maxPendingBytes`: an unterminated line longer than this is a protocol error. */
  constructor(codec: NameCodec, maxPendingBytes = Number.POSITIVE_INFINITY) {
    this.#codec = codec
    this.#maxPending = maxPendingBytes
  }

  /** Adds a chunk; returns the text of the lines it completed (with their line ends), or ''. */
  write(chunk: Buffer): string {
    const last = chunk.lastIndexOf(LF)
    if (last === -1) {
      this.#hold(chunk)
      return ''
    }
    let text: string
    if (this.#pendingBytes > 0) {
      // The held line ends at the chunk's first LF; decoding it apart avoids copying the chunk.
      const first = chunk.indexOf(LF)
      const held = Buffer.concat([...this.#pending, chunk.subarray(0, first + 1)])
      this.#pending = []
      this.#pendingBytes = 0
      text = this.#codec.decode(held)
      if (first < last) text += this.#codec.decode(chunk.subarray(first + 1, last + 1))
    } else {
      text = this.#codec.decode(last === chunk.length - 1 ? chunk : chunk.subarray(0, last + 1))
    }
    if (last < chunk.length - 1) this.#hold(chunk.subarray(last + 1))
    return text
  }

  /** The text of the unterminated last line, if any; resets the decoder. */
  end(): string {
    if (this.#pendingBytes === 0) return ''
    const rest = Buffer.concat(this.#pending)
    this.#pending = []
    this.#pendingBytes = 0
    return this.#codec.decode(rest)
  }

  /** Bytes held for an unterminated line. */
  get pendingBytes(): number {
    return this.#pendingBytes
  }

  #hold(bytes: Buffer): void {
    this.#pendingBytes += bytes.length
    if (this.#pendingBytes > this.#maxPending)
      throw new FtpError('protocol', `Line exceeds ${this.#maxPending} bytes`)
    this.#pending.push(Buffer.from(bytes))
  }
}
