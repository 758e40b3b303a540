/**
 * Character helpers for the hand-written LIST line scanners (unix-scan.ts, dos-scan.ts). The
 * scanners replaced regular expressions whose nested quantifiers a hostile server could make
 * backtrack; a scanner reads each character a bounded number of times, and counts what it reads
 * in a `ScanWork` so a test can bound the work by the line's length without reading a clock.
 */

/** Work counter for tests: `ops` grows by one for every character a scanner reads. */
export interface ScanWork {
  ops: number
}

/** A counter nobody reads, for callers that do not measure. */
export function noWork(): ScanWork {
  return { ops: 0 }
}

// One character at a time, so this costs O(1); `\s` is exactly the set the old patterns split on
// (Unicode spaces and line terminators included).
const SPACE = /\s/

/** True if the one character at `i` is whitespace in the regex `\s` sense (false past the end). */
export function isSpaceAt(text: string, i: number): boolean {
  return i < text.length && SPACE.test(text.charAt(i))
}

/** True if the character at `i` is an ASCII digit (regex `\d`). */
export function isDigitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  return c >= 48 && c <= 57
}

/** True if `text[start, end)` is non-empty and only ASCII digits; reads at most until the first non-digit. */
export function allDigits(text: string, start: number, end: number, work: ScanWork): boolean {
  if (end <= start) return false
  for (let i = start; i < end; i++) {
    work.ops++
    if (!isDigitAt(text, i)) return false
  }
  return true
}
