/**
 * Incremental line splitter for listings arriving in chunks: push(chunk) returns the complete
 * lines so far (CRLF or LF, a CR split from its LF across chunks handled), end() returns the
 * last unterminated line if any.
 *
 * Only LF ends a line; one CR right before it is dropped. Because the decision waits for the
 * LF, a CR at the end of one chunk needs no special case, and any chunking of a text yields
 * exactly the lines of the whole text. A CR elsewhere stays in the line (names cannot hold CR,
 * so the line parsers reject or keep it as the server sent it).
 *
 * Each character is scanned once: the pieces of an unterminated line are kept apart and joined
 * when its LF arrives, so a long line sent in many small chunks costs its length, not the square
 * of it (re-splitting the pending text on every chunk made a 1.6 MB line in 100-byte chunks take
 * ~26 s).
 */

/** Work counter for tests: `ops` grows with every character scanned or joined. */
export interface SplitStats {
  ops: number
}

/** The splitter described above; `stats` (tests) counts its work. */
export class LineSplitter {
  #pending: string[] = []

  constructor(private readonly stats: SplitStats = { ops: 0 }) {}

  /** Adds a chunk and returns the lines it completed, without their terminators. */
  push(chunk: string): string[] {
    const lines: string[] = []
    let start = 0
    for (;;) {
      const lf = chunk.indexOf('\n', start)
      this.stats.ops += (lf === -1 ? chunk.length : lf + 1) - start
      if (lf === -1) break
      let line = chunk.slice(start, lf)
      if (this.#pending.length > 0) {
        this.#pending.push(line)
        line = this.#pending.join('')
        this.stats.ops += line.length
        this.#pending = []
      }
      lines.push(stripCr(line))
      start = lf + 1
    }
    if (start < chunk.length) this.#pending.push(chunk.slice(start))
    return lines
  }

  /** Returns the unterminated last line, if any, and resets the splitter. */
  end(): string[] {
    const last = stripCr(this.#pending.join(''))
    this.#pending = []
    return last === '' ? [] : [last]
  }
}

/** Splits a whole text exactly as a LineSplitter fed with it would. */
export function splitLines(text: string): string[] {
  const splitter = new LineSplitter()
  return [...splitter.push(text), ...splitter.end()]
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}
