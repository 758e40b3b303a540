/**
 * LineDecoder: chunks of a byte stream in, text out a line at a time. Any chunking gives the text
 * of the whole, so a character (or an undecodable byte) cut by a chunk boundary is decoded once,
 * from all its bytes; chunks handed in may be reused by the caller as soon as write() returns.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isFtpError } from '../../../../src/ftp/errors.js'
import { LineDecoder, nameCodec } from '../../../../src/ftp/names/index.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000)

function feed(decoder: LineDecoder, b: Buffer, cuts: number[]): string {
  let out = ''
  let at = 0
  for (const n of cuts) {
    if (at >= b.length) break
    const chunk = Buffer.from(b.subarray(at, at + n))
    out += decoder.write(chunk)
    // The caller reuses its buffer at once (read-buffer lending): the decoder must have copied.
    chunk.fill(0x58)
    at += n
  }
  if (at < b.length) out += decoder.write(Buffer.from(b.subarray(at)))
  return out + decoder.end()
}

describe.each(['utf8', 'shift_jis', 'latin1'])('LineDecoder (%s)', (encoding) => {
  const codec = nameCodec(encoding)
  const lines = fc
    .array(
      fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a.filter((x) => x !== 0x0a))),
      { maxLength: 8 },
    )
    .map((ls) => Buffer.concat(ls.flatMap((l) => [l, Buffer.from('\r\n')])))

  it('gives the same text for any chunking as decoding each line alone', () => {
    fc.assert(
      fc.property(lines, fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 30 }), (b, cuts) => {
        const whole = codec.decode(b)
        expect(feed(new LineDecoder(codec), b, cuts)).toBe(whole)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('LineDecoder', () => {
  it('decodes a character split across chunks from all its bytes', () => {
    const d = new LineDecoder(nameCodec('utf8'))
    const e = Buffer.from('é\n')
    expect(d.write(e.subarray(0, 1))).toBe('')
    expect(d.write(e.subarray(1))).toBe('é\n')
  })

  it('refuses an unterminated line over the cap', () => {
    const d = new LineDecoder(nameCodec('utf8'), 10)
    d.write(Buffer.from('12345'))
    let err: unknown
    try {
      d.write(Buffer.from('678901'))
    } catch (e) {
      err = e
    }
    expect(isFtpError(err, 'protocol')).toBe(true)
  })

  it('returns the unterminated rest at the end', () => {
    const d = new LineDecoder(nameCodec('latin1'))
    expect(d.write(Buffer.from([0x61, 0x0a, 0xe9]))).toBe('a\n')
    expect(d.end()).toBe('é')
    expect(d.end()).toBe('')
  })
})
