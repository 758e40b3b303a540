/**
 * The column scanner behind parseUnixLine. It accepts exactly the lines the former pattern
 *
 *   ^(\S{10})[+.@]? (?:\s+\S+)*? \s+(\d+) \s+(MONTH) \s+(\d{1,2}) \s+(hh:mm[:ss]|yyyy) ' ' (rest)$
 *
 * accepted, with the same fields, but in linear time whatever the line: the line is cut into
 * whitespace-separated tokens once, and the date anchor `size month day time|year` is tried at
 * each token in turn (the lazy `*?`: the first place it fits wins). Every token is read at most
 * once per role, so a hostile line of spaces, digits or near-dates costs a few reads per character.
 */
import { monthNumber } from './months.js'
import { allDigits, isDigitAt, isSpaceAt, noWork, type ScanWork } from './scan.js'

/** The columns of a Unix LIST line; the time ones are undefined when the line shows a year. */
export interface UnixFields {
  mode: string
  size: string
  month: string
  day: string
  hour?: string
  minute?: string
  second?: string
  year?: string
  rest: string
}

/** The longest month token (`janv.`): longer tokens are not read at all. */
const MONTH_MAX = 5

/** Finds the columns of `text` (line end already stripped), or undefined when the line does not fit. */
export function scanUnixLine(text: string, work: ScanWork = noWork()): UnixFields | undefined {
  const starts: number[] = []
  const ends: number[] = []
  for (let i = 0; i < text.length; ) {
    work.ops++
    if (isSpaceAt(text, i)) {
      i++
      continue
    }
    starts.push(i)
    while (i < text.length && !isSpaceAt(text, i)) {
      i++
      work.ops++
    }
    ends.push(i)
  }
  // The mode column: ten non-blanks at the very start, maybe one ACL/SELinux/xattr marker.
  const modeEnd = ends[0]
  if (starts[0] !== 0 || modeEnd === undefined) return undefined
  if (modeEnd !== 10 && !(modeEnd === 11 && '+.@'.includes(text.charAt(10)))) return undefined

  for (let t = 1; t + 3 < starts.length; t++) {
    const fields = dateAnchor(text, starts, ends, t, work)
    if (fields !== undefined) return { mode: text.slice(0, 10), ...fields }
  }
  return undefined
}

/** `size month day time|year` starting at token `t`, then one space and a non-empty rest. */
function dateAnchor(
  text: string,
  starts: number[],
  ends: number[],
  t: number,
  work: ScanWork,
): Omit<UnixFields, 'mode'> | undefined {
  const at = (k: number): [number, number] => [starts[t + k]!, ends[t + k]!]
  const [sizeStart, sizeEnd] = at(0)
  if (!allDigits(text, sizeStart, sizeEnd, work)) return undefined
  const [monthStart, monthEnd] = at(1)
  work.ops++
  if (monthEnd - monthStart > MONTH_MAX) return undefined
  work.ops += monthEnd - monthStart
  const month = text.slice(monthStart, monthEnd)
  if (monthNumber(month) === undefined) return undefined
  const [dayStart, dayEnd] = at(2)
  if (dayEnd - dayStart > 2 || !allDigits(text, dayStart, dayEnd, work)) return undefined
  const [timeStart, timeEnd] = at(3)
  work.ops++
  if (timeEnd - timeStart > 8) return undefined
  const time = timeOrYear(text, timeStart, timeEnd, work)
  // Exactly one space after the time or year, then the name: it may hold any character.
  work.ops++
  if (time === undefined || text.charAt(timeEnd) !== ' ' || timeEnd + 1 >= text.length) return undefined
  return {
    size: text.slice(sizeStart, sizeEnd),
    month,
    day: text.slice(dayStart, dayEnd),
    ...time,
    rest: text.slice(timeEnd + 1),
  }
}

/** `h:mm`, `hh:mm`, `hh:mm:ss` or a four-digit year, as the whole token `[start, end)` (at most 8 chars). */
function timeOrYear(
  text: string,
  start: number,
  end: number,
  work: ScanWork,
): { hour: string; minute: string; second?: string } | { year: string } | undefined {
  work.ops += end - start
  const token = text.slice(start, end)
  const colon = token.indexOf(':')
  if (colon === -1) return token.length === 4 && allDigits(token, 0, 4, work) ? { year: token } : undefined
  const hour = token.slice(0, colon)
  const minute = token.slice(colon + 1, colon + 3)
  if (hour.length < 1 || hour.length > 2 || !allDigits(hour, 0, hour.length, work)) return undefined
  if (minute.length !== 2 || !isDigitAt(minute, 0) || !isDigitAt(minute, 1)) return undefined
  const after = token.slice(colon + 3)
  if (after === '') return { hour, minute }
  if (after.length !== 3 || after[0] !== ':' || !isDigitAt(after, 1) || !isDigitAt(after, 2)) return undefined
  return { hour, minute, second: after.slice(1) }
}
