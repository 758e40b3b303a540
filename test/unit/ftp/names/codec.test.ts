/**
 * The name codecs (src/ftp/names): every byte string round-trips through decode and encode in
 * every encoding, valid text decodes to itself, an undecodable byte becomes its escape (U+EF00 +
 * byte), and text that is not the image of any byte string is refused rather than guessed at.
 */
import fc from 'fast-check'
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { isFtpError } from '../../../../src/ftp/errors.js'
import { escapedByteLength, nameCodec } from '../../../../src/ftp/names/index.js'

const ENCODINGS = ['utf8', 'latin1', 'windows-1252', 'shift_jis', 'gbk', 'big5', 'euc-jp', 'euc-kr', 'cp437']
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000)

/** Byte strings biased towards the interesting ranges: ASCII, continuation and lead bytes, the reserved range's UTF-8. */
const bytes = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.constantFrom(0x80, 0xbe, 0xbf, 0xc3, 0xe9, 0xee, 0xef, 0xf4, 0xff, 0x81, 0x93),
      fc.constant(0x0a),
    ),
    { maxLength: 40 },
  )
  .map((a) => Buffer.from(a))

/** Strings with any code point, escapes and surrogates included. */
const anyString = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '\uEF80',
      '\uEFC3',
      '\uEFA9',
      '\uEFE9',
      '\uEFFF',
      '\uEFEE',
      '\uEFBE',
      'é',
      '日',
      '€',
      'a',
      '/',
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 20,
})

describe.each(ENCODINGS)('%s codec', (encoding) => {
  const codec = nameCodec(encoding)

  it('decode then encode gives back every byte string', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const text = codec.decode(b)
        expect(codec.encode(text).equals(b)).toBe(true)
      }),
      { numRuns: RUNS },
    )
  })

  it('never turns a byte into U+FFFD', () => {
    const replacement = iconv.encode('\uFFFD', encoding)
    fc.assert(
      fc.property(bytes, (b) => {
        // Only a real U+FFFD (where the encoding has one) may decode to one.
        if (replacement.length > 1 && b.includes(replacement)) return
        expect(codec.decode(b)).not.toContain('\uFFFD')
      }),
      { numRuns: RUNS },
    )
  })

  it('encodes any string to bytes that decode back to it, or refuses it as a bad name', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        let out: Buffer
        try {
          out = codec.encode(s)
        } catch (err) {
          expect(isFtpError(err, 'bad-name')).toBe(true)
          return
        }
        expect(codec.decode(out)).toBe(s)
      }),
      { numRuns: RUNS },
    )
  })

  it('decodes text of its own repertoire to itself', () => {
    const sample =
      encoding === 'utf8'
        ? 'Grüße 日本 😀.txt'
        : iconv.decode(iconv.encode('Grüße 日本 €.txt', encoding), encoding)
    const b = iconv.encode(sample, encoding)
    expect(codec.decode(b)).toBe(sample)
    expect(codec.encode(sample).equals(b)).toBe(true)
  })
})

describe('utf8 codec', () => {
  const utf8 = nameCodec('utf8')

  it('decodes valid UTF-8 without the reserved range to itself, and encodes it as Buffer.from', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !/[\uEF80-\uEFFF]/.test(s))
    fc.assert(
      fc.property(text, (s) => {
        const b = Buffer.from(s, 'utf8')
        expect(utf8.decode(b)).toBe(s)
        expect(utf8.encode(s).equals(b)).toBe(true)
      }),
      { numRuns: RUNS },
    )
  })

  it('escapes latin1 and windows-1252 bytes: U+EF00 + byte', () => {
    expect(utf8.decode(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74]))).toBe('caf\uEFE9.t')
    expect(utf8.decode(Buffer.from([0x93, 0x71, 0x94, 0x80]))).toBe('\uEF93q\uEF94\uEF80')
    expect(utf8.encode('caf\uEFE9.t')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74]))
  })

  it('escapes a real reserved code point byte by byte, so it round-trips', () => {
    const real = Buffer.from('\uEF80', 'utf8')
    expect([...real]).toEqual([0xee, 0xbe, 0x80])
    expect(utf8.decode(real)).toBe('\uEFEE\uEFBE\uEF80')
    expect(utf8.encode('\uEFEE\uEFBE\uEF80')).toEqual(real)
  })

  it('escapes overlong forms, surrogates and truncated sequences', () => {
    expect(utf8.decode(Buffer.from([0xc0, 0xaf]))).toBe('\uEFC0\uEFAF')
    expect(utf8.decode(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\uEFED\uEFA0\uEF80')
    expect(utf8.decode(Buffer.from([0x41, 0xe2, 0x82]))).toBe('A\uEFE2\uEF82')
    expect(utf8.decode(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe('\uEFF4\uEF90\uEF80\uEF80')
  })

  it('refuses escapes that stand for bytes decoding to something else', () => {
    // C3 A9 is "é": the escapes of those bytes are not a second name for it.
    expect(() => utf8.encode('\uEFC3\uEFA9')).toThrowError(/escape/)
    // EE BE 80 is the real U+EF80, escaped byte by byte: the bare escape U+EF80 is the byte 80 alone.
    expect(utf8.encode('\uEF80')).toEqual(Buffer.from([0x80]))
  })

  it('keeps lines apart: a bad line does not change how the others decode', () => {
    const text = Buffer.concat([
      Buffer.from('ok é\r\n'),
      Buffer.from([0xe9, 0x0d, 0x0a]),
      Buffer.from('日本\r\n'),
    ])
    expect(utf8.decode(text)).toBe('ok é\r\n\uEFE9\r\n日本\r\n')
  })
})

describe('legacy codecs', () => {
  it('read latin1, windows-1252 and shift_jis names as text', () => {
    expect(nameCodec('latin1').decode(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe('café')
    expect(nameCodec('windows-1252').decode(Buffer.from([0x93, 0x71, 0x94, 0x80]))).toBe('“q”€')
    expect(nameCodec('shift_jis').decode(Buffer.from([0x93, 0xfa, 0x96, 0x7b]))).toBe('日本')
  })

  it('escape the bytes their table lacks', () => {
    // 0x81 has no character in windows-1252; a lone shift_jis lead byte is not a character.
    expect(nameCodec('windows-1252').decode(Buffer.from([0x41, 0x81, 0x42]))).toBe('A\uEF81B')
    expect(nameCodec('shift_jis').decode(Buffer.from([0x93, 0xfa, 0x81, 0x20]))).toBe('日\uEF81 ')
  })

  it('refuse a character the encoding cannot hold instead of writing "?"', () => {
    expect(() => nameCodec('latin1').encode('日本')).toThrowError(/cannot be written in latin1/)
    expect(() => nameCodec('windows-1252').encode('日本')).toThrowError(/cannot be written/)
    expect(() => nameCodec('shift_jis').encode('€')).toThrowError(/cannot be written/)
    expect(() => nameCodec('latin1').encode('caf\uEFE9')).toThrowError(/cannot be written/)
  })

  it('accept any spelling of a name iconv-lite knows, and refuse encodings that cannot carry FTP commands', () => {
    expect(nameCodec('UTF-8').utf8).toBe(true)
    expect(nameCodec('ISO-8859-1').decode(Buffer.from([0xe9]))).toBe('é')
    for (const bad of ['utf16le', 'utf-16', 'utf7', 'base64', 'no-such-encoding']) {
      let err: unknown
      try {
        nameCodec(bad)
      } catch (e) {
        err = e
      }
      expect(isFtpError(err, 'bad-name'), bad).toBe(true)
    }
  })
})

describe('escapedByteLength', () => {
  it('counts an escape as the one byte it stands for', () => {
    expect(escapedByteLength('caf\uEFE9')).toBe(4)
    expect(escapedByteLength('café')).toBe(5)
    expect(escapedByteLength('x'.repeat(10))).toBe(10)
  })
})
