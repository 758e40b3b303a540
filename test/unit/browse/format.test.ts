/** The browse page's pure helpers: escaping, URLs, sizes, dates, sorting, the sign-in `next`. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  browseHref,
  downloadHref,
  encodeSegments,
  escapeHtml,
  formatDate,
  formatSize,
  parseSort,
  safeNext,
} from '../../../src/http/browse/format.js'

describe('escapeHtml', () => {
  it('escapes markup and both quote kinds', () => {
    expect(escapeHtml('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;')
    expect(escapeHtml(`a"b'c&d\`e`)).toBe('a&quot;b&#39;c&amp;d&#96;e')
    expect(escapeHtml('plain name.txt')).toBe('plain name.txt')
  })

  it('never leaves a character that could end text or a quoted attribute', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = escapeHtml(s)
        expect(out).not.toMatch(/[<>"'`]/)
        // Every '&' starts one of our entities, so nothing is double-decoded into markup.
        expect(out.replace(/&(amp|lt|gt|quot|#39|#96);/g, '')).not.toContain('&')
      }),
    )
  })
})

describe('URLs', () => {
  it('encodes each path segment, keeping the separators', () => {
    expect(encodeSegments('')).toBe('')
    expect(encodeSegments('a b/c?d#e/<x>')).toBe('a%20b/c%3Fd%23e/%3Cx%3E')
    expect(browseHref('')).toBe('/browse/')
    expect(browseHref('docs/2024 report')).toBe('/browse/docs/2024%20report/')
    expect(downloadHref('x/"q".txt')).toBe('/api/v1/files/x/%22q%22.txt?download=1')
  })
})

describe('formatSize', () => {
  it.each([
    [undefined, ''],
    [-1, ''],
    [Number.NaN, ''],
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KB'],
    [1536, '1.50 KB'],
    [10 * 1024, '10.0 KB'],
    [300_000, '293 KB'],
    [1024 * 1024 - 1, '1.00 MB'],
    [3 * 1024 * 1024, '3.00 MB'],
    [5.5 * 1024 ** 3, '5.50 GB'],
    [2 * 1024 ** 4, '2.00 TB'],
  ])('%s bytes → %j', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text)
  })

  it('stays short: at most three digits before the unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(formatSize(n)).toMatch(/^(\d\.\d\d|\d\d\.\d|\d{3}) [KMGTPE]B$/)
      }),
    )
  })
})

describe('formatDate', () => {
  it('writes UTC minutes and nothing for unknown times', () => {
    expect(formatDate(new Date('2024-03-05T07:08:09Z'))).toBe('2024-03-05 07:08 UTC')
    expect(formatDate(undefined)).toBe('')
    expect(formatDate(new Date(Number.NaN))).toBe('')
  })
})

describe('sort parameters', () => {
  it('reads only known sort parameters', () => {
    expect(parseSort('size', 'desc')).toEqual({ sort: 'size', order: 'desc' })
    expect(parseSort('type', 'desc')).toEqual({ sort: 'type', order: 'desc' })
    expect(parseSort('modified', 'up')).toEqual({ sort: 'modified', order: 'asc' })
    expect(parseSort('__proto__', undefined)).toEqual({ sort: 'name', order: 'asc' })
  })
})

describe('safeNext', () => {
  it('keeps browse paths and replaces everything else', () => {
    expect(safeNext('/browse/a%20b/?sort=size')).toBe('/browse/a%20b/?sort=size')
    for (const bad of [
      undefined,
      42,
      '',
      'https://evil.example/browse/',
      '//evil.example/browse/',
      '/\\evil.example',
      '/browse/\\\\evil',
      '/browse/\r\nSet-Cookie: x=1',
      '/api/v1/files/x',
      'browse/',
    ]) {
      expect(safeNext(bad), String(bad)).toBe('/browse/')
    }
  })

  it('resolves dot segments (plain and percent-encoded) and must still be under /browse/', () => {
    for (const bad of [
      '/browse/../api/v1/files/shared/report.html',
      '/browse/%2e%2e/api/v1/files/x',
      '/browse/%2E%2E/api/v1/files/x',
      '/browse/.%2e/api/v1/files/x',
      '/browse/a/../../api/v1/files/x',
      '/browse/./../api/v1/files/x',
      '/browse/..',
      '/browse/%2e%2e',
      '/browse/..?next=/browse/',
      '/browse/..#/browse/',
      '/browse',
      '/browse%2f',
      '/browse%2F..%2Fapi',
      '/browse/..%2fapi/v1/files/x',
      '/browse/..%2Fapi/v1/files/x',
      '/browse/..%5capi/v1/files/x',
      '/browse/a%5c..%5c..%5capi',
      '/browse/a/%2e%2e%2f%2e%2e%2fapi',
      '/browse/%c0%ae%c0%ae/api', // overlong UTF-8 '.'
      '/browse/%ff',
      '/browse/%zz',
      '/browse/a%',
      '/browse/a%00b',
      '/browse/a%0d%0aSet-Cookie:%20x',
      '/browse/a\u0085b',
      '/browse/\t/',
      '//evil.example/browse/',
      '///evil.example/browse/',
      '/\\evil.example/browse/',
      'http:/browse/',
      ' /browse/',
      `/browse/${'a'.repeat(9000)}`,
    ]) {
      expect(safeNext(bad), JSON.stringify(bad)).toBe('/browse/')
    }
  })

  it('returns a normalised ASCII path: segments re-encoded, query kept, fragment dropped', () => {
    expect(safeNext('/browse/')).toBe('/browse/')
    expect(safeNext('/browse/a/../b/')).toBe('/browse/b/')
    expect(safeNext('/browse/a/./b')).toBe('/browse/a/b')
    expect(safeNext('/browse/a/..')).toBe('/browse/')
    expect(safeNext('/browse/a//b/')).toBe('/browse/a/b/')
    expect(safeNext('/browse/Ā/')).toBe('/browse/%C4%80/')
    expect(safeNext('/browse/%C4%80/')).toBe('/browse/%C4%80/')
    expect(safeNext('/browse/a b/')).toBe('/browse/a%20b/')
    expect(safeNext('/browse/100%25/')).toBe('/browse/100%25/')
    expect(safeNext('/browse/%3F/?sort=size&order=desc')).toBe('/browse/%3F/?sort=size&order=desc')
    expect(safeNext('/browse/x/?sort=Ā')).toBe('/browse/x/?sort=%C4%80')
    expect(safeNext('/browse/x/#frag')).toBe('/browse/x/')
    for (const next of ['/browse/Ā/', '/browse/日本/?q=ü', '/browse/a/../%F0%9F%98%80/']) {
      expect(safeNext(next), next).toMatch(/^\/browse\/[\x21-\x7e]*$/)
    }
  })
})
