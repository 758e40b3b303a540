/**
 * The server's wall clock: LIST lines carry dates without a zone (vsftpd writes UTC unless
 * `use_localtime=YES`, IIS and many others local time), so the parsers read them through the
 * upstream's IANA zone. Offsets come from Intl (the tz database Node ships), so daylight saving
 * and historical changes are right without a library.
 */

/** Turns wall-clock times on the server into instants, and tells the server's calendar year. */
export interface ServerClock {
  /** The instant the server's clock showed this time; undefined for an impossible date or time. */
  toUtc(
    year: number,
    month: number,
    day: number,
    hour: number,
    minute: number,
    second: number,
  ): Date | undefined
  /** The calendar year on the server's clock at instant `now`. */
  yearAt(now: Date): number
  /** How far the server's clock is ahead of UTC at `instant`, in ms (negative west of Greenwich). */
  offsetAt(instant: Date): number
}

const MS_PER_MINUTE = 60_000
const MS_PER_DAY = 86_400_000
/**
 * Offsets are looked up per quarter hour of UTC and kept: every zone change in the tz database
 * since 1970 falls on a quarter hour, and a listing of 100 000 entries then costs a few hundred
 * Intl calls rather than several per line.
 */
const BUCKET_MS = 15 * MS_PER_MINUTE
const MAX_CACHED_BUCKETS = 20_000

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
 * The wall-clock fields read as if they were UTC, in ms; undefined for an impossible date or time.
 * setUTCFullYear because Date.UTC maps years 0-99 to 1900-1999.
 */
function wallMs(year: number, month: number, day: number, hour: number, minute: number, second: number) {
  if (!isValidDate(year, month, day)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, 0)
  const ms = date.getTime()
  return Number.isFinite(ms) ? ms : undefined
}

/** A clock a fixed number of minutes from UTC (east positive). */
export function fixedOffsetClock(offsetMinutes: number): ServerClock {
  const offsetMs = offsetMinutes * MS_PER_MINUTE
  return {
    toUtc(year, month, day, hour, minute, second) {
      const wall = wallMs(year, month, day, hour, minute, second)
      if (wall === undefined) return undefined
      const ms = wall - offsetMs
      return Number.isFinite(ms) ? new Date(ms) : undefined
    },
    yearAt: (now) => new Date(now.getTime() + offsetMs).getUTCFullYear(),
    offsetAt: () => offsetMs,
  }
}

const UTC_CLOCK = fixedOffsetClock(0)
const zoneClocks = new Map<string, ServerClock>()

/** Whether Intl knows `timeZone` (an IANA name such as Europe/Berlin). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
    return true
  } catch {
    return false
  }
}

/**
 * The clock of IANA zone `timeZone`, shared by every caller (its offset cache is the point).
 * UTC and its aliases take the fixed path; an unknown zone throws a RangeError.
 */
export function zoneClock(timeZone: string): ServerClock {
  const known = zoneClocks.get(timeZone)
  if (known) return known
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  })
  const resolved = format.resolvedOptions().timeZone
  const clock = resolved === 'UTC' || resolved === 'Etc/UTC' ? UTC_CLOCK : new IntlClock(format)
  zoneClocks.set(timeZone, clock)
  return clock
}

/** A zone's clock through Intl.DateTimeFormat, with offsets cached per quarter hour. */
class IntlClock implements ServerClock {
  readonly #format: Intl.DateTimeFormat
  readonly #offsets = new Map<number, number>()

  constructor(format: Intl.DateTimeFormat) {
    this.#format = format
  }

  toUtc(year: number, month: number, day: number, hour: number, minute: number, second: number) {
    const wall = wallMs(year, month, day, hour, minute, second)
    if (wall === undefined) return undefined
    // The instant is wall - offset, for the offset in force then. Around a change there are two
    // offsets to try (the one a day before and a day after): when both fit (the hour repeated in
    // autumn) the earlier instant wins; when neither fits (the hour skipped in spring) the time is
    // read with the offset from before the change, i.e. moved forward by the gap, as clocks
    // and Temporal's "compatible" reading do.
    const before = this.#offsetMs(wall - MS_PER_DAY)
    const after = this.#offsetMs(wall + MS_PER_DAY)
    const fits = [wall - before, wall - after].filter((t) => this.#offsetMs(t) === wall - t)
    const ms = fits.length > 0 ? Math.min(...fits) : wall - before
    return Number.isFinite(ms) ? new Date(ms) : undefined
  }

  yearAt(now: Date): number {
    const t = now.getTime()
    return new Date(t + this.#offsetMs(t)).getUTCFullYear()
  }

  offsetAt(instant: Date): number {
    return this.#offsetMs(instant.getTime())
  }

  /** Offset from UTC in ms at instant `t` (wall clock minus UTC). */
  #offsetMs(t: number): number {
    const bucket = Math.floor(t / BUCKET_MS)
    const cached = this.#offsets.get(bucket)
    if (cached !== undefined) return cached
    const offset = this.#compute(bucket * BUCKET_MS)
    if (this.#offsets.size >= MAX_CACHED_BUCKETS) this.#offsets.clear()
    this.#offsets.set(bucket, offset)
    return offset
  }

  #compute(t: number): number {
    const date = new Date(t)
    if (!Number.isFinite(date.getTime())) return 0
    const parts: Record<string, string> = {}
    for (const p of this.#format.formatToParts(date)) parts[p.type] = p.value
    let year = Number(parts.year)
    // Years BC come out as "1 BC" = year 0, "2 BC" = -1 (proleptic Gregorian, as Date counts).
    if (parts.era === 'BC' || parts.era === 'B') year = 1 - year
    const shown = new Date(0)
    shown.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day))
    shown.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0)
    // Whole seconds are compared: `t` is a bucket start, so it has no milliseconds either.
    return shown.getTime() - t
  }
}
