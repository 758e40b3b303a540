import { FtpError } from './errors.js'

/** One complete FTP reply (RFC 959 §4.2), single or multi-line. */
export interface FtpReply {
  code: number
  /** Message text: the lines joined with '\n', each stripped of its `NNN-`/`NNN ` prefix where present. */
  text: string
  /** The raw lines as received, without line endings. */
  lines: string[]
}

/** Default cap on one reply, after basic-ftp's choice: larger replies are hostile or broken. */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024

const FIRST_LINE = /^(\d{3})([ -]?)(.*)$/

/** Work counter for tests: `ops` grows with every character scanned or joined. */
export interface ReplyParseStats {
  ops: number
}

/**
 * Incremental reply parser. Feed it decoded text in any chunking; it returns the replies that are
 * complete. A multi-line reply ends only at a line with the same code followed by a space, so inner
 * lines that start with digits do not end it. Throws a protocol FtpError for text that cannot be a
 * reply or a reply over the size cap; the connection is then unusable.
 *
 * Each character is scanned once: the pieces of a partial line are kept apart and joined when its
 * LF arrives (appending to one buffer and searching it again from the start on every chunk made a
 * 64 KiB line sent byte by byte cost ~2 billion character reads).
 */
export class ReplyParser {
  #partial: string[] = []
  #partialLength = 0
  #lines: string[] = []
  #code = 0
  #bytes = 0
  readonly #maxBytes: number
  readonly #stats: ReplyParseStats

  constructor(maxReplyBytes = DEFAULT_MAX_REPLY_BYTES, stats: ReplyParseStats = { ops: 0 }) {
    this.#maxBytes = maxReplyBytes
    this.#stats = stats
  }

  /** True while a multi-line reply or a partial line is pending. */
  get pending(): boolean {
    return this.#partial.length > 0 || this.#lines.length > 0
  }

  /** Adds decoded text; returns the replies it completed. */
  push(chunk: string): FtpReply[] {
    const replies: FtpReply[] = []
    let start = 0
    for (;;) {
      const end = chunk.indexOf('\n', start)
      this.#stats.ops += (end === -1 ? chunk.length : end + 1) - start
      if (end === -1) break
      let line = chunk.slice(start, end)
      if (this.#partial.length > 0) {
        this.#partial.push(line)
        line = this.#partial.join('')
        this.#stats.ops += line.length
        this.#partial = []
        this.#partialLength = 0
      }
      if (line.endsWith('\r')) line = line.slice(0, -1)
      start = end + 1
      const reply = this.#line(line)
      if (reply) replies.push(reply)
    }
    if (start < chunk.length) {
      this.#partial.push(chunk.slice(start))
      this.#partialLength += chunk.length - start
    }
    if (this.#bytes + this.#partialLength > this.#maxBytes) {
      throw new FtpError('protocol', `Reply exceeds ${this.#maxBytes} bytes`)
    }
    return replies
  }

  #line(line: string): FtpReply | undefined {
    this.#bytes += line.length + 2
    if (this.#bytes > this.#maxBytes) throw new FtpError('protocol', `Reply exceeds ${this.#maxBytes} bytes`)
    if (this.#lines.length > 0) {
      this.#lines.push(line)
      if (line.length >= 3 && line.startsWith(String(this.#code)) && (line.length === 3 || line[3] === ' ')) {
        return this.#finish()
      }
      return undefined
    }
    const m = FIRST_LINE.exec(line)
    if (!m) {
      // Some servers send a blank line between replies; anything else is not FTP.
      if (line.trim() === '') {
        this.#bytes = 0
        return undefined
      }
      throw new FtpError(
        'protocol',
        `Unexpected text on the control connection: ${JSON.stringify(line.slice(0, 80))}`,
      )
    }
    this.#code = Number(m[1])
    this.#lines.push(line)
    if (m[2] === '-') return undefined
    return this.#finish()
  }

  #finish(): FtpReply {
    const code = this.#code
    const lines = this.#lines
    const prefix = String(code)
    const text = lines
      .map((l) => (l.startsWith(prefix) && (l[3] === ' ' || l[3] === '-' || l.length === 3) ? l.slice(4) : l))
      .join('\n')
    this.#lines = []
    this.#bytes = 0
    return { code, text, lines }
  }
}
