/**
 * Fuzzing what an HTTP client controls: Range and conditional headers, the WebDAV If header,
 * paths from raw URLs, JSON bodies and Destination headers, and Authorization headers. Each parser
 * may refuse input only with its documented error type (GatewayError, FileError, IfHeaderError,
 * DavStatusError, AuthError: the ones the error mapping turns into a 4xx); anything else would be
 * a 500 or a crash. Paths that pass are safe to hand to FTP: no `..`/`.` segment, no control
 * character, no backslash, no leading, trailing or doubled slash, within the length limits, and
 * normalising again changes nothing.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  MAX_PASSWORD_BYTES,
  MAX_USER_BYTES,
  parseAuthorization,
  parseBasic,
} from '../../../src/auth/basic.js'
import { AuthError } from '../../../src/auth/errors.js'
import { FileError } from '../../../src/files/errors.js'
import { MAX_NAME_BYTES, MAX_PATH_BYTES, normalizeRelPath } from '../../../src/files/paths.js'
import type { FileStat } from '../../../src/files/types.js'
import { escapedByteLength } from '../../../src/ftp/index.js'
import {
  evaluateRead,
  ifRangeMatches,
  parseEtagList,
  parseRange,
  resolveRange,
} from '../../../src/http/conditional.js'
import { GatewayError } from '../../../src/http/errors.js'
import { decodePercentStrict, encodePath, pathFromBody, pathFromRawUrl } from '../../../src/http/paths.js'
import { DavStatusError, davPath } from '../../../src/http/webdav/context.js'
import { evaluateIf, IfHeaderError, parseIfHeader } from '../../../src/http/webdav/if-header.js'
import { anyText, check } from './runs.js'

/** Runs `fn`; returns its error (undefined when it did not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
    return undefined
  } catch (err) {
    return err
  }
}

/** A path is safe to send to FTP under the root. */
function expectSafePath(p: string): void {
  expect(p.startsWith('/')).toBe(false)
  expect(p.endsWith('/')).toBe(false)
  expect(p.includes('//')).toBe(false)
  expect(p.includes('\\')).toBe(false)
  expect(/[\u0000-\u001f\u007f]/.test(p)).toBe(false)
  if (p !== '') {
    for (const seg of p.split('/')) {
      expect(seg === '.' || seg === '..' || seg === '').toBe(false)
      // Limits are on the server's bytes: an escape (docs/names.md) is one byte.
      expect(escapedByteLength(seg)).toBeLessThanOrEqual(MAX_NAME_BYTES)
    }
  }
  expect(escapedByteLength(p)).toBeLessThanOrEqual(MAX_PATH_BYTES)
}

// Pieces that build `..` escapes in every encoding a client might try.
const dotPiece = fc.constantFrom(
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '%2E%2e',
  '%c0%ae',
  '%c0%2e',
  '%e0%80%ae',
  '%252e',
  '%252e%252e',
  '..%2f',
  '..%2F',
  '%2e%2e%2f',
  '..%5c',
  '%5c',
  '\\',
  '/',
  '%2f',
  '%00',
  '%0d%0a',
  '%ff',
  '%fe%ff',
  '%',
  '%z',
  'a',
  'é',
  '%c3%a9',
  '\u00ff',
  ';',
  '?',
  '#',
  ' ',
  '%20',
)
const rawPathTail = fc.array(dotPiece, { maxLength: 16 }).map((xs) => xs.join(''))

describe('paths', () => {
  it('normalizeRelPath: only FileError(FILE_ERR_BAD_PATH), safe output, idempotent', () =>
    check(
      fc.property(fc.oneof(anyText(300), rawPathTail), (raw) => {
        const err = thrown(() => normalizeRelPath(raw))
        if (err !== undefined) {
          expect(err).toBeInstanceOf(FileError)
          expect((err as FileError).code).toBe('FILE_ERR_BAD_PATH')
          return
        }
        const p = normalizeRelPath(raw)
        expectSafePath(p)
        expect(normalizeRelPath(p)).toBe(p)
        expect(pathFromBody(p)).toBe(p)
      }),
    ))

  it('pathFromRawUrl: escapes in every encoding never yield a `..` segment', () =>
    check(
      fc.property(
        rawPathTail,
        fc.constantFrom('/api/v1/files/', '/api/v1/dirs/', '/dav/'),
        (tail, prefix) => {
          const segs = prefix.split('/').filter(Boolean)
          const err = thrown(() => pathFromRawUrl(prefix + tail, segs))
          if (err !== undefined) {
            expect(err).toBeInstanceOf(FileError)
            return
          }
          expectSafePath(pathFromRawUrl(prefix + tail, segs).path)
        },
      ),
    ))

  it('pathFromRawUrl and davPath: arbitrary raw URLs only give FileError / DavStatusError(400)', () =>
    check(
      fc.property(anyText(300), (tail) => {
        const err = thrown(() => pathFromRawUrl(`/api/v1/files/${tail}`, ['api', 'v1', 'files']))
        if (err !== undefined) expect(err).toBeInstanceOf(FileError)
        else expectSafePath(pathFromRawUrl(`/api/v1/files/${tail}`, ['api', 'v1', 'files']).path)
        const dav = thrown(() => davPath(`/dav/${tail}`))
        if (dav !== undefined) {
          expect(dav).toBeInstanceOf(DavStatusError)
          expect((dav as DavStatusError).status).toBe(400)
        }
      }),
    ))

  it('encodePath round-trips through pathFromRawUrl (a safe path is reachable by URL)', () =>
    check(
      fc.property(anyText(120), (raw) => {
        let p: string
        try {
          p = normalizeRelPath(raw)
        } catch {
          return
        }
        // Lone surrogates cannot be UTF-8 encoded, so encodeURIComponent refuses them (URIError);
        // such a name cannot arrive in a URL either.
        if (/[\ud800-\udfff]/u.test(p.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) return
        expect(pathFromRawUrl(`/api/v1/files/${encodePath(p)}`, ['api', 'v1', 'files']).path).toBe(p)
      }),
    ))

  it('decodePercentStrict: only FileError, and never yields more than it was given', () =>
    check(
      fc.property(fc.oneof(anyText(200), rawPathTail), (raw) => {
        const err = thrown(() => decodePercentStrict(raw))
        if (err !== undefined) expect(err).toBeInstanceOf(FileError)
      }),
    ))
})

const digits = fc.oneof(
  fc.constant(''),
  fc.nat().map(String),
  fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
)
const rangeHeader = fc.oneof(
  anyText(80),
  fc
    .array(
      fc.tuple(digits, digits).map(([a, b]) => `${a}-${b}`),
      { minLength: 1, maxLength: 4 },
    )
    .chain((specs) =>
      fc.constantFrom('bytes', 'BYTES', ' bytes ', 'items', '').map((u) => `${u}=${specs.join(',')}`),
    ),
)
const stat = fc.record({
  size: fc.oneof(fc.constant(undefined), fc.nat({ max: 10_000_000 })),
  etag: fc.string({ maxLength: 20 }).map((s) => `"${s.replace(/"/g, '')}"`),
  modified: fc.oneof(fc.constant(undefined), fc.date({ noInvalidDate: true })),
})
const toStat = (s: { size: number | undefined; etag: string; modified: Date | undefined }) =>
  ({ name: 'f', path: 'f', type: 'file', ...s }) as unknown as FileStat

describe('Range and conditional headers', () => {
  it('parseRange only throws GatewayError(GW_ERR_BAD_RANGE); resolveRange stays inside the file or 416s', () =>
    check(
      fc.property(rangeHeader, stat, (header, st) => {
        const err = thrown(() => parseRange(header))
        if (err !== undefined) {
          expect(err).toBeInstanceOf(GatewayError)
          expect((err as GatewayError).code).toBe('GW_ERR_BAD_RANGE')
          return
        }
        const range = parseRange(header)
        const r2 = thrown(() => resolveRange(range, st.size))
        if (r2 !== undefined) {
          expect(r2).toBeInstanceOf(FileError)
          expect((r2 as FileError).code).toBe('FILE_ERR_RANGE')
          return
        }
        const resolved = resolveRange(range, st.size)
        if (resolved === undefined) return
        expect(Number.isSafeInteger(resolved.start)).toBe(true)
        expect(resolved.start).toBeGreaterThanOrEqual(0)
        if (st.size !== undefined) {
          expect(resolved.end).toBeDefined()
          expect(resolved.start).toBeLessThanOrEqual(resolved.end as number)
          expect(resolved.end as number).toBeLessThan(st.size)
        } else if (resolved.end !== undefined) {
          expect(Number.isSafeInteger(resolved.end)).toBe(true)
        }
      }),
    ))

  it('ETag lists, preconditions and If-Range never throw anything but a 412 FileError', () =>
    check(
      fc.property(
        fc.record({
          'if-match': fc.option(anyText(60), { nil: undefined }),
          'if-none-match': fc.option(anyText(60), { nil: undefined }),
          'if-modified-since': fc.option(anyText(40), { nil: undefined }),
          'if-unmodified-since': fc.option(anyText(40), { nil: undefined }),
          'if-range': fc.option(anyText(40), { nil: undefined }),
        }),
        stat,
        (h, st) => {
          const s = toStat(st)
          for (const v of Object.values(h)) if (v !== undefined) parseEtagList(v)
          const err = thrown(() => evaluateRead(h, s))
          if (err !== undefined) {
            expect(err).toBeInstanceOf(FileError)
            expect((err as FileError).code).toBe('FILE_ERR_PRECONDITION')
          }
          expect(typeof ifRangeMatches(h['if-range'], s)).toBe('boolean')
        },
      ),
    ))
})

const ifPiece = fc.constantFrom(
  '(',
  ')',
  '<',
  '>',
  '[',
  ']',
  'Not ',
  'not',
  ' ',
  '"x"',
  'W/"y"',
  '<urn:uuid:1>',
  '<opaquelocktoken:a>',
  '<http://h/dav/a>',
  '</dav/%2e%2e/x>',
  '</dav/a%00>',
  '\t',
  '"',
  'W/',
  '<>',
)
const ifHeader = fc.oneof(
  anyText(120),
  fc.array(ifPiece, { maxLength: 24 }).map((xs) => xs.join('')),
)

describe('WebDAV If header', () => {
  it('parses or throws IfHeaderError; evaluation never throws and tokens carry no whitespace', () =>
    check(
      fc.asyncProperty(ifHeader, async (value) => {
        const err = thrown(() => parseIfHeader(value))
        if (err !== undefined) {
          expect(err).toBeInstanceOf(IfHeaderError)
          return
        }
        const lists = parseIfHeader(value)
        expect(lists.length).toBeGreaterThan(0)
        for (const l of lists) {
          expect(l.conditions.length).toBeGreaterThan(0)
          for (const c of l.conditions) if (c.token !== undefined) expect(/[\s<>]/.test(c.token)).toBe(false)
        }
        const outcome = await evaluateIf(lists, 'a', {
          pathOf: (tag) => (tag.includes('dav') ? 'a' : undefined),
          etagOf: async () => '"x"',
          tokenCovers: () => false,
        })
        expect(typeof outcome.passed).toBe('boolean')
      }),
    ))
})

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64')

describe('Authorization header', () => {
  it('parseAuthorization only throws AuthError(AUTH_ERR_BAD_HEADER); credentials it returns are safe', () =>
    check(
      fc.property(
        fc.oneof(
          anyText(200),
          anyText(80).map((s) => `Basic ${s}`),
          fc.uint8Array({ maxLength: 80 }).map((b) => `Basic ${b64(Buffer.from(b))}`),
          fc.tuple(anyText(40), anyText(40)).map(([u, p]) => `Basic ${b64(`${u}:${p}`)}`),
          anyText(80).map((s) => `Bearer ${s}`),
          fc.constant(`Basic ${'A'.repeat(5000)}`),
        ),
        (header) => {
          const err = thrown(() => parseAuthorization(header))
          if (err !== undefined) {
            expect(err).toBeInstanceOf(AuthError)
            expect((err as AuthError).code).toBe('AUTH_ERR_BAD_HEADER')
            return
          }
          const parsed = parseAuthorization(header)
          if (parsed.scheme === 'basic') {
            expect(/[\r\n\0]/.test(parsed.user + parsed.password)).toBe(false)
            expect(parsed.user.length).toBeGreaterThan(0)
            expect(Buffer.byteLength(parsed.user)).toBeLessThanOrEqual(MAX_USER_BYTES)
            expect(Buffer.byteLength(parsed.password)).toBeLessThanOrEqual(MAX_PASSWORD_BYTES)
          } else {
            expect(/\s/.test(parsed.token)).toBe(false)
          }
        },
      ),
    ))

  it('round-trips every valid user and password', () =>
    check(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }).filter((u) => !/[:\r\n\0]/.test(u)),
        fc.string({ maxLength: 60 }).filter((p) => !/[\r\n\0]/.test(p)),
        (user, password) => {
          expect(parseBasic(b64(`${user}:${password}`))).toEqual({ user, password })
        },
      ),
    ))
})
