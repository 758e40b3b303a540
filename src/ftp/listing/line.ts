import type { FileInfo } from '../file-info.js'
import { looksLikeDosLine, parseDosLine } from './dos.js'
import { parseMlsxLine } from './mlsx.js'
import type { ListParseOptions } from './options.js'
import { noWork, type ScanWork } from './scan.js'
import { looksLikeUnixLine, parseUnixLine } from './unix.js'

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

// A listing name is joined to its parent (childOf) and sent back in DELE/RETR/CWD, e.g. by a
// recursive delete: a hostile server's `../x`, `a/b` or `..\x` (a separator on Windows servers)
// would then name a path outside the listed directory, and a control character cannot be sent in a
// command at all. Such names are not addressable through the gateway (normalizeRelPath refuses
// them), so they are dropped here like '.' and '..'.
export const UNSAFE_NAME = /[/\\\u0000-\u001f\u007f]/

/**
 * One listing line to an entry; '.', '..', unparseable lines and (unless `keepUnsafe`, for a
 * caller that counts them) unsafe names give undefined. `work` (tests) counts characters read.
 */
export function parseListingLine(
  line: string,
  kind: 'mlsd' | 'list',
  options: ListParseOptions,
  flags: { keepUnsafe?: boolean; work?: ScanWork } = {},
): FileInfo | undefined {
  const work = flags.work ?? noWork()
  let entry: FileInfo | undefined
  if (kind === 'mlsd') entry = parseMlsxLine(line, work)
  else {
    // The format guesses are anchored and read a bounded prefix (mode column, date and time).
    const format = detectListFormat(line)
    work.ops += Math.min(line.length, 64)
    if (format === 'unix') entry = parseUnixLine(line, options, work)
    else if (format === 'dos') entry = parseDosLine(line, options, work)
  }
  if (!entry || entry.name === '.' || entry.name === '..') return undefined
  work.ops += entry.name.length
  if (!flags.keepUnsafe && UNSAFE_NAME.test(entry.name)) return undefined
  return entry
}
