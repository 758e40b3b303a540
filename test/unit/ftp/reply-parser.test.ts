import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isFtpError } from '../../../src/ftp/errors.js'
import { ReplyParser } from '../../../src/ftp/reply-parser.js'

function parseAll(chunks: string[], max?: number) {
  const p = new ReplyParser(max)
  return chunks.flatMap((c) => p.push(c))
}

describe('ReplyParser', () => {
  it('parses a single-line reply', () => {
    expect(parseAll(['220 Welcome\r\n'])).toEqual([{ code: 220, text: 'Welcome', lines: ['220 Welcome'] }])
  })

  it('joins a multi-line reply and keeps inner lines that start with digits', () => {
    const text = '211-Features:\r\n EPSV\r\n234 not the end\r\n211-still not\r\n211 End\r\n'
    const [reply] = parseAll([text])
    expect(reply?.code).toBe(211)
    expect(reply?.lines).toHaveLength(5)
    expect(reply?.text).toBe('Features:\n EPSV\n234 not the end\nstill not\nEnd')
  })

  it('returns 150 and 226 from one segment in order', () => {
    const replies = parseAll(['150 Opening\r\n226 Done\r\n'])
    expect(replies.map((r) => r.code)).toEqual([150, 226])
  })

  it('accepts bare LF line ends and a code without text', () => {
    expect(parseAll(['200\n']).map((r) => [r.code, r.text])).toEqual([[200, '']])
  })

  it('rejects text that is not a reply', () => {
    expect(() => parseAll(['HTTP/1.1 400 Bad\r\n'])).toThrowError(/Unexpected text/)
  })

  it('caps a reply that never ends', () => {
    const p = new ReplyParser(1024)
    p.push('220-start\r\n')
    let error: unknown
    try {
      for (let i = 0; i < 100; i++) p.push('220-more text that keeps coming\r\n')
    } catch (err) {
      error = err
    }
    expect(isFtpError(error, 'protocol')).toBe(true)
  })

  it('caps a line that never ends', () => {
    const p = new ReplyParser(1024)
    expect(() => p.push('2'.repeat(2000))).toThrowError(/exceeds/)
  })

  it('gives the same replies for any chunking (property)', () => {
    const line = fc.stringMatching(/^[ -~]{0,40}$/)
    const reply = fc.record({
      code: fc.integer({ min: 100, max: 599 }),
      body: fc.array(line, { maxLength: 4 }),
      last: line,
    })
    fc.assert(
      fc.property(
        fc.array(reply, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (replies, cuts) => {
          const text = replies
            .map(({ code, body, last }) =>
              body.length === 0
                ? `${code} ${last}\r\n`
                : `${code}-${body[0]}\r\n${body
                    .slice(1)
                    .map((b) => ` ${b}\r\n`)
                    .join('')}${code} ${last}\r\n`,
            )
            .join('')
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
          const chunks: string[] = []
          let prev = 0
          for (const p of points) {
            chunks.push(text.slice(prev, p))
            prev = p
          }
          chunks.push(text.slice(prev))
          const whole = parseAll([text])
          expect(parseAll(chunks)).toEqual(whole)
          expect(whole.map((r) => r.code)).toEqual(replies.map((r) => r.code))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('never throws anything but an FtpError on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 8 }), (chunks) => {
        const p = new ReplyParser(4096)
        try {
          for (const c of chunks) p.push(c)
        } catch (err) {
          expect(isFtpError(err)).toBe(true)
        }
      }),
      { numRuns: 1000 },
    )
  })
})
