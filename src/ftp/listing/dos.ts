/**
 * DOS / IIS style LIST lines:
 *
 *   01-05-23  12:34PM       <DIR>          name
 *   01-05-2023  09:05AM           1234 file name.txt
 *   2023-01-05  21:05             1234 file.txt         (ISO date, 24-hour clock)
 *
 * Dates are month-day-year as IIS writes them. The name is everything after the blanks that
 * follow `<DIR>` or the size: IIS pads that column, so a name's leading spaces cannot be told
 * apart from padding and are lost; inner and trailing spaces are kept.
 */
import type { FileInfo } from '../file-info.js'
import { scanDosLine } from './dos-scan.js'
import { type ListParseOptions, parseSize, resolveOptions, stripLineEnd } from './options.js'
import { noWork, type ScanWork } from './scan.js'

/** Guesses whether a line is a DOS/IIS LIST line, from its leading date. */
export function looksLikeDosLine(line: string): boolean {
  return /^(?:\d{1,2}[-/]\d{1,2}[-/]\d{2,4}|\d{4}-\d{1,2}-\d{1,2})\s+\d{1,2}:\d{2}/.test(line)
}

/**
 * Parses one DOS/IIS-style LIST line. Returns undefined for lines that do not fit. Two-digit
 * years 70-99 are 19xx, others 20xx. Times are read on the server's clock (`options.timeZone`,
 * else `timeZoneOffsetMinutes`; IIS lists local time) and returned in UTC.
 * The columns are read by a hand-written scanner (dos-scan.ts) in linear time; `work` (tests) counts its reads.
 */
export function parseDosLine(
  line: string,
  options?: ListParseOptions,
  work: ScanWork = noWork(),
): FileInfo | undefined {
  // Columns of the other date form are undefined.
  const g = scanDosLine(stripLineEnd(line), work)
  if (g === undefined) return undefined
  const name = g.name!
  const sizeOrDir = g.size!
  const info: FileInfo = sizeOrDir.toUpperCase() === '<DIR>' ? { name, type: 'dir' } : { name, type: 'file' }
  if (info.type === 'file') {
    const size = parseSize(sizeOrDir.replaceAll(',', ''))
    if (size !== undefined) info.size = size
  }
  const year = expandYear((g.year ?? g.isoYear)!)
  const hour = toHour24(Number(g.hour), g.meridiem)
  const second = g.second === undefined ? 0 : Number(g.second)
  const { clock } = resolveOptions(options)
  const modified =
    hour === undefined
      ? undefined
      : clock.toUtc(
          year,
          Number(g.month ?? g.isoMonth),
          Number(g.day ?? g.isoDay),
          hour,
          Number(g.minute),
          second,
        )
  if (modified !== undefined) info.modified = modified
  return info
}

/** Two-digit years: 70-99 are 19xx and 00-69 are 20xx (no FTP server dates a file before 1970). */
function expandYear(text: string): number {
  const year = Number(text)
  if (text.length !== 2) return year
  return year >= 70 ? 1900 + year : 2000 + year
}

/** 12:xxAM is midnight and 12:xxPM is noon; an hour above 12 with AM/PM is invalid. */
function toHour24(hour: number, meridiem: string | undefined): number | undefined {
  if (meridiem === undefined) return hour
  if (hour < 1 || hour > 12) return undefined
  const pm = meridiem.toUpperCase() === 'PM'
  return (hour % 12) + (pm ? 12 : 0)
}
