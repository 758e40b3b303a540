/**
 * Fuzzing the parsers that read what an FTP server sends: the reply parser and the listing
 * parsers. A hostile or broken server controls every byte here, so the properties are about
 * safety rather than meaning: only the documented error type ever escapes, chunking never changes
 * the result, and no listing entry can carry a name that would turn into a path outside its
 * directory (a '/', '..', a control character) once the file service joins it to its parent.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FtpError } from '../../../src/ftp/errors.js'
import { LineSplitter, parseListing } from '../../../src/ftp/listing/index.js'
import { parseListingLine } from '../../../src/ftp/listing/line.js'
import { type FtpReply, ReplyParser } from '../../../src/ftp/reply-parser.js'
import { anyText, check } from './runs.js'

/** Feeds `text` in the given chunk sizes; returns the replies or the error thrown. */
function feed(text: string, cuts: number[], max?: number): { replies: FtpReply[]; error?: unknown } {
  const parser = new ReplyParser(max)
  const replies: FtpReply[] = []
  let at = 0
  try {
    for (const n of [...cuts, text.length]) {
      replies.push(...parser.push(text.slice(at, at + n)))
      at += n
      if (at >= text.length) break
    }
  } catch (error) {
    return { replies, error }
  }
  return { replies }
}

const code = fc.integer({ min: 100, max: 599 })
/** Reply text without line breaks. */
const lineText = fc.string({ maxLength: 60 }).filter((s) => !/[\r\n]/.test(s))
/** A well-formed reply: single-line, or multi-line whose inner lines never end it early. */
const wellFormed = fc.oneof(
  fc.record({ code, lines: fc.array(lineText, { minLength: 1, maxLength: 1 }) }),
  fc.record({ code, lines: fc.array(lineText, { minLength: 2, maxLength: 6 }) }),
)
const render = (r: { code: number; lines: string[] }, eol: string) =>
  r.lines.length === 1
    ? `${r.code} ${r.lines[0]}${eol}`
    : [
        `${r.code}-${r.lines[0]}`,
        // Inner lines start with a space (RFC 959 advice) so none looks like the closing line.
        ...r.lines.slice(1, -1).map((l) => ` ${l}`),
        `${r.code} ${r.lines.at(-1)}`,
      ].join(eol) + eol

describe('reply parser', () => {
  it('throws nothing but FtpError(protocol) on arbitrary input, in any chunking', () =>
    check(
      fc.property(anyText(400), fc.array(fc.nat({ max: 50 }), { maxLength: 20 }), (text, cuts) => {
        const { replies, error } = feed(text, cuts)
        if (error !== undefined) {
          expect(error).toBeInstanceOf(FtpError)
          expect((error as FtpError).kind).toBe('protocol')
        }
        for (const r of replies) {
          expect(r.code).toBeGreaterThanOrEqual(0)
          expect(r.code).toBeLessThanOrEqual(999)
          expect(r.lines.length).toBeGreaterThan(0)
        }
      }),
    ))

  it('parses well-formed replies the same whatever the chunking and line ending', () =>
    check(
      fc.property(
        fc.array(wellFormed, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('\r\n', '\n'),
        fc.array(fc.nat({ max: 30 }), { maxLength: 30 }),
        (replies, eol, cuts) => {
          const text = replies.map((r) => render(r, eol)).join('')
          const whole = feed(text, [])
          const chunked = feed(text, cuts)
          expect(whole.error).toBeUndefined()
          expect(chunked.error).toBeUndefined()
          expect(chunked.replies).toEqual(whole.replies)
          expect(whole.replies.map((r) => r.code)).toEqual(replies.map((r) => r.code))
          expect(whole.replies.map((r) => r.lines.length)).toEqual(replies.map((r) => r.lines.length))
        },
      ),
    ))

  it('never buffers past its cap: an endless multi-line reply fails with protocol', () =>
    check(
      fc.property(code, fc.integer({ min: 64, max: 4096 }), lineText, (c, max, filler) => {
        const parser = new ReplyParser(max)
        let thrown: unknown
        try {
          // Far more than the cap, fed line by line as a server would.
          parser.push(`${c}-start\r\n`)
          for (let i = 0; i < max; i++) parser.push(` ${filler}x\r\n`)
        } catch (err) {
          thrown = err
        }
        expect(thrown).toBeInstanceOf(FtpError)
      }),
      500,
    ))
})

/** A name joined to a parent must stay one segment below it. */
function safeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\u0000-\u001f\u007f]/.test(name)
}

const hostileName = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '../x',
    '../../etc/passwd',
    'a/../../b',
    '/abs',
    'x\0y',
    'x\ry',
    'a\\..\\b',
    '..\\..\\x',
  ),
  fc.string({
    unit: fc.constantFrom('.', '/', '\\', 'a', ' ', '\0', '\r', '\t'),
    minLength: 1,
    maxLength: 12,
  }),
)
/** Listing lines in all three formats, carrying hostile names. */
const hostileLine = hostileName.chain((name) =>
  fc.constantFrom(
    `type=file;size=1;modify=20200101000000; ${name}`,
    `type=dir; ${name}`,
    `-rw-r--r--    1 1000     1000            5 Jan 01  2020 ${name}`,
    `drwxr-xr-x    2 0        0            4096 Mar 14 12:00 ${name}`,
    `lrwxrwxrwx    1 0        0               3 Jan 01  2020 ${name} -> ${name}`,
    `01-01-20  10:00AM                  123 ${name}`,
    `01-01-20  10:00AM       <DIR>          ${name}`,
  ),
)

describe('listing parsers', () => {
  it('never throw, and every entry has a safe name, a sane size and a real date', () =>
    check(
      fc.property(
        fc.array(fc.oneof(anyText(120), hostileLine), { maxLength: 20 }),
        fc.constantFrom('mlsd', 'list') as fc.Arbitrary<'mlsd' | 'list'>,
        (lines, kind) => {
          const entries = lines
            .map((l) => parseListingLine(l, kind, { timeZoneOffsetMinutes: 0 }))
            .filter((e) => e !== undefined)
          for (const e of entries) {
            expect(safeName(e.name), JSON.stringify(e.name)).toBe(true)
            if (e.size !== undefined) {
              expect(Number.isSafeInteger(e.size) || e.size === 2 ** 53).toBe(true)
              expect(e.size).toBeGreaterThanOrEqual(0)
            }
            if (e.modified !== undefined) expect(Number.isNaN(e.modified.getTime())).toBe(false)
          }
          // The whole-text parser must not throw either (it feeds the same line parsers).
          expect(() => parseListing(lines.join('\r\n'), kind)).not.toThrow()
        },
      ),
    ))

  it('hostile names in listings are dropped, never returned for the file service to join', () =>
    check(
      fc.property(hostileLine, (line) => {
        for (const kind of ['mlsd', 'list'] as const) {
          const e = parseListingLine(line, kind, { timeZoneOffsetMinutes: 0 })
          if (e) expect(safeName(e.name), JSON.stringify(e.name)).toBe(true)
        }
      }),
    ))

  it('the line splitter yields the same lines for any chunking', () =>
    check(
      fc.property(anyText(300), fc.array(fc.nat({ max: 40 }), { maxLength: 20 }), (text, cuts) => {
        const whole = new LineSplitter()
        const expected = [...whole.push(text), ...whole.end()]
        const split = new LineSplitter()
        const got: string[] = []
        let at = 0
        for (const n of cuts) {
          got.push(...split.push(text.slice(at, at + n)))
          at += n
        }
        got.push(...split.push(text.slice(at)), ...split.end())
        expect(got).toEqual(expected)
      }),
    ))
})
