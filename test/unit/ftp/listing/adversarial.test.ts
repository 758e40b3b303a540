/**
 * Hostile server output must not block the event loop: the LIST line scanners (unix-scan.ts,
 * dos-scan.ts) and the rest of the listing reader read each character a bounded number of times.
 * Their work counter must stay under K × length + C for lines built to make the former
 * backtracking patterns quadratic (a 100k-character line of spaces took minutes with them).
 * Counts only: no clock is read, so a slow machine cannot fail this and a quadratic scanner
 * cannot pass it.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { scanDosLine } from '../../../../src/ftp/listing/dos-scan.js'
import {
  ListingReader,
  parseDosLine,
  parseListing,
  parseUnixLine,
  type ScanWork,
} from '../../../../src/ftp/listing/index.js'
import { scanUnixLine } from '../../../../src/ftp/listing/unix-scan.js'
import { check } from '../../fuzz/runs.js'

const K = 10
const C = 64
const N = 100_000
const LINES: Array<[string, string]> = [
  ['Unix mode then spaces', `-rw-r--r-- ${' '.repeat(N)}x`],
  ['Unix mode then digits', `-rw-r--r-- ${'1 '.repeat(N / 2)}x`],
  ['Unix near-dates', `-rw-r--r-- ${'1 Jan '.repeat(N / 6)}x`],
  ['Unix dates without a name separator', `-rw-r--r-- ${'1 Jan 1 2020\t'.repeat(N / 13)}`],
  ['Unix long size column', `-rw-r--r-- 1 u g ${'9'.repeat(N)} Jan 1 2020\tx`],
  ['DOS date then spaces', `01-01-20  01:00${' '.repeat(N)}x`],
  ['DOS size then spaces', `01-01-20  01:00 ${'1,'.repeat(N / 2)} `],
  ['DOS blanks before AM', `01-01-20  01:00${' '.repeat(N)}AMx`],
  ['bare CRs', `${'\r'.repeat(N)}x`],
  ['MLST-like semicolons', ` a=${';'.repeat(N)}`],
  ['MLSD facts without a name', `a=b;${'c=d;'.repeat(N / 4)}`],
]

describe('adversarial lines', () => {
  it.each(LINES)('%s: work <= K x length + C on both listing kinds', (_label, line) => {
    for (const kind of ['list', 'mlsd'] as const) {
      const text = `${line}\n${line}`
      const work: ScanWork = { ops: 0 }
      const entries = parseListing(text, kind, {}, work)
      expect(Array.isArray(entries)).toBe(true)
      expect(work.ops).toBeGreaterThan(0) // the seam is wired: the lines were read and counted
      expect(work.ops, kind).toBeLessThanOrEqual(K * text.length + C)
    }
  })

  it('a 1.6 MB line in 100-byte chunks (as a session pushes them): work <= K x length + C', () => {
    const line = `-rw-r--r-- 1 u g 1 Jan 1 2020 ${'n'.repeat(1_600_000)}\r\n`
    const work: ScanWork = { ops: 0 }
    const reader = new ListingReader('list', {}, work)
    for (let at = 0; at < line.length; at += 100) reader.push(line.slice(at, at + 100))
    expect(reader.end().map((e) => e.name.length)).toEqual([1_600_000])
    expect(work.ops).toBeLessThanOrEqual(K * line.length + C)
  })

  it('the counter sees every line scanner read (one Unix and one DOS line, counted apart)', () => {
    const unix = { ops: 0 }
    expect(parseUnixLine('-rw-r--r-- 1 u g 42 Jan  5 12:34 name', {}, unix)?.name).toBe('name')
    const dos = { ops: 0 }
    expect(parseDosLine('01-05-23  12:34PM       <DIR>          name', {}, dos)?.type).toBe('dir')
    expect(unix.ops).toBeGreaterThanOrEqual('-rw-r--r-- 1 u g 42 Jan  5 12:34 name'.length)
    expect(dos.ops).toBeGreaterThanOrEqual('01-05-23  12:34PM       <DIR>          '.length)
  })
})

/**
 * The patterns the scanners replaced, kept here as the oracle: on any line the scanners must find
 * exactly the columns these found (the parsers' behaviour did not change, only its cost).
 */
const MONTHS =
  'janv|févr|fevr|mars|juin|juil|août|aout|sept|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mär|mrz|mai|okt|dez|avr|déc|ene|abr|ago|dic|gen|mag|giu|lug|set|ott|fev|out|mrt|mei'
const OLD_UNIX = new RegExp(
  '^(?<mode>\\S{10})[+.@]?(?:\\s+\\S+)*?\\s+(?<size>\\d+)' +
    `\\s+(?<month>(?:${MONTHS})\\.?)\\s+(?<day>\\d{1,2})` +
    '\\s+(?:(?<hour>\\d{1,2}):(?<minute>\\d{2})(?::(?<second>\\d{2}))?|(?<year>\\d{4}))' +
    ' (?<rest>[\\s\\S]+)$',
  'i',
)
const OLD_DOS = new RegExp(
  '^(?:(?<month>\\d{1,2})[-/](?<day>\\d{1,2})[-/](?<year>\\d{4}|\\d{2})' +
    '|(?<isoYear>\\d{4})-(?<isoMonth>\\d{1,2})-(?<isoDay>\\d{1,2}))' +
    '\\s+(?<hour>\\d{1,2}):(?<minute>\\d{2})(?::(?<second>\\d{2}))?(?:\\s*(?<meridiem>[AP]M))?' +
    '\\s+(?<size><DIR>|\\d[\\d,]*)\\s+(?<name>\\S[\\s\\S]*)$',
  'i',
)

// Lines built from plausible and nearly plausible columns, so that both outcomes are common.
const sep = fc.constantFrom(' ', '  ', '\t', '\u00a0 ', ' \u3000')
const unixColumn = fc.constantFrom(
  '1',
  '42',
  '1234567',
  'Jan',
  'jan.',
  'MÄR',
  'sept.',
  'Janv..',
  'Foo',
  '5',
  '31',
  '123',
  '12:34',
  '1:05:07',
  '12:345',
  '2023',
  '20234',
  'user',
  'Domain Users',
  '1,',
  '-',
)
const unixLine = fc
  .record({
    mode: fc.constantFrom('-rw-r--r--', 'drwxr-xr-x+', 'lrwxrwxrwx', 'crw-rw----', 'drwxr-xr-x!', '-rw-r--r'),
    owners: fc.array(fc.tuple(sep, unixColumn), { maxLength: 4 }),
    // Mostly a well-formed `size month day time|year`, sometimes one column off.
    size: fc.tuple(sep, fc.constantFrom('42', '0', '1234567', '1,', 'x')),
    month: fc.tuple(sep, fc.constantFrom('Jan', 'jan.', 'MÄR', 'sept.', 'Janv..', 'Foo')),
    day: fc.tuple(sep, fc.constantFrom('5', '31', '123')),
    time: fc.tuple(sep, fc.constantFrom('12:34', '1:05:07', '2023', '12:345', '20234', '1:5')),
    more: fc.array(fc.tuple(sep, unixColumn), { maxLength: 2 }),
    after: fc.constantFrom(' ', '  ', '\t', ''),
    rest: fc.constantFrom('name', ' a b ', '', 'x -> y', '\t'),
  })
  .map(
    (l) =>
      l.mode +
      [...l.owners, l.size, l.month, l.day, l.time, ...l.more].map(([s, c]) => s + c).join('') +
      l.after +
      l.rest,
  )
const dosLine = fc
  .tuple(
    fc.constantFrom('01-05-23', '1/5/2023', '2023-01-05', '2023/01/05', '01-05-202', '123-01-05', '01-5-23'),
    sep,
    fc.constantFrom('12:34', '1:05', '12:34:56', '123:45', '12:3', '12:34:5'),
    fc.constantFrom('', 'AM', ' pm', '  PM', 'AMx', '\tam'),
    fc.constantFrom(' ', '  ', '\t', ''),
    fc.constantFrom('<DIR>', '<dir>', '1,234', '0', 'x1', ',1', '<DIR>x'),
    fc.constantFrom(' ', '   ', '\t', ''),
    fc.constantFrom('n', ' n ', '', 'a b', '\t'),
  )
  .map((parts) => parts.join(''))

/** The pattern's groups without the ones that took no part (undefined), to compare with a scan. */
function groups(m: RegExpExecArray | null): Record<string, string> | undefined {
  if (m === null) return undefined
  return Object.fromEntries(Object.entries(m.groups ?? {}).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >
}

describe('the scanners find what the former patterns found', () => {
  it.each([
    ['Unix', unixLine, scanUnixLine, OLD_UNIX],
    ['DOS', dosLine, scanDosLine, OLD_DOS],
  ] as const)(
    '%s lines: the same columns as the old pattern, or none where it found none',
    (_kind, lines, scan, old) => {
      let matched = 0
      let refused = 0
      check(
        fc.property(lines, (text) => {
          const expected = groups(old.exec(text))
          if (expected === undefined) refused++
          else matched++
          expect(scan(text), JSON.stringify(text)).toEqual(expected)
        }),
      )
      // Both outcomes were exercised, or the comparison would prove little.
      expect(matched).toBeGreaterThan(0)
      expect(refused).toBeGreaterThan(0)
    },
  )
})

describe('the listing reader does not depend on chunking', () => {
  it('any chunking gives the entries and drops of one push', () =>
    check(
      fc.property(
        fc.array(fc.oneof(unixLine, dosLine, fc.constant('total 8'), fc.constant('')), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.constantFrom('\r\n', '\n', '\r'), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
        (lines, ends, sizes) => {
          const text = lines.map((l, i) => l + ends[i % ends.length]).join('')
          const whole = new ListingReader('list', { now: new Date(Date.UTC(2024, 5, 1)) })
          whole.push(text)
          const chunked = new ListingReader('list', { now: new Date(Date.UTC(2024, 5, 1)) })
          for (let at = 0, k = 0; at < text.length; k++) {
            const n = sizes[k % sizes.length] ?? 1
            chunked.push(text.slice(at, at + n))
            at += n
          }
          expect(chunked.end(), JSON.stringify(text)).toEqual(whole.end())
          expect(chunked.drops).toEqual(whole.drops)
        },
      ),
    ))
})
