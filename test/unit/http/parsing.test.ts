import { describe, expect, it } from 'vitest'
import type { FileError } from '../../../src/files/errors.js'
import {
  attachmentDisposition,
  evaluateRead,
  ifRangeMatches,
  parseRange,
  resolveRange,
} from '../../../src/http/conditional.js'
import type { GatewayError } from '../../../src/http/errors.js'
import { contentTypeFor } from '../../../src/http/mime.js'
import { decodePercentStrict, encodePath, pathFromBody, pathFromRawUrl } from '../../../src/http/paths.js'
import { parseDigest, parseMtime, parseWritePreconditions } from '../../../src/http/upload-headers.js'

const P = ['api', 'v1', 'files'] as const

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as FileError | GatewayError).code
  }
  return undefined
}

describe('pathFromRawUrl', () => {
  it.each([
    ['/api/v1/files/a/b.txt', 'a/b.txt', false],
    ['/api/v1/files//a///b/', 'a/b', true],
    ['/api/v1/files/a%2Fb', 'a/b', false],
    ['/api/v1/files/a%2F', 'a', true],
    ['/api/v1/files/%252e%252e', '%2e%2e', false],
    ['/api/v1/files/caf%C3%A9?x=1', 'café', false],
    ['/api/v1/files/', '', false],
    ['/api/v1/%66iles/x', 'x', false],
  ])('%s → %s', (url, path, trailing) => {
    expect(pathFromRawUrl(url, P)).toEqual({ path, trailingSlash: trailing })
  })

  it.each([
    '/api/v1/files/%00',
    '/api/v1/files/a%0d%0aDELE%20x',
    '/api/v1/files/a%09b',
    '/api/v1/files/..',
    '/api/v1/files/a/../../etc',
    '/api/v1/files/%2e%2e/x',
    '/api/v1/files/%2E%2E',
    '/api/v1/files/..%2fx',
    '/api/v1/files/.',
    '/api/v1/files/a\\b',
    '/api/v1/files/a%5cb',
    '/api/v1/files/%ff',
    '/api/v1/files/%c3',
    '/api/v1/files/%zz',
    '/api/v1/files/abc%',
    '/api/v1/files/a#b',
    `/api/v1/files/${'n'.repeat(256)}`,
    `/api/v1/files/${'%C3%A9'.repeat(128)}`,
    `/api/v1/files/${Array.from({ length: 20 }, () => 'x'.repeat(250)).join('/')}`,
    '/api/v1/other/x',
  ])('refuses %s', (url) => {
    expect(code(() => pathFromRawUrl(url, P))).toBe('FILE_ERR_BAD_PATH')
  })

  it('decodes exactly once', () => {
    expect(decodePercentStrict('%2541')).toBe('%41')
  })

  it('body paths are plain text', () => {
    expect(pathFromBody('/a//b/')).toBe('a/b')
    expect(pathFromBody('a%2Fb')).toBe('a%2Fb')
    expect(code(() => pathFromBody('a/../b'))).toBe('FILE_ERR_BAD_PATH')
    expect(code(() => pathFromBody('a\nb'))).toBe('FILE_ERR_BAD_PATH')
  })

  it('encodes segments for URLs', () => {
    expect(encodePath('a b/c?d#/é')).toBe('a%20b/c%3Fd%23/%C3%A9')
  })
})

describe('Range', () => {
  it.each([
    ['bytes=0-4', { kind: 'range', start: 0, end: 4 }],
    ['bytes=5-', { kind: 'range', start: 5, end: undefined }],
    ['bytes=-3', { kind: 'suffix', length: 3 }],
    ['bytes = 1 - 2', { kind: 'range', start: 1, end: 2 }],
    ['items=0-1', { kind: 'ignored' }],
    ['bytes=0-1,3-4', { kind: 'ignored' }],
  ])('%s', (header, expected) => {
    expect(parseRange(header)).toEqual(expected)
  })

  it.each(['bytes=5-2', 'bytes=abc', 'bytes=', 'bytes=-', 'garbage', 'bytes=1-2,x'])('refuses %s', (h) => {
    expect(code(() => parseRange(h))).toBe('GW_ERR_BAD_RANGE')
  })

  it('resolves against the size', () => {
    expect(resolveRange({ kind: 'range', start: 2, end: 100 }, 10)).toEqual({ start: 2, end: 9 })
    expect(resolveRange({ kind: 'suffix', length: 20 }, 10)).toEqual({ start: 0, end: 9 })
    expect(resolveRange({ kind: 'suffix', length: 3 }, undefined)).toBeUndefined()
    expect(resolveRange({ kind: 'range', start: 3, end: undefined }, undefined)).toEqual({ start: 3 })
    expect(code(() => resolveRange({ kind: 'range', start: 10, end: undefined }, 10))).toBe('FILE_ERR_RANGE')
    expect(code(() => resolveRange({ kind: 'suffix', length: 0 }, 10))).toBe('FILE_ERR_RANGE')
    expect(code(() => resolveRange({ kind: 'range', start: 0, end: 0 }, 0))).toBe('FILE_ERR_RANGE')
  })
})

describe('conditional reads', () => {
  const stat = {
    path: 'f',
    name: 'f',
    type: 'file' as const,
    size: 3,
    modified: new Date('2024-01-01T00:00:00Z'),
    etag: '"abc"',
  }
  it('If-None-Match uses weak comparison, If-Match strong', () => {
    expect(evaluateRead({ 'if-none-match': 'W/"abc"' }, stat)).toBe('not-modified')
    expect(evaluateRead({ 'if-none-match': '"x", "abc"' }, stat)).toBe('not-modified')
    expect(evaluateRead({ 'if-none-match': '*' }, stat)).toBe('not-modified')
    expect(evaluateRead({ 'if-none-match': '"x"' }, stat)).toBe('proceed')
    expect(code(() => evaluateRead({ 'if-match': 'W/"abc"' }, stat))).toBe('FILE_ERR_PRECONDITION')
    expect(evaluateRead({ 'if-match': '"abc"' }, stat)).toBe('proceed')
  })
  it('dates', () => {
    expect(evaluateRead({ 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' }, stat)).toBe('not-modified')
    expect(evaluateRead({ 'if-modified-since': 'Sun, 31 Dec 2023 23:59:59 GMT' }, stat)).toBe('proceed')
    expect(evaluateRead({ 'if-modified-since': 'not a date' }, stat)).toBe('proceed')
    // If-None-Match wins over If-Modified-Since.
    expect(
      evaluateRead({ 'if-none-match': '"x"', 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' }, stat),
    ).toBe('proceed')
    expect(code(() => evaluateRead({ 'if-unmodified-since': 'Sun, 31 Dec 2023 00:00:00 GMT' }, stat))).toBe(
      'FILE_ERR_PRECONDITION',
    )
  })
  it('If-Range', () => {
    expect(ifRangeMatches(undefined, stat)).toBe(true)
    expect(ifRangeMatches('"abc"', stat)).toBe(true)
    expect(ifRangeMatches('W/"abc"', stat)).toBe(false)
    expect(ifRangeMatches('Mon, 01 Jan 2024 00:00:00 GMT', stat)).toBe(true)
    expect(ifRangeMatches('Mon, 01 Jan 2024 00:00:01 GMT', stat)).toBe(false)
  })
})

describe('upload headers', () => {
  const md5 = '1B2M2Y8AsgTpgAmY7PhCfg=='
  const sha256 = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='
  it('picks the strongest digest', () => {
    expect(parseDigest(`sha-256=:${sha256}:, unknown=:AA==:`, md5)).toEqual({
      algorithm: 'sha-256',
      base64: sha256,
    })
    expect(parseDigest(undefined, md5)).toEqual({ algorithm: 'md5', base64: md5 })
    expect(parseDigest('unknown=:AA==:', undefined)).toBeUndefined()
    expect(code(() => parseDigest('sha-256=abc', undefined))).toBe('GW_ERR_BAD_HEADER')
    expect(code(() => parseDigest('sha-256=:AAAA:', undefined))).toBe('GW_ERR_BAD_HEADER')
    expect(code(() => parseDigest(undefined, 'zz'))).toBe('GW_ERR_BAD_HEADER')
  })
  it('mtime', () => {
    expect(parseMtime('1700000000', undefined)?.toISOString()).toBe('2023-11-14T22:13:20.000Z')
    expect(parseMtime(undefined, '2024-01-01T00:00:00Z')?.toISOString()).toBe('2024-01-01T00:00:00.000Z')
    expect(parseMtime(undefined, '1700000000')?.getTime()).toBe(1_700_000_000_000)
    expect(code(() => parseMtime('yesterday', undefined))).toBe('GW_ERR_BAD_HEADER')
    expect(code(() => parseMtime(undefined, 'yesterday'))).toBe('GW_ERR_VALIDATION')
  })
  it('preconditions', () => {
    expect(parseWritePreconditions('"a"', '*')).toEqual({ ifMatch: '"a"', ifNoneMatch: '*' })
    expect(parseWritePreconditions('*', undefined)).toEqual({ ifMatch: '*' })
    expect(code(() => parseWritePreconditions(undefined, '"a"'))).toBe('GW_ERR_BAD_HEADER')
    expect(code(() => parseWritePreconditions('"a", "b"', undefined))).toBe('GW_ERR_BAD_HEADER')
    expect(code(() => parseWritePreconditions('W/"a"', undefined))).toBe('FILE_ERR_PRECONDITION')
  })
})

describe('mime and disposition', () => {
  it('types by extension', () => {
    expect(contentTypeFor('a.PDF')).toBe('application/pdf')
    expect(contentTypeFor('README')).toBe('application/octet-stream')
    expect(contentTypeFor('.bashrc')).toBe('application/octet-stream')
  })
  it('RFC 6266 with an ASCII fallback', () => {
    expect(attachmentDisposition('résumé "1".pdf')).toBe(
      `attachment; filename="r_sum_ _1_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf`,
    )
  })
})
