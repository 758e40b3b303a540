/**
 * Reads a whole LIST or MLSD listing, chunk by chunk, so that a file name holding a line break
 * never turns into an entry that does not exist. What the three real servers send for such names
 * (measured, issue 15 item 13):
 *
 * - vsftpd and ProFTPD LIST: lines end in CRLF and a LF inside a name is sent as is, so in a CRLF
 *   listing a bare LF cannot end a line: the pieces are joined back into one line (one entry, whose
 *   name the gateway then refuses like any name with a control character).
 * - ProFTPD MLSD turns a LF inside a name into CRLF, and a CR LF inside a name looks like a line end
 *   everywhere: the rest of the name arrives as a line of its own. When such a line does not read
 *   as an entry, the entry before it is ambiguous (its real name goes on past the break) and is
 *   dropped: a name with a line break cannot be addressed through the gateway anyway.
 * - Pure-FTPd leaves such names out of LIST and MLSD.
 *
 * Dropped entries are counted so the caller can log them. What cannot be told apart is a name
 * holding CR LF followed by text that is itself a well-formed entry line: the server's output is
 * then byte-for-byte that of two entries.
 */
import type { FileInfo } from '../file-info.js'
import { parseListingLine, UNSAFE_NAME } from './line.js'
import type { ListParseOptions } from './options.js'
import { noWork, type ScanWork } from './scan.js'

/** Lines that belong to a listing without being entries: `total N` (LIST) and MLSD facts (cdir/pdir). */
const TOTAL = /^total\s+\d+\s*$/i
const MLSX_FACTS = /^ ?[^ =;]+=[^ ]*; /

/** Why entries were left out of a listing. */
export interface ListingDrops {
  /** Names with a control character or a path separator: not addressable through the gateway. */
  unsafe: number
  /** Entries whose name went on past a line break that looked like a line end. */
  ambiguous: number
}

/** Incremental listing reader: push() chunks of decoded text, then end() for the entries. */
export class ListingReader {
  readonly drops: ListingDrops = { unsafe: 0, ambiguous: 0 }
  readonly #kind: 'mlsd' | 'list'
  readonly #options: ListParseOptions
  readonly #entries: FileInfo[] = []
  /**
   * The unterminated line so far, in pieces: joined once when its LF arrives, so a long line sent
   * in many small chunks costs its length, not its square (re-joining and re-scanning it on every
   * chunk made a 1.6 MB line in 100-byte chunks cost ~13 billion character reads).
   */
  #pending: string[] = []
  /** Pieces that ended in a bare LF, held until the listing's own line end is known. */
  #held: string[] = []
  /** True once a line ended in CRLF: from then on a bare LF is part of a name. */
  #crlf = false
  /** The last entry, kept back until the next line shows whether its name was cut short. */
  #last: FileInfo | undefined
  #lastAmbiguous = false
  #lastUnsafe = false
  readonly #work: ScanWork

  /** `work` (tests) counts the characters read, here and by the line parsers. */
  constructor(kind: 'mlsd' | 'list', options: ListParseOptions = {}, work: ScanWork = noWork()) {
    this.#kind = kind
    this.#options = options
    this.#work = work
  }

  /** Adds a chunk of listing text. */
  push(chunk: string): void {
    let start = 0
    for (let lf = chunk.indexOf('\n'); lf !== -1; lf = chunk.indexOf('\n', start)) {
      this.#work.ops += lf + 1 - start
      let piece = chunk.slice(start, lf)
      start = lf + 1
      if (this.#pending.length > 0) {
        this.#pending.push(piece)
        piece = this.#pending.join('')
        this.#work.ops += piece.length
        this.#pending = []
      }
      if (piece.endsWith('\r')) {
        this.#crlf = true
        this.#line([...this.#held, piece.slice(0, -1)].join('\n'), this.#held.length > 0)
        this.#held = []
      } else {
        // Before the first CRLF it is not known yet whether the listing ends its lines in LF
        // (then these are lines) or in CRLF (then they are parts of one): kept until then.
        this.#held.push(piece)
      }
    }
    this.#work.ops += chunk.length - start
    if (start < chunk.length) this.#pending.push(chunk.slice(start))
  }

  /** Ends the listing and returns its entries. */
  end(): FileInfo[] {
    const rest = this.#pending.join('')
    this.#pending = []
    if (this.#crlf) {
      const line = [...this.#held, rest].join('\n')
      if (line !== '') this.#line(line, this.#held.length > 0)
    } else {
      for (const held of this.#held) this.#line(held, false)
      if (rest !== '') this.#line(rest, false)
    }
    this.#held = []
    this.#settle()
    return this.#entries
  }

  /** One line; `joined` when it was put together across a bare LF (a name holding a LF). */
  #line(raw: string, joined: boolean): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    this.#work.ops += raw.length
    if (line.trim() === '') {
      // No server sends blank lines: this is the rest of a name that ended in a line break.
      this.#lastAmbiguous = true
      return
    }
    const entry = parseListingLine(line, this.#kind, this.#options, { keepUnsafe: true, work: this.#work })
    if (entry === undefined) {
      this.#work.ops += 2 * line.length // #belongs: two anchored or end-anchored patterns
      // `total N`, cdir/pdir, '.', '..' are part of a listing; anything else continues a name.
      if (!this.#belongs(line)) this.#lastAmbiguous = true
      return
    }
    this.#settle()
    this.#last = entry
    // The parsers strip a trailing line end, so a name ending in LF would lose it: never shown.
    this.#lastUnsafe = joined
  }

  /** True for a line a listing may hold that is not an entry (`total N`, cdir/pdir, '.', '..'). */
  #belongs(line: string): boolean {
    if (this.#kind === 'list') return TOTAL.test(line) || / \.\.?$/.test(line)
    return MLSX_FACTS.test(line)
  }

  /** Emits or drops the entry kept back, now that the line after it has been seen. */
  #settle(): void {
    const last = this.#last
    this.#last = undefined
    const ambiguous = this.#lastAmbiguous
    const joined = this.#lastUnsafe
    this.#lastAmbiguous = false
    this.#lastUnsafe = false
    if (last === undefined) return
    if (ambiguous) this.drops.ambiguous++
    else if (joined || UNSAFE_NAME.test(last.name)) this.drops.unsafe++
    else this.#entries.push(last)
  }
}
