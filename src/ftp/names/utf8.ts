/**
 * UTF-8 decoding with the reversible escape. The fast path is native: a validity check
 * (`buffer.isUtf8`), a search for the lead bytes of the reserved range, and `toString`; JavaScript
 * looks at single bytes only in a line that holds invalid UTF-8 or a reserved code point.
 */
import { isUtf8 } from 'node:buffer'
import { escapeByte } from './escape.js'

// U+EF80-U+EFFF in UTF-8: EE BE 80 - EE BF BF.
const RESERVED_LEAD = 0xee
const LF = 0x0a

/** Decodes bytes as UTF-8; every byte of an invalid sequence or of a reserved code point is escaped. */
export function decodeUtf8(bytes: Buffer): string {
  if (isUtf8(bytes) && !holdsReserved(bytes, 0)) return bytes.toString('utf8')
  // Line by line, so only the lines that need it take the byte loop.
  const parts: string[] = []
  let start = 0
  while (start < bytes.length) {
    const lf = bytes.indexOf(LF, start)
    const end = lf === -1 ? bytes.length : lf + 1
    const line = bytes.subarray(start, end)
    parts.push(isUtf8(line) && !holdsReserved(line, 0) ? line.toString('utf8') : escapeLine(line))
    start = end
  }
  return parts.join('')
}

function holdsReserved(bytes: Buffer, from: number): boolean {
  for (let i = bytes.indexOf(RESERVED_LEAD, from); i !== -1; i = bytes.indexOf(RESERVED_LEAD, i + 1)) {
    const next = bytes[i + 1]
    if (next === 0xbe || next === 0xbf) return true
  }
  return false
}

/** The byte loop: valid runs are decoded natively, everything else escaped byte by byte. */
function escapeLine(bytes: Buffer): string {
  let out = ''
  let run = 0
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i] as number
    if (b < 0x80) {
      i++
      continue
    }
    const len = sequenceLength(bytes, i)
    const reserved = len === 3 && b === RESERVED_LEAD && ((bytes[i + 1] as number) & 0xfe) === 0xbe
    if (len > 0 && !reserved) {
      i += len
      continue
    }
    if (i > run) out += bytes.toString('utf8', run, i)
    const count = len > 0 ? len : 1
    for (let k = 0; k < count; k++) out += escapeByte(bytes[i + k] as number)
    i += count
    run = i
  }
  if (run < bytes.length) out += bytes.toString('utf8', run)
  return out
}

/**
 * Length of the well-formed UTF-8 sequence starting at `i` (RFC 3629 §4: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 when there is none.
 */
export function sequenceLength(bytes: Buffer, i: number): number {
  const b0 = bytes[i] as number
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const b = bytes[i + k]
    return b !== undefined && b >= lo && b <= hi
  }
  if (b0 < 0x80) return 1
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80
    const hi = b0 === 0xed ? 0x9f : 0xbf
    return cont(1, lo, hi) && cont(2) ? 3 : 0
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80
    const hi = b0 === 0xf4 ? 0x8f : 0xbf
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0
  }
  return 0
}
