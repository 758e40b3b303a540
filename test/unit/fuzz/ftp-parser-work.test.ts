/**
 * The parsers of what an FTP server sends do work linear in what it sent, however it is chunked
 * (issue 15: "parsed in quadratic time"). A hostile server controls the chunking: a long line in
 * many small chunks made the listing splitter re-split everything pending on every chunk (a
 * 1.6 MB line in 100-byte chunks: ~26 s) and the reply parser search its whole buffer again (a
 * 64 KiB reply line byte by byte: ~2 billion character reads). Their operation counters
 * (characters scanned or joined) must stay under K × length + C. Counts only: no clock is read.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LineSplitter } from '../../../src/ftp/listing/line-splitter.js'
import { ReplyParser } from '../../../src/ftp/reply-parser.js'
import { check } from './runs.js'

const K = 3
const C = 16

/** Cuts `text` into chunks of the given sizes (cycled), the way a socket might deliver it. */
function chunks(text: string, sizes: number[]): string[] {
  const out: string[] = []
  let at = 0
  for (let k = 0; at < text.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length] ?? 1)
    out.push(text.slice(at, at + n))
    at += n
  }
  return out
}

/** Text made of lines of these lengths, LF or CRLF terminated, the last one maybe unterminated. */
const linesText = fc
  .record({
    lengths: fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 8 }),
    crlf: fc.boolean(),
    open: fc.boolean(),
  })
  .map(({ lengths, crlf, open }) => {
    const eol = crlf ? '\r\n' : '\n'
    const body = lengths.map((n, i) => 'x'.repeat(n) + (open && i === lengths.length - 1 ? '' : eol))
    return body.join('')
  })
const chunkSizes = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 })

describe('listing line splitter work is linear', () => {
  it(`any lines in any chunking: ops <= ${K} x length + ${C}, lines unchanged`, () =>
    check(
      fc.property(linesText, chunkSizes, (text, sizes) => {
        const stats = { ops: 0 }
        const splitter = new LineSplitter(stats)
        const lines = chunks(text, sizes).flatMap((c) => splitter.push(c))
        lines.push(...splitter.end())
        expect(lines.join('\n')).toBe(text.replace(/\r?\n/g, '\n').replace(/\n$/, ''))
        expect(stats.ops).toBeLessThanOrEqual(K * text.length + C)
      }),
      100,
    ))

  it('a 1.6 MB line in 100-byte chunks', () => {
    const stats = { ops: 0 }
    const splitter = new LineSplitter(stats)
    const line = 'y'.repeat(1_600_000)
    for (const c of chunks(`${line}\r\n`, [100])) splitter.push(c)
    expect(splitter.end()).toEqual([])
    expect(stats.ops).toBeLessThanOrEqual(K * line.length + C)
  })
})

describe('FTP reply parser work is linear', () => {
  it(`a multi-line reply in any chunking: ops <= ${K} x length + ${C}`, () =>
    check(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 20 }),
        chunkSizes,
        (lengths, sizes) => {
          const text = `211-${lengths.map((n) => ` ${'z'.repeat(n)}\r\n`).join('')}211 End\r\n`
          const stats = { ops: 0 }
          const parser = new ReplyParser(1024 * 1024, stats)
          const replies = chunks(text, sizes).flatMap((c) => parser.push(c))
          expect(replies.map((r) => r.code)).toEqual([211])
          expect(stats.ops).toBeLessThanOrEqual(K * text.length + C)
        },
      ),
      100,
    ))

  it('a 60 KiB reply line sent one byte at a time', () => {
    const stats = { ops: 0 }
    const parser = new ReplyParser(64 * 1024, stats)
    const text = `220 ${'w'.repeat(60 * 1024)}\r\n`
    const replies = chunks(text, [1]).flatMap((c) => parser.push(c))
    expect(replies).toHaveLength(1)
    expect(stats.ops).toBeLessThanOrEqual(K * text.length + C)
  })
})
