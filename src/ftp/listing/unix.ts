/**
 * Unix `ls -l` style LIST lines, as sent by vsftpd, ProFTPD, Pure-FTPd and most others:
 *
 *   drwxr-xr-x 2 user group 4096 Jan  5 12:34 name
 *   -rw-r--r-- 1 owner 1234 Jan 5  2023 file          (no group column)
 *   lrwxrwxrwx 1 0 0 9 Jan 5 12:34 link -> target
 *
 * The columns before the size vary (no group, numeric ids, "Domain Users" with a space), so the
 * line is anchored on `size month day time|year`: the first place that pattern occurs after the
 * mode. The name is everything after the single space that follows the time or year, so
 * leading, inner and trailing spaces survive.
 */
import type { FileInfo, FileType } from '../file-info.js'
import { monthNumber } from './months.js'
import { type ListParseOptions, parseSize, resolveOptions, stripLineEnd } from './options.js'
import { noWork, type ScanWork } from './scan.js'
import { scanUnixLine, type UnixFields } from './unix-scan.js'

/**
 * A mode column: type char and nine permission chars. The line scanner (unix-scan.ts) also allows
 * one ACL (`+`), SELinux (`.`) or xattr (`@`) marker right after it, which is not part of
 * `permissions`. It is hand-written, not a pattern, so a hostile line costs linear time.
 */
const MODE = /^[-bcdlpsDnw?][-rwxsStTlL?]{9}$/

/** A date without a year may be up to a day in the future (clock skew) before it counts as last year's. */
const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000

/** Guesses whether a line is a Unix LIST line, from its mode column alone. */
export function looksLikeUnixLine(line: string): boolean {
  return MODE.test(line.slice(0, 10)) && /^[+.@]?\s/.test(line.slice(10))
}

/**
 * Parses one Unix-style LIST line. Returns undefined for lines that do not fit (including
 * "total N"). Times without a year are placed by year inference against `options.now`; times
 * are read on the server's clock (`options.timeZone`, else `timeZoneOffsetMinutes`) and returned
 * in UTC; the year of a recent date is inferred on that clock too.
 * `work` (tests) counts the characters read.
 */
export function parseUnixLine(
  line: string,
  options?: ListParseOptions,
  work: ScanWork = noWork(),
): FileInfo | undefined {
  const fields = scanUnixLine(stripLineEnd(line), work)
  if (fields === undefined) return undefined
  const { mode, rest } = fields
  if (!MODE.test(mode)) return undefined

  const type = unixType(mode[0]!)
  let name = rest
  let target: string | undefined
  if (type === 'symlink') {
    // A name containing " -> " is ambiguous; like `ls` readers generally, split at the first one.
    work.ops += rest.length
    const arrow = rest.indexOf(' -> ')
    if (arrow > 0) {
      name = rest.slice(0, arrow)
      target = rest.slice(arrow + 4)
    }
  }

  const info: FileInfo = { name, type }
  if (target !== undefined) info.target = target
  // Block and character devices show "major, minor" where the size would be.
  const size = mode[0] === 'b' || mode[0] === 'c' ? undefined : parseSize(fields.size)
  if (size !== undefined) info.size = size
  const modified = unixDate(fields, options)
  if (modified !== undefined) info.modified = modified
  info.permissions = mode
  return info
}

function unixType(char: string): FileType {
  if (char === '-') return 'file'
  if (char === 'd') return 'dir'
  if (char === 'l') return 'symlink'
  return 'unknown'
}

/**
 * Turns the date columns into UTC. With a year the time is midnight; without one the year is
 * inferred, because `ls` and vsftpd drop it for recent files (vsftpd: within 182 days).
 */
function unixDate(fields: UnixFields, options: ListParseOptions | undefined): Date | undefined {
  const month = monthNumber(fields.month)
  if (month === undefined) return undefined
  const day = Number(fields.day)
  const { now, clock } = resolveOptions(options)
  if (fields.year !== undefined) return clock.toUtc(Number(fields.year), month, day, 0, 0, 0)

  const hour = Number(fields.hour)
  const minute = Number(fields.minute)
  const second = fields.second === undefined ? 0 : Number(fields.second)
  const year = clock.yearAt(now)
  const limit = now.getTime() + FUTURE_TOLERANCE_MS
  // The latest of next, this and last year that is not more than a day ahead. Next year only
  // fits on Dec 31, for a file stamped just past the server's New Year by a skewed clock;
  // last year also catches Feb 29 when this year has none.
  for (const candidateYear of [year + 1, year, year - 1]) {
    const candidate = clock.toUtc(candidateYear, month, day, hour, minute, second)
    if (candidate !== undefined && candidate.getTime() <= limit) return candidate
  }
  return undefined
}
