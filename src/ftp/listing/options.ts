/**
 * Options and helpers shared by the LIST parsers. LIST dates are wall-clock times on the server
 * (vsftpd uses GMT unless `use_localtime`, IIS uses local time), so every parser converts them to
 * UTC through the server's clock (server-clock.ts) instead of trusting the gateway's own zone.
 */
import { fixedOffsetClock, type ServerClock, zoneClock } from './server-clock.js'

export { daysInMonth, isValidDate } from './server-clock.js'

/** Options for parsing LIST output (MLSx times are always UTC and ignore these). */
export interface ListParseOptions {
  /** "now" for year inference in Unix lines without a year; default new Date(). */
  now?: Date
  /**
   * IANA zone of the server's clock for LIST times (FTP_TIMEZONE), daylight saving included; wins
   * over `timeZoneOffsetMinutes`. An unknown name reads as UTC (the configuration checks names).
   */
  timeZone?: string | undefined
  /** A fixed offset from UTC in minutes, east positive, when no `timeZone` is given; default 0. */
  timeZoneOffsetMinutes?: number | undefined
}

/** Reads the options with their defaults applied: "now" and the server's clock. */
export function resolveOptions(options: ListParseOptions | undefined): { now: Date; clock: ServerClock } {
  const offset = options?.timeZoneOffsetMinutes
  const now = options?.now
  return {
    // An invalid `now` would turn every inferred date into NaN; fall back as if none was given.
    now: now !== undefined && Number.isFinite(now.getTime()) ? now : new Date(),
    clock: clockOf(options?.timeZone, typeof offset === 'number' && Number.isFinite(offset) ? offset : 0),
  }
}

function clockOf(timeZone: string | undefined, offset: number): ServerClock {
  if (timeZone !== undefined) {
    try {
      return zoneClock(timeZone)
    } catch {
      // Parsers never throw on their input; a bad name is the configuration's to refuse.
    }
  }
  return offset === 0 ? zoneClock('UTC') : fixedOffsetClock(offset)
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
