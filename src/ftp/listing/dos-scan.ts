/**
 * The column scanner behind parseDosLine. It accepts exactly the lines the former pattern
 *
 *   ^(MM[-/]DD[-/]YY(YY)? | YYYY-MM-DD) \s+ hh:mm(:ss)? (\s*[AP]M)? \s+ (<DIR>|\d[\d,]*) \s+ (\S.*)$
 *
 * accepted (case-insensitive), with the same fields, reading left to right once: every column is
 * a run of one character class that ends where the next class starts, so nothing is read twice
 * and a hostile line of blanks or digits costs its length.
 */
import { isDigitAt, isSpaceAt, noWork, type ScanWork } from './scan.js'

/**
 * The columns of a DOS/IIS LIST line, named as the former pattern's groups: `month`/`day`/`year`
 * for `MM-DD-YY[YY]` (year as written, two or four digits), `iso*` for `YYYY-MM-DD`.
 */
export interface DosFields {
  month?: string
  day?: string
  year?: string
  isoYear?: string
  isoMonth?: string
  isoDay?: string
  hour: string
  minute: string
  second?: string
  meridiem?: string
  /** `<DIR>` in any case, or the size with any digit-grouping commas. */
  size: string
  name: string
}

/** A left-to-right reader over one line that counts what it reads. */
class Cursor {
  pos = 0
  constructor(
    readonly text: string,
    readonly work: ScanWork,
  ) {}

  /** Consumes the run of characters satisfying `test` and returns it. */
  run(test: (text: string, i: number) => boolean): string {
    const start = this.pos
    while (this.pos < this.text.length && test(this.text, this.pos)) {
      this.work.ops++
      this.pos++
    }
    this.work.ops++ // the character that ended the run
    return this.text.slice(start, this.pos)
  }

  /** Consumes one character if it is one of `chars`. */
  take(chars: string): boolean {
    this.work.ops++
    if (this.pos >= this.text.length || !chars.includes(this.text.charAt(this.pos))) return false
    this.pos++
    return true
  }
}

const digits = (text: string, i: number) => isDigitAt(text, i)
const blanks = (text: string, i: number) => isSpaceAt(text, i)
const sizeChars = (text: string, i: number) => isDigitAt(text, i) || text.charAt(i) === ','

/** Finds the columns of `text` (line end already stripped), or undefined when the line does not fit. */
export function scanDosLine(text: string, work: ScanWork = noWork()): DosFields | undefined {
  const c = new Cursor(text, work)
  const date = scanDate(c)
  if (date === undefined || c.run(blanks) === '') return undefined

  const hour = c.run(digits)
  if (hour.length < 1 || hour.length > 2 || !c.take(':')) return undefined
  const minute = c.run(digits)
  if (minute.length !== 2) return undefined
  let second: string | undefined
  if (c.take(':')) {
    second = c.run(digits)
    if (second.length !== 2) return undefined
  }
  let gap = c.run(blanks)
  let meridiem: string | undefined
  const two = text.slice(c.pos, c.pos + 2)
  work.ops += 2
  if (/^[ap]m$/i.test(two)) {
    meridiem = two
    c.pos += 2
    gap = c.run(blanks)
  }
  if (gap === '') return undefined

  let size: string
  work.ops += 5
  if (text.slice(c.pos, c.pos + 5).toUpperCase() === '<DIR>') {
    size = text.slice(c.pos, c.pos + 5)
    c.pos += 5
  } else {
    if (!isDigitAt(text, c.pos)) return undefined
    size = c.run(sizeChars)
  }
  if (c.run(blanks) === '' || c.pos >= text.length) return undefined
  const fields: DosFields = { ...date, hour, minute, size, name: text.slice(c.pos) }
  if (second !== undefined) fields.second = second
  if (meridiem !== undefined) fields.meridiem = meridiem
  return fields
}

/** `MM-DD-YY`, `MM/DD/YYYY` (separators may mix) or ISO `YYYY-MM-DD`. */
function scanDate(
  c: Cursor,
): Pick<DosFields, 'month' | 'day' | 'year' | 'isoYear' | 'isoMonth' | 'isoDay'> | undefined {
  const first = c.run(digits)
  if (first.length === 4) {
    if (!c.take('-')) return undefined
    const month = c.run(digits)
    if (month.length < 1 || month.length > 2 || !c.take('-')) return undefined
    const day = c.run(digits)
    if (day.length < 1 || day.length > 2) return undefined
    return { isoYear: first, isoMonth: month, isoDay: day }
  }
  if (first.length < 1 || first.length > 2 || !c.take('-/')) return undefined
  const day = c.run(digits)
  if (day.length < 1 || day.length > 2 || !c.take('-/')) return undefined
  const year = c.run(digits)
  if (year.length !== 2 && year.length !== 4) return undefined
  return { month: first, day, year }
}
