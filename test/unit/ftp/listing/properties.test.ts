/**
 * Property tests: entries rendered by small renderers (written here, independent of the
 * parsers) must parse back to the same name, type, size and time; arbitrary input must never
 * throw; and chunking must not change how a listing splits into lines.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { FileInfo } from '../../../../src/ftp/file-info.js'
import {
  LineSplitter,
  parseDosLine,
  parseListing,
  parseMlsxLine,
  parseUnixLine,
  splitLines,
} from '../../../../src/ftp/listing/index.js'

const RUNS = 500
const MINUTE = 60_000
const TYPE_CHAR = { file: '-', dir: 'd', symlink: 'l' } as const
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** The value type an arbitrary generates. */
type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never

const pad = (n: number, width = 2) => String(n).padStart(width, '0')
/** Any Unicode text without CR or LF, which no listing line can carry. */
const lineText = (minLength = 1) => fc.string({ unit: 'binary', minLength }).filter((s) => !/[\r\n]/.test(s))
const size = fc.oneof(fc.maxSafeNat(), fc.constant(2 ** 53))
const date = (min: string, max: string) =>
  fc.date({ min: new Date(min), max: new Date(max), noInvalidDate: true })
/** Random upper/lower case, so case-insensitive matching is exercised. */
const randomCase = (text: string, flips: boolean[]) =>
  [...text].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c.toLowerCase())).join('')

describe('MLSD lines round-trip', () => {
  const entry = fc.record({
    name: lineText(),
    type: fc.constantFrom('file', 'dir', 'symlink'),
    size,
    modified: date('0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'),
    // Facts hold no spaces or semicolons, so neither can a slink target.
    target: fc.string({ unit: 'binary', minLength: 1 }).filter((s) => !/[\r\n ;]/.test(s)),
    flips: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
    order: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  })

  function render(e: ValueOf<typeof entry>): string {
    const m = e.modified
    const ms = m.getUTCMilliseconds()
    const time =
      pad(m.getUTCFullYear(), 4) +
      pad(m.getUTCMonth() + 1) +
      pad(m.getUTCDate()) +
      pad(m.getUTCHours()) +
      pad(m.getUTCMinutes()) +
      pad(m.getUTCSeconds()) +
      (ms === 0 ? '' : `.${pad(ms, 3)}`)
    const type = e.type === 'symlink' ? `OS.unix=slink:${e.target}` : randomCase(e.type, e.flips)
    const facts = [
      `${randomCase('type', e.flips)}=${type}`,
      `${randomCase(e.type === 'dir' ? 'sizd' : 'size', e.flips)}=${e.size}`,
      `${randomCase('modify', e.flips)}=${time}`,
      'perm=r',
    ]
    const sorted = facts.map((f, i) => [e.order[i]!, f] as const).sort((a, b) => a[0] - b[0])
    return `${sorted.map(([, f]) => `${f};`).join('')} ${e.name}`
  }

  it('parseMlsxLine gives back name, type, size, modified and target', () => {
    fc.assert(
      fc.property(entry, (e) => {
        const expected: FileInfo = {
          name: e.name,
          type: e.type,
          size: e.size,
          modified: e.modified,
          permissions: 'r',
        }
        if (e.type === 'symlink') expected.target = e.target
        expect(parseMlsxLine(render(e))).toStrictEqual(expected)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('Unix LIST lines round-trip', () => {
  const entry = fc
    .record({
      name: lineText(),
      type: fc.constantFrom('file', 'dir', 'symlink'),
      target: lineText(),
      size,
      now: date('1971-01-01T00:00:00Z', '2099-12-31T23:59:59Z'),
      // Most entries fall in the last 180 days (shown with a time, year inferred), others anywhere.
      age: fc.oneof(fc.integer({ min: -12 * 60, max: 180 * 24 * 60 }), fc.integer({ min: -1e8, max: 1e8 })),
      offset: fc.integer({ min: -12 * 60, max: 14 * 60 }),
      owner: fc.constantFrom('ftp', 'root', '0', '1001', 'www-data'),
      group: fc.option(fc.constantFrom('ftp', '1001', 'Domain Users', 'Jan'), { nil: undefined }),
      perms: fc.constantFrom('rw-r--r--', 'rwxr-xr-x', 'rwxrwxrwx', 'rwsr-x--T'),
      marker: fc.constantFrom('', '+', '.', '@'),
      gap: fc.integer({ min: 1, max: 4 }),
    })
    // A symlink's name cannot contain the " -> " that separates it from the target.
    .filter((e) => e.type !== 'symlink' || !e.name.includes(' -> '))

  /** Renders like vsftpd: `Mon DD HH:MM` for the last six months, else `Mon DD  YYYY`. */
  function render(e: ValueOf<typeof entry>): { line: string; modified: Date } {
    const modified = new Date(e.now.getTime() - e.age * MINUTE)
    const local = new Date(modified.getTime() + e.offset * MINUTE)
    const recent = e.age >= -12 * 60 && e.age <= 180 * 24 * 60
    const year = local.getUTCFullYear()
    const when = recent ? `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}` : ` ${year}`
    const expected = recent
      ? Math.floor(modified.getTime() / MINUTE) * MINUTE
      : Date.UTC(year, local.getUTCMonth(), local.getUTCDate()) - e.offset * MINUTE
    const sp = ' '.repeat(e.gap)
    const owners = e.group === undefined ? e.owner : `${e.owner}${sp}${e.group}`
    const name = e.type === 'symlink' ? `${e.name} -> ${e.target}` : e.name
    const day = String(local.getUTCDate()).padStart(2, e.gap > 2 ? '0' : ' ')
    const month = MONTHS[local.getUTCMonth()]
    const mode = `${TYPE_CHAR[e.type]}${e.perms}${e.marker}`
    const line = `${mode}${sp}1 ${owners}${sp}${e.size} ${month} ${day} ${when} ${name}`
    return { line, modified: new Date(expected) }
  }

  it('parseUnixLine gives back name, type, size, modified and target', () => {
    fc.assert(
      fc.property(entry, (e) => {
        const { line, modified } = render(e)
        const permissions = `${TYPE_CHAR[e.type]}${e.perms}`
        const expected: FileInfo = { name: e.name, type: e.type, size: e.size, modified, permissions }
        if (e.type === 'symlink') expected.target = e.target
        expect(parseUnixLine(line, { now: e.now, timeZoneOffsetMinutes: e.offset })).toStrictEqual(expected)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('DOS LIST lines round-trip', () => {
  const entry = fc.record({
    // IIS pads before the name, so a leading blank cannot survive; everything else can.
    name: lineText().filter((s) => !/^\s/.test(s)),
    dir: fc.boolean(),
    size,
    modified: date('1970-01-01T00:00:00Z', '2069-12-31T23:59:00Z'),
    fourDigits: fc.boolean(),
    twelveHour: fc.boolean(),
  })

  it('parseDosLine gives back name, type, size and modified (to the minute)', () => {
    fc.assert(
      fc.property(entry, (e) => {
        const m = e.modified
        const year = e.fourDigits ? String(m.getUTCFullYear()) : pad(m.getUTCFullYear() % 100)
        const h = m.getUTCHours()
        const time = e.twelveHour
          ? `${pad(h % 12 === 0 ? 12 : h % 12)}:${pad(m.getUTCMinutes())}${h < 12 ? 'AM' : 'PM'}`
          : `${pad(h)}:${pad(m.getUTCMinutes())}`
        const day = `${pad(m.getUTCMonth() + 1)}-${pad(m.getUTCDate())}-${year}`
        const line = `${day}  ${time}  ${e.dir ? '<DIR>' : String(e.size)}  ${e.name}`
        const modified = new Date(Math.floor(m.getTime() / MINUTE) * MINUTE)
        const expected: FileInfo = e.dir
          ? { name: e.name, type: 'dir', modified }
          : { name: e.name, type: 'file', size: e.size, modified }
        expect(parseDosLine(line)).toStrictEqual(expected)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('robustness', () => {
  /** Fragments of real listings, so random text often gets deep into the parsers. */
  const fragment = fc.constantFrom(
    'drwxr-xr-x',
    '-rw-r--r--+',
    'lrwxrwxrwx',
    ' ',
    '  ',
    '1',
    '0',
    '99999999999999999999',
    'Jan',
    'Feb',
    'mär',
    '29',
    '12:34',
    '2024',
    '->',
    ' -> ',
    '\r\n',
    '\n',
    '\r',
    'total',
    '.',
    '..',
    'type=',
    'file',
    'cdir',
    ';',
    'size=',
    'modify=',
    '20240229000000',
    '=',
    '<DIR>',
    '01-05-23',
    '12:00PM',
    'OS.unix=slink:',
    '\u2028',
    'ü',
  )
  const junk = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.array(fragment).map((parts) => parts.join('')),
  )
  const anyOptions = fc.record({
    now: fc.date(),
    timeZoneOffsetMinutes: fc.oneof(fc.integer({ min: -2000, max: 2000 }), fc.double()),
  })

  it('parseListing never throws and returns only named entries', () => {
    fc.assert(
      fc.property(
        junk,
        fc.constantFrom('mlsd' as const, 'list' as const),
        anyOptions,
        (text, kind, options) => {
          for (const entry of parseListing(text, kind, options)) {
            expect(entry.name).not.toBe('')
            expect(['.', '..']).not.toContain(entry.name)
            expect(['file', 'dir', 'symlink', 'unknown']).toContain(entry.type)
            if (entry.modified !== undefined) expect(Number.isNaN(entry.modified.getTime())).toBe(false)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('LineSplitter gives the same lines for any chunking', () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', ' ', '\r', '\n') }),
      fc.string({ unit: 'binary' }),
    )
    fc.assert(
      fc.property(text, fc.array(fc.nat()), (whole, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b)
        const splitter = new LineSplitter()
        const lines: string[] = []
        let from = 0
        for (const to of [...points, whole.length]) {
          lines.push(...splitter.push(whole.slice(from, to)))
          from = to
        }
        lines.push(...splitter.end())
        // Reference: every LF-terminated piece and a non-empty tail, each minus one CR before its end.
        const reference = (whole.match(/[^\n]*\n|[^\n]+$/g) ?? [])
          .map((l) => l.replace(/\n$/, '').replace(/\r$/, ''))
          .filter((l, i, all) => i < all.length - 1 || whole.endsWith('\n') || l !== '')
        expect(lines).toStrictEqual(splitLines(whole))
        expect(lines).toStrictEqual(reference)
      }),
      { numRuns: 1000 },
    )
  })
})
