/**
 * Options and calendar helpers shared by the LIST parsers. LIST dates are wall-clock times on the
 * server (vsftpd uses GMT unless `use_localtime`, IIS uses local time), so every parser converts
 * them to UTC through one offset instead of trusting the gateway's own time zone.
 */

/** Options for parsing LIST output (MLSx times are always UTC and ignore these). */
export interface ListParseOptions {
  /** "now" for year inference in Unix lines without a year; default new Date(). */
  now?: Date
  /** The server's clock offset from UTC in minutes for LIST times (vsftpd default is GMT → 0); default 0. */
  timeZoneOffsetMinutes?: number | undefined
}

const MS_PER_MINUTE = 60_000

/** True if the calendar date exists (rejects Feb 30, month 13, day 0). Month is 1-based. */
export function isValidDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  return day <= daysInMonth(year, month)
}

/** Days in a month of the proleptic Gregorian calendar. Month is 1-based. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
    return leap ? 29 : 28
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

/**
 * Builds the UTC instant for a wall-clock time on the server. Uses setUTCFullYear because
 * Date.UTC maps years 0-99 to 1900-1999. Returns undefined for impossible dates or times.
 */
export function serverTimeToUtc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  offsetMinutes: number,
): Date | undefined {
  if (!isValidDate(year, month, day)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, 0)
  const ms = date.getTime() - offsetMinutes * MS_PER_MINUTE
  return Number.isFinite(ms) ? new Date(ms) : undefined
}

/** The calendar year on the server's wall clock at instant `now`. */
export function serverYear(now: Date, offsetMinutes: number): number {
  return new Date(now.getTime() + offsetMinutes * MS_PER_MINUTE).getUTCFullYear()
}

/** Reads the options with their defaults applied. */
export function resolveOptions(options: ListParseOptions | undefined): { now: Date; offset: number } {
  const offset = options?.timeZoneOffsetMinutes
  const now = options?.now
  return {
    // An invalid `now` would turn every inferred date into NaN; fall back as if none was given.
    now: now !== undefined && Number.isFinite(now.getTime()) ? now : new Date(),
    offset: typeof offset === 'number' && Number.isFinite(offset) ? offset : 0,
  }
}

/** Largest size we report: 2^53 is still exact as a double; anything above would be silently rounded. */
export const MAX_SIZE = 2 ** 53

/** Parses a decimal byte count; undefined if it is not all digits or too large to be exact. */
export function parseSize(digits: string): number | undefined {
  if (!/^\d+$/.test(digits)) return undefined
  // Compare exactly: Number() would round 2^53 + 1 down to 2^53 and let it through.
  return BigInt(digits) <= BigInt(MAX_SIZE) ? Number(digits) : undefined
}

/**
 * Drops trailing CR/LF characters. A loop rather than /[\r\n]+$/, which rescans from every CR
 * and turns a line full of bare CRs into quadratic work.
 */
export function stripLineEnd(line: string): string {
  let end = line.length
  while (end > 0 && (line[end - 1] === '\r' || line[end - 1] === '\n')) end--
  return end === line.length ? line : line.slice(0, end)
}
