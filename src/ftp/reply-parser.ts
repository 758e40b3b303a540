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

/**
 * Incremental reply parser. Feed it decoded text in any chunking; it returns the replies that are
 * complete. A multi-line reply ends only at a line with the same code followed by a space, so inner
 * lines that start with digits do not end it. Throws a protocol FtpError for text that cannot be a
 * reply or a reply over the size cap; the connection is then unusable.
 */
export class ReplyParser {
  #buffer = ''
  #lines: string[] = []
  #code = 0
  #bytes = 0
  readonly #maxBytes: number

  constructor(maxReplyBytes = DEFAULT_MAX_REPLY_BYTES) {
    this.#maxBytes = maxReplyBytes
  }

  /** True while a multi-line reply or a partial line is pending. */
  get pending(): boolean {
    return this.#buffer.length > 0 || this.#lines.length > 0
  }

  push(chunk: string): FtpReply[] {
    const replies: FtpReply[] = []
    this.#buffer += chunk
    let start = 0
    for (;;) {
      const end = this.#buffer.indexOf('\n', start)
      if (end === -1) break
      const line = this.#buffer.slice(start, end > start && this.#buffer[end - 1] === '\r' ? end - 1 : end)
      start = end + 1
      const reply = this.#line(line)
      if (reply) replies.push(reply)
    }
    this.#buffer = this.#buffer.slice(start)
    if (this.#bytes + this.#buffer.length > this.#maxBytes) {
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
