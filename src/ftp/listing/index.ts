/**
 * Public API of the listing parsers: pure functions from MLSD/MLST and LIST text to FileInfo.
 * They never throw on server output; what they cannot read is skipped.
 */
import type { FileInfo } from '../file-info.js'
import type { ListParseOptions } from './options.js'
import { ListingReader } from './reader.js'
import type { ScanWork } from './scan.js'

export { parseDosLine } from './dos.js'
export { detectListFormat, type ListFormat, parseListingLine } from './line.js'
export { LineSplitter, splitLines } from './line-splitter.js'
export { formatMlsxTime, parseMlsxLine, parseMlsxTime } from './mlsx.js'
export type { ListParseOptions } from './options.js'
export { type ListingDrops, ListingReader } from './reader.js'
export type { ScanWork } from './scan.js'
export { parseUnixLine } from './unix.js'

/**
 * Parses a whole listing the way a session reads one (ListingReader, one line at a time through
 * parseListingLine): `kind` 'mlsd' reads MLSD facts, 'list' detects Unix or DOS per line. Skips
 * blank lines, "total N", ".", "..", cdir/pdir, names the gateway cannot address and names cut by
 * a line break. Never throws on garbage: unparseable lines are skipped. `work` (tests) counts the
 * characters read, so a test can bound the work by the text's length.
 */
export function parseListing(
  text: string,
  kind: 'mlsd' | 'list',
  options?: ListParseOptions,
  work?: ScanWork,
): FileInfo[] {
  const reader = new ListingReader(kind, options, work)
  reader.push(text)
  return reader.end()
}
