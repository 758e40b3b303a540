/**
 * Incremental line splitter for listings arriving in chunks: push(chunk) returns the complete
 * lines so far (CRLF or LF, a CR split from its LF across chunks handled), end() returns the
 * last unterminated line if any.
 *
 * Only LF ends a line; one CR right before it is dropped. Because the decision waits for the
 * LF, a CR at the end of one chunk needs no special case, and any chunking of a text yields
 * exactly the lines of the whole text. A CR elsewhere stays in the line (names cannot hold CR,
 * so the line parsers reject or keep it as the server sent it).
 */
export class LineSplitter {
  private pending = ''

  /** Adds a chunk and returns the lines it completed, without their terminators. */
  push(chunk: string): string[] {
    const text = this.pending + chunk
    const parts = text.split('\n')
    // The last part has no LF yet: keep it for the next chunk.
    this.pending = parts.pop()!
    return parts.map(stripCr)
  }

  /** Returns the unterminated last line, if any, and resets the splitter. */
  end(): string[] {
    const last = stripCr(this.pending)
    this.pending = ''
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
