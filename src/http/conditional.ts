/**
 * Conditional requests (RFC 9110 §13) and byte ranges (§14) for downloads, evaluated against a
 * FileStat before any transfer is opened.
 *
 * Range policy (RFC 9110 §14.2 lets a server ignore or reject what it does not serve):
 * - an unknown unit (`items=0-1`) is ignored (RFC: MUST ignore) → 200 with the whole file;
 * - several ranges (`bytes=0-1,4-5`) are ignored → 200 (only single ranges are served);
 * - a syntactically invalid bytes range (`bytes=abc`, `bytes=5-2`, `bytes=`) → 400 GW_ERR_BAD_RANGE;
 * - a valid range that misses the file (`bytes=999999-` on a small file, `bytes=-0`) → 416 with
 *   `Content-Range: bytes * /size`;
 * - a suffix range (`bytes=-n`) on a file of unknown size is ignored → 200.
 * Range is only honoured on GET (HEAD ignores it, as RFC 9110 §14.2 requires).
 */
import { FileError } from '../files/errors.js'
import type { FileStat } from '../files/types.js'
import { GatewayError } from './errors.js'

/** A parsed Range header. */
export type RangeRequest =
  | { kind: 'none' }
  | { kind: 'ignored' }
  | { kind: 'range'; start: number; end: number | undefined }
  | { kind: 'suffix'; length: number }

const SINGLE = /^\s*(\d*)\s*-\s*(\d*)\s*$/

/** Parses a Range header value (see the module comment for what is ignored or refused). */
export function parseRange(header: string | undefined): RangeRequest {
  if (header === undefined) return { kind: 'none' }
  const eq = header.indexOf('=')
  if (eq === -1) throw new GatewayError('GW_ERR_BAD_RANGE', 'Range must look like "bytes=start-end"')
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'ignored' }
  const specs = header.slice(eq + 1).split(',')
  const parsed = specs.map((spec) => SINGLE.exec(spec))
  if (parsed.some((m) => m === null || (m[1] === '' && m[2] === ''))) {
    throw new GatewayError(
      'GW_ERR_BAD_RANGE',
      'Range must look like "bytes=start-end", "bytes=start-" or "bytes=-length"',
    )
  }
  const ranges = parsed as RegExpExecArray[]
  for (const m of ranges) {
    if (m[1] !== '' && m[2] !== '' && Number(m[2]) < Number(m[1])) {
      throw new GatewayError('GW_ERR_BAD_RANGE', 'Range end is before its start')
    }
  }
  if (ranges.length > 1) return { kind: 'ignored' }
  const [, first, last] = ranges[0]!
  if (first === '') return { kind: 'suffix', length: position(last!) }
  return { kind: 'range', start: position(first!), end: last === '' ? undefined : position(last!) }
}

/**
 * A byte position as a safe integer. Digits past 2^53 (`bytes=99999999999999999999-`) are valid
 * syntax and still mean "beyond any file", so they are clamped rather than refused: the range then
 * misses every real file (416) instead of carrying an inexact float further down.
 */
function position(digits: string): number {
  return Math.min(Number(digits), Number.MAX_SAFE_INTEGER)
}

/**
 * The inclusive byte range to request for a file of `size` bytes, or undefined for the whole file.
 * Throws FILE_ERR_RANGE (416) when the range cannot be satisfied.
 */
export function resolveRange(
  range: RangeRequest,
  size: number | undefined,
): { start: number; end?: number } | undefined {
  if (range.kind === 'none' || range.kind === 'ignored') return undefined
  if (size === undefined) {
    // Without a size a suffix cannot be placed; the file service validates open ranges itself.
    return range.kind === 'range'
      ? { start: range.start, ...(range.end === undefined ? {} : { end: range.end }) }
      : undefined
  }
  if (range.kind === 'suffix') {
    if (range.length === 0 || size === 0) throw unsatisfiable(size)
    return { start: Math.max(0, size - range.length), end: size - 1 }
  }
  if (range.start >= size) throw unsatisfiable(size)
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) }
}

function unsatisfiable(size: number): FileError {
  return new FileError('FILE_ERR_RANGE', `The range is outside the file (${size} bytes)`, { size })
}

/** Entity tags in an If-Match / If-None-Match value; '*' is returned as is. */
export function parseEtagList(header: string): '*' | string[] {
  if (header.trim() === '*') return '*'
  return header.match(/(?:W\/)?"[^"]*"/g) ?? []
}

function isWeak(tag: string): boolean {
  return tag.startsWith('W/')
}

function opaque(tag: string): string {
  return isWeak(tag) ? tag.slice(2) : tag
}

/** The ETag header value of a stat (file services give quoted strong tags; tolerate bare ones). */
export function formatEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`
}

function parseDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000)
}

function seconds(d: Date | undefined): number | undefined {
  return d === undefined ? undefined : Math.floor(d.getTime() / 1000)
}

/** Request headers that take part in conditional GET/HEAD. */
export interface ConditionalHeaders {
  'if-match'?: string | undefined
  'if-none-match'?: string | undefined
  'if-modified-since'?: string | undefined
  'if-unmodified-since'?: string | undefined
  'if-range'?: string | undefined
}

/**
 * Evaluates preconditions for a read in RFC 9110 §13.2.2 order. Returns 'not-modified' (304) or
 * 'proceed'; throws FILE_ERR_PRECONDITION (412) when If-Match / If-Unmodified-Since fail.
 */
export function evaluateRead(h: ConditionalHeaders, stat: FileStat): 'proceed' | 'not-modified' {
  const etag = formatEtag(stat.etag)
  const modified = seconds(stat.modified)
  if (h['if-match'] !== undefined) {
    const tags = parseEtagList(h['if-match'])
    // Strong comparison: a weak tag never matches.
    if (tags !== '*' && !tags.some((t) => !isWeak(t) && t === etag)) throw preconditionFailed('If-Match')
  } else if (h['if-unmodified-since'] !== undefined) {
    const since = parseDate(h['if-unmodified-since'])
    if (since !== undefined && modified !== undefined && modified > since)
      throw preconditionFailed('If-Unmodified-Since')
  }
  if (h['if-none-match'] !== undefined) {
    const tags = parseEtagList(h['if-none-match'])
    // Weak comparison.
    if (tags === '*' || tags.some((t) => opaque(t) === opaque(etag))) return 'not-modified'
  } else if (h['if-modified-since'] !== undefined) {
    const since = parseDate(h['if-modified-since'])
    if (since !== undefined && modified !== undefined && modified <= since) return 'not-modified'
  }
  return 'proceed'
}

function preconditionFailed(header: string): FileError {
  return new FileError('FILE_ERR_PRECONDITION', `${header} precondition failed`)
}

/** Whether an If-Range value still matches (so the Range applies); absent means it applies. */
export function ifRangeMatches(value: string | undefined, stat: FileStat): boolean {
  if (value === undefined) return true
  const v = value.trim()
  if (v.startsWith('"') || v.startsWith('W/')) return !isWeak(v) && v === formatEtag(stat.etag)
  const date = parseDate(v)
  const modified = seconds(stat.modified)
  return date !== undefined && modified !== undefined && date === modified
}

// The disposition rule lives with the other rules for user bytes (user-content.ts).
export { attachmentDisposition } from './user-content.js'
