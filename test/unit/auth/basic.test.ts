import { describe, expect, it } from 'vitest'
import { bearerToken, checkCredentials, parseAuthorization, parseBasic } from '../../../src/auth/basic.js'
import { AuthError } from '../../../src/auth/errors.js'

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64')

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return err instanceof AuthError ? err.code : `not an AuthError: ${String(err)}`
  }
  return undefined
}

describe('parseAuthorization: Basic', () => {
  it.each([
    ['plain', 'alice:secret', 'alice', 'secret'],
    ['password with colons', 'alice:a:b::c:', 'alice', 'a:b::c:'],
    ['empty password', 'alice:', 'alice', ''],
    ['unicode', 'jürgen:пароль✓', 'jürgen', 'пароль✓'],
    ['emoji (4-byte UTF-8)', 'bob:🔑🔑', 'bob', '🔑🔑'],
    ['spaces and tabs kept', ' a b :\tpw ', ' a b ', '\tpw '],
  ])('%s', (_name, raw, user, password) => {
    expect(parseAuthorization(`Basic ${b64(raw)}`)).toEqual({ scheme: 'basic', user, password })
  })

  it('decodes "+" and "/" of the base64 alphabet', () => {
    // Bytes chosen so the encoding contains both '+' and '/'.
    const raw = 'u:??~>'
    const encoded = b64(raw)
    expect(encoded).toMatch(/\+/)
    expect(encoded).toMatch(/\//)
    expect(parseBasic(encoded)).toEqual({ user: 'u', password: '??~>' })
  })

  it('accepts every padding length and unpadded base64', () => {
    for (const raw of ['a:b', 'ab:c', 'ab:cd']) {
      const encoded = b64(raw)
      expect(parseBasic(encoded)).toEqual({ user: raw.split(':')[0], password: raw.split(':')[1] })
      expect(parseBasic(encoded.replace(/=+$/, ''))).toEqual(parseBasic(encoded))
    }
  })

  it('treats the scheme case-insensitively and tolerates extra spaces', () => {
    for (const scheme of ['basic', 'BASIC', 'bAsIc']) {
      expect(parseAuthorization(`${scheme}   ${b64('x:y')}  `)).toMatchObject({ user: 'x', password: 'y' })
    }
  })

  it('accepts the byte limits exactly', () => {
    const user = 'u'.repeat(256)
    const password = 'p'.repeat(1024)
    expect(parseBasic(b64(`${user}:${password}`))).toEqual({ user, password })
  })

  it.each([
    ['no credentials', 'Basic'],
    ['only spaces after the scheme', 'Basic    '],
    ['invalid base64 characters', 'Basic YWxpY2U6c2VjcmV0!'],
    ['base64url alphabet', `Basic ${b64('u:??~>').replace(/\+/g, '-').replace(/\//g, '_')}`],
    ['impossible length', 'Basic YWxpY'],
    ['padding in the middle', 'Basic YQ==YQ=='],
    ['too much padding', 'Basic YWI6Yw==='],
    ['wrong padding length', 'Basic YWI6Y2Q='.replace('=', '==')],
    ['no colon', `Basic ${b64('alicesecret')}`],
    ['empty user', `Basic ${b64(':secret')}`],
    ['empty credentials', `Basic ${b64(':')}`],
    ['CR in user', `Basic ${b64('al\rice:pw')}`],
    ['LF in user', `Basic ${b64('al\nice:pw')}`],
    ['NUL in user', `Basic ${b64('al\0ice:pw')}`],
    ['CR in password', `Basic ${b64('alice:p\rw')}`],
    ['LF in password', `Basic ${b64('alice:pw\n')}`],
    ['CRLF command injection', `Basic ${b64('alice:pw\r\nDELE x')}`],
    ['NUL in password', `Basic ${b64('alice:p\0w')}`],
    ['invalid UTF-8', `Basic ${b64(Buffer.from([0x61, 0x3a, 0xff, 0xfe]))}`],
    ['user over 256 bytes', `Basic ${b64(`${'u'.repeat(257)}:pw`)}`],
    ['user over 256 bytes in multibyte characters', `Basic ${b64(`${'ü'.repeat(129)}:pw`)}`],
    ['password over 1024 bytes', `Basic ${b64(`u:${'p'.repeat(1025)}`)}`],
    ['huge header', `Basic ${'A'.repeat(10_000)}`],
    ['unknown scheme', 'Digest username="alice"'],
    ['scheme only', 'Bearer'],
    ['malformed bearer token', 'Bearer abc def'],
    ['bearer token with bad characters', 'Bearer ab"c'],
  ])('refuses %s with AUTH_ERR_BAD_HEADER', (_name, header) => {
    expect(codeOf(() => parseAuthorization(header))).toBe('AUTH_ERR_BAD_HEADER')
  })

  it('never echoes the credentials in the error message', () => {
    try {
      parseAuthorization(`Basic ${b64('alice:hunter2\r\n')}`)
      expect.unreachable()
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2')
    }
  })
})

describe('parseAuthorization: Bearer', () => {
  it('returns the token', () => {
    expect(parseAuthorization('Bearer abc-_.~+/==')).toEqual({ scheme: 'bearer', token: 'abc-_.~+/==' })
    expect(parseAuthorization('bearer tok')).toEqual({ scheme: 'bearer', token: 'tok' })
  })

  it('bearerToken wants a bearer header', () => {
    expect(bearerToken('Bearer tok')).toBe('tok')
    expect(codeOf(() => bearerToken(undefined))).toBe('AUTH_ERR_MISSING')
    expect(codeOf(() => bearerToken('  '))).toBe('AUTH_ERR_MISSING')
    expect(codeOf(() => bearerToken(`Basic ${b64('a:b')}`))).toBe('AUTH_ERR_MISSING')
    expect(codeOf(() => bearerToken('Bearer a b'))).toBe('AUTH_ERR_BAD_HEADER')
  })
})

describe('checkCredentials', () => {
  it('applies the same rules to POST /sessions bodies', () => {
    expect(codeOf(() => checkCredentials('alice', 'pw'))).toBeUndefined()
    expect(codeOf(() => checkCredentials('a:b', 'pw'))).toBeUndefined()
    expect(codeOf(() => checkCredentials('', 'pw'))).toBe('AUTH_ERR_BAD_HEADER')
    expect(codeOf(() => checkCredentials('a\nb', 'pw'))).toBe('AUTH_ERR_BAD_HEADER')
    expect(codeOf(() => checkCredentials('a', 'p\0'))).toBe('AUTH_ERR_BAD_HEADER')
  })
})
