/**
 * Public API of the listing parsers: pure functions from MLSD/MLST and LIST text to FileInfo.
 * They never throw on server output; what they cannot read is skipped.
 */
import type { FileInfo } from '../file-info.js'
import { looksLikeDosLine, parseDosLine } from './dos.js'
import { splitLines } from './line-splitter.js'
import { parseMlsxLine } from './mlsx.js'
import type { ListParseOptions } from './options.js'
import { looksLikeUnixLine, parseUnixLine } from './unix.js'

export { parseDosLine } from './dos.js'
export { LineSplitter, splitLines } from './line-splitter.js'
export { formatMlsxTime, parseMlsxLine, parseMlsxTime } from './mlsx.js'
export type { ListParseOptions } from './options.js'
export { type ListingDrops, ListingReader } from './reader.js'
export { parseUnixLine } from './unix.js'

/** The formats a listing line can be in. */
export type ListFormat = 'mlsd' | 'unix' | 'dos'

/** Facts first (`type=file;`), then one space: what an MLSD line that reached LIST looks like. */
const MLSD_START = /^[^ =;]+=[^ ]*; /

/** Guesses the format of one LIST line (undefined for "total N" and blank lines). */
export function detectListFormat(line: string): ListFormat | undefined {
  if (looksLikeUnixLine(line)) return 'unix'
  if (looksLikeDosLine(line)) return 'dos'
  if (MLSD_START.test(line)) return 'mlsd'
  return undefined
}

/**
 * Parses a whole listing. `kind` 'mlsd' uses parseMlsxLine; 'list' detects Unix or DOS per line.
 * Skips blank lines, "total N", ".", "..", cdir/pdir. Never throws on garbage: unparseable lines
 * are skipped.
 *
 * The format is decided per line rather than from one sample line, so a listing that mixes in
 * a banner or an odd line still yields every entry that can be read.
 */
export function parseListing(text: string, kind: 'mlsd' | 'list', options?: ListParseOptions): FileInfo[] {
  const entries: FileInfo[] = []
  for (const line of splitLines(text)) {
    if (line.trim() === '') continue
    const entry = kind === 'mlsd' ? parseMlsxLine(line) : parseListLine(line, options)
    if (entry === undefined || entry.name === '.' || entry.name === '..') continue
    entries.push(entry)
  }
  return entries
}

/** One LIST line in whatever format it appears to be in. */
function parseListLine(line: string, options: ListParseOptions | undefined): FileInfo | undefined {
  switch (detectListFormat(line)) {
    case 'unix':
      return parseUnixLine(line, options)
    case 'dos':
      return parseDosLine(line, options)
    case 'mlsd':
      return parseMlsxLine(line)
    default:
      return undefined
  }
}
