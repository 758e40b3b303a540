/**
 * Pure helpers of the browse page: HTML escaping, URL building for paths, human sizes and dates,
 * sort parameters, and the `next` check of the sign-in redirect. Kept free of Fastify so they are unit
 * tested on their own; every string that reaches HTML goes through `escapeHtml` (text and
 * attribute values alike), every path segment that reaches a URL through `encodeURIComponent`.
 */
import type { ListSort, RelPath, SortOrder } from '../../files/types.js'

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  // A backtick closes unquoted attribute values in old IE; escaping it costs nothing.
  '`': '&#96;',
}

/** Escapes text for HTML element content and (double- or single-quoted) attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]!)
}

/** The URL form of a relative path: each segment percent-encoded, joined by '/'. */
export function encodeSegments(path: RelPath): string {
  return path === '' ? '' : path.split('/').map(encodeURIComponent).join('/')
}

/** The browse URL of a directory (always with a trailing slash, so it is canonical). */
export function browseHref(dir: RelPath): string {
  return dir === '' ? '/browse/' : `/browse/${encodeSegments(dir)}/`
}

/** The URL of a folder as one zip through the REST API (src/http/rest/zip.ts). */
export function zipHref(folder: RelPath): string {
  return `/api/v1/zip/${encodeSegments(folder)}`
}

/** The download URL of a file through the REST API. */
export function downloadHref(file: RelPath): string {
  return `/api/v1/files/${encodeSegments(file)}?download=1`
}

/** Joins a directory and a name into a relative path. */
export function joinPath(dir: RelPath, name: string): RelPath {
  return dir === '' ? name : `${dir}/${name}`
}

const UNITS = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB']

/**
 * Bytes in human units (powers of 1024, shown with the short SI-looking names people expect):
 * "0 B", "999 B", "1.0 KB", "12.3 MB", "512 GB". Three significant figures at most, so the column
 * stays narrow; an unknown size (directories, servers that do not say) is an empty string.
 */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return ''
  if (bytes < 1024) return `${bytes} B`
  let value = bytes
  let unit = -1
  // Step up while the value would print as 1000 or more (after rounding), so "1024.0 KB" never shows.
  while (unit < UNITS.length - 1 && (unit === -1 || value >= 999.95)) {
    value /= 1024
    unit++
  }
  const text = value < 9.995 ? value.toFixed(2) : value < 99.95 ? value.toFixed(1) : value.toFixed(0)
  return `${text} ${UNITS[unit]}`
}

const pad = (n: number) => String(n).padStart(2, '0')

/**
 * A modification time as "YYYY-MM-DD HH:MM" in UTC. The server does not know the reader's time
 * zone; the page's script rewrites it to local time from the `datetime` attribute, and UTC is the
 * honest fallback without script. Unknown times are an empty string.
 */
export function formatDate(date: Date | undefined): string {
  if (date === undefined || Number.isNaN(date.getTime())) return ''
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`
  )
}

/** Parses `?sort=` and `?order=`, falling back to name ascending for anything unexpected. */
export function parseSort(sort: unknown, order: unknown): { sort: ListSort; order: SortOrder } {
  const key: ListSort = sort === 'size' || sort === 'modified' || sort === 'type' ? sort : 'name'
  return { sort: key, order: order === 'desc' ? 'desc' : 'asc' }
}

/** The inline URL of a file (shown by the browser when its type is passive, else saved). */
export function fileHref(file: RelPath): string {
  return `/api/v1/files/${encodeSegments(file)}`
}

const BROWSE_HOME = '/browse/'
const MAX_NEXT_LENGTH = 8192
// Raw characters a return URL never holds: controls and backslashes (a slash to browsers).
const RAW_REFUSED = /[\u0000-\u001f\u007f-\u009f\\]/

/** Percent-decodes one path segment; undefined for a bad escape, bad UTF-8 or a decoded slash/control. */
function decodeSegment(segment: string): string | undefined {
  let text: string
  try {
    // Strict: a lone '%', '%zz', '%ff' or an overlong sequence throws.
    text = decodeURIComponent(segment)
  } catch {
    return undefined
  }
  // An encoded '/' or '\' would be a separator to someone; a control character is never a name.
  return /[/\\\u0000-\u001f\u007f-\u009f]/.test(text) ? undefined : text
}

/**
 * The `next` of the sign-in form as a normalised, ASCII-only path under `/browse/`, or
 * `/browse/` when it is anything else. The path is percent-decoded once (bad escapes, bad UTF-8,
 * encoded slashes or backslashes and control characters refuse it), dot segments are resolved as
 * a browser would (`%2e%2e` is `..`), and the result must still start with `/browse/`; absolute
 * URLs, `//host`, raw backslashes and controls are refused outright. Segments are re-encoded, so
 * the Location header is plain ASCII; a query is kept, re-serialised, and a fragment dropped.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > MAX_NEXT_LENGTH) return BROWSE_HOME
  if (!next.startsWith('/') || next.startsWith('//') || RAW_REFUSED.test(next)) return BROWSE_HOME
  const noFragment = next.split('#', 1)[0]!
  const q = noFragment.indexOf('?')
  const rawPath = q === -1 ? noFragment : noFragment.slice(0, q)
  const rawQuery = q === -1 ? '' : noFragment.slice(q + 1)
  const segments: string[] = []
  const parts = rawPath.split('/').slice(1)
  for (let i = 0; i < parts.length; i++) {
    const name = decodeSegment(parts[i]!)
    if (name === undefined) return BROWSE_HOME
    const last = i === parts.length - 1
    if (name === '..') {
      segments.pop()
      if (last) segments.push('')
    } else if (name === '.') {
      if (last) segments.push('')
    } else if (name !== '' || last) segments.push(name)
  }
  if (segments.length < 2 || segments[0] !== 'browse') return BROWSE_HOME
  const path = `/${segments.map(encodeURIComponent).join('/')}`
  if (!path.startsWith(BROWSE_HOME)) return BROWSE_HOME
  if (rawQuery === '') return path
  const query = new URLSearchParams(rawQuery).toString()
  return query === '' ? path : `${path}?${query}`
}
