/**
 * Name codecs: how the engine turns the bytes a server sends (replies, listings) into strings and
 * paths into the bytes it writes, in the upstream's encoding, losslessly. Every byte string decodes
 * to a string that encodes back to exactly those bytes (escape.ts); a string that is not such an
 * image (a character the encoding cannot hold, an escape standing for bytes that would decode to
 * something else) is refused, so one file never has two names.
 */
import iconv from 'iconv-lite'
import { FtpError } from '../errors.js'
import { ESCAPE_CHAR, escapeByte, hasLoneSurrogate, isEscape } from './escape.js'
import { decodeUtf8 } from './utf8.js'

/** Converts names between the server's bytes and strings, both ways, without loss. */
export interface NameCodec {
  /** The encoding's name as configured (lower case), e.g. 'utf8', 'latin1', 'shift_jis'. */
  readonly encoding: string
  /** True for UTF-8 (the session then asks for `OPTS UTF8 ON`). */
  readonly utf8: boolean
  /** Bytes to text; undecodable bytes become escapes. Never throws. */
  decode(bytes: Buffer): string
  /** Text to bytes; throws a bad-name FtpError for text no byte string decodes to. */
  encode(text: string): Buffer
  /**
   * True when `Buffer.from(text, 'utf8')` is the encoding of `text`: a UTF-8 codec and text with
   * no escape and no surrogate at all (so none unpaired). Lets a command line be encoded in one
   * step on the hot path; false is always safe.
   */
  plainUtf8(text: string): boolean
}

// Surrogates (paired or not) and escapes: text without any needs no look at single characters.
const NOT_PLAIN = /[\ud800-\udfff\uef80-\uefff]/

const LF = 0x0a

/** Canonical form of an encoding name, as iconv-lite compares them ('UTF-8' → 'utf8'). */
function canonical(name: string): string {
  return name.toLowerCase().replace(/[^0-9a-z]/g, '')
}

function refuse(message: string): FtpError {
  return new FtpError('bad-name', message)
}

/**
 * Decodes line by line when the whole does not take the fast path, so one odd name in a
 * 100,000-entry listing costs its own line, not the listing.
 */
function decodeByLines(bytes: Buffer, line: (b: Buffer) => string): string {
  if (bytes.indexOf(LF) === -1) return line(bytes)
  const parts: string[] = []
  let start = 0
  while (start < bytes.length) {
    const lf = bytes.indexOf(LF, start)
    const end = lf === -1 ? bytes.length : lf + 1
    parts.push(line(bytes.subarray(start, end)))
    start = end
  }
  return parts.join('')
}

/** Splits text into runs of ordinary characters and single escapes, encoding each. */
function encodeRuns(text: string, run: (s: string) => Buffer): Buffer {
  const pieces: Buffer[] = []
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (!isEscape(unit)) continue
    if (i > start) pieces.push(run(text.slice(start, i)))
    pieces.push(Buffer.of(unit & 0xff))
    start = i + 1
  }
  if (start < text.length) pieces.push(run(text.slice(start)))
  return Buffer.concat(pieces)
}

class Utf8Codec implements NameCodec {
  readonly utf8 = true
  constructor(readonly encoding: string) {}

  decode(bytes: Buffer): string {
    return decodeUtf8(bytes)
  }

  plainUtf8(text: string): boolean {
    return !NOT_PLAIN.test(text)
  }

  encode(text: string): Buffer {
    // The common case: no escapes, so the UTF-8 bytes are the name.
    if (this.plainUtf8(text)) return Buffer.from(text, 'utf8')
    if (hasLoneSurrogate(text)) throw refuse('Name holds an unpaired surrogate')
    if (!ESCAPE_CHAR.test(text)) return Buffer.from(text, 'utf8')
    const bytes = encodeRuns(text, (s) => Buffer.from(s, 'utf8'))
    if (this.decode(bytes) !== text)
      throw refuse('Name holds an escape that does not stand for an undecodable byte (docs/names.md)')
    return bytes
  }
}

/** ISO-8859-1: every byte is a character and every character below U+0100 a byte; nothing to escape. */
class Latin1Codec implements NameCodec {
  readonly utf8 = false
  constructor(readonly encoding: string) {}

  decode(bytes: Buffer): string {
    return bytes.toString('latin1')
  }

  plainUtf8(): boolean {
    return false
  }

  encode(text: string): Buffer {
    // U+0100 and above (escapes included: latin1 never needs one) have no latin1 byte.
    if (/[^\u0000-\u00ff]/.test(text)) throw refuse(`Name cannot be written in ${this.encoding}`)
    return Buffer.from(text, 'latin1')
  }
}

/**
 * Any other ASCII-compatible, stateless encoding iconv-lite knows (windows-1252, shift_jis, gbk,
 * big5, euc-kr, cp437…). A decode is accepted as is when it holds no U+FFFD, no reserved code
 * point, and encodes back to the same bytes (some tables map two byte sequences to one character);
 * otherwise the line is decoded character by character and what does not round-trip is escaped.
 */
class IconvCodec implements NameCodec {
  readonly utf8 = false
  constructor(readonly encoding: string) {}

  plainUtf8(): boolean {
    return false
  }

  decode(bytes: Buffer): string {
    const whole = this.#fast(bytes)
    return whole ?? decodeByLines(bytes, (line) => this.#fast(line) ?? this.#slow(line))
  }

  encode(text: string): Buffer {
    if (hasLoneSurrogate(text)) throw refuse('Name holds an unpaired surrogate')
    const bytes = encodeRuns(text, (s) => iconv.encode(s, this.encoding))
    // iconv-lite writes '?' for a character the encoding lacks: the round trip shows it.
    if (this.decode(bytes) !== text) {
      throw refuse(
        ESCAPE_CHAR.test(text)
          ? 'Name holds an escape that does not stand for an undecodable byte (docs/names.md)'
          : `Name cannot be written in ${this.encoding}`,
      )
    }
    return bytes
  }

  #fast(bytes: Buffer): string | undefined {
    const text = iconv.decode(bytes, this.encoding, { stripBOM: false })
    if (text.includes('\uFFFD') || ESCAPE_CHAR.test(text)) return undefined
    return iconv.encode(text, this.encoding).equals(bytes) ? text : undefined
  }

  /** Character by character: the shortest prefix (1-4 bytes) that is one character and round-trips. */
  #slow(bytes: Buffer): string {
    let out = ''
    let i = 0
    while (i < bytes.length) {
      const b = bytes[i] as number
      if (b < 0x80) {
        out += String.fromCharCode(b)
        i++
        continue
      }
      let taken = 0
      for (let len = 1; len <= 4 && i + len <= bytes.length; len++) {
        const piece = bytes.subarray(i, i + len)
        const ch = iconv.decode(piece, this.encoding, { stripBOM: false })
        if (
          [...ch].length === 1 &&
          ch !== '\uFFFD' &&
          !ESCAPE_CHAR.test(ch) &&
          iconv.encode(ch, this.encoding).equals(piece)
        ) {
          out += ch
          taken = len
          break
        }
      }
      if (taken === 0) {
        out += escapeByte(b)
        taken = 1
      }
      i += taken
    }
    return out
  }
}

const codecs = new Map<string, NameCodec>()

/**
 * The codec for an encoding name iconv-lite knows. Throws a bad-name FtpError for an unknown
 * encoding, or one that cannot carry FTP commands: ASCII must be itself (UTF-16, UTF-7, EBCDIC
 * cannot). Codecs are shared: they hold no state.
 */
export function nameCodec(encoding: string): NameCodec {
  const name = encoding.trim().toLowerCase()
  const known = codecs.get(name)
  if (known) return known
  const codec = createCodec(name)
  codecs.set(name, codec)
  return codec
}

function createCodec(name: string): NameCodec {
  const key = canonical(name)
  if (key === 'utf8') return new Utf8Codec(name)
  if (!iconv.encodingExists(name)) throw refuse(`Unknown encoding ${JSON.stringify(name)}`)
  const ascii = Buffer.from(Array.from({ length: 0x80 }, (_, i) => i))
  const decoded = iconv.decode(ascii, name, { stripBOM: false })
  if (decoded !== ascii.toString('latin1') || !iconv.encode(decoded, name).equals(ascii))
    throw refuse(
      `Encoding ${JSON.stringify(name)} is not ASCII-compatible: FTP commands cannot be written in it`,
    )
  const high = Buffer.from(Array.from({ length: 0x80 }, (_, i) => 0x80 + i))
  if (iconv.decode(high, name, { stripBOM: false }) === high.toString('latin1')) return new Latin1Codec(name)
  return new IconvCodec(name)
}
