/**
 * File paths from URLs and JSON bodies. The decision is made on the RAW request URL
 * (`request.raw.url`), never on the router's decoded wildcard param, so that percent-escapes are
 * decoded exactly once, here:
 *
 * - `%2F` inside a segment is a separator like `/` (FTP paths cannot hold a '/' in a name, so
 *   there is nothing else it could mean); `a%2Fb` and `a/b` are the same path.
 * - `%2e%2e`, `..%2f` and friends decode to `..` segments and are refused, as are `.` segments.
 * - Invalid escapes (`%zz`, a lone `%`), invalid UTF-8 (`%ff`), control characters (`%00`,
 *   `%0d%0a`), backslashes, names over 255 bytes and paths over 4096 bytes are refused with
 *   400 FILE_ERR_BAD_PATH before any file operation.
 * - Duplicate slashes collapse; a trailing slash is stripped but reported (PUT refuses it).
 *
 * A `%25` decodes to a literal '%': `%252e%252e` is the name `%2e%2e`, which is harmless.
 */
import { FileError } from '../files/errors.js'
import { normalizeRelPath } from '../files/paths.js'
import type { RelPath } from '../files/types.js'

/** A path parsed from a URL. */
export interface ParsedPath {
  path: RelPath
  /** The URL path ended with '/' (or '%2F') after a non-empty path. */
  trailingSlash: boolean
}

const HEX = /^[0-9a-fA-F]{2}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

function badPath(message: string): FileError {
  return new FileError('FILE_ERR_BAD_PATH', message)
}

/** Decodes percent-escapes exactly once, refusing invalid escapes and invalid UTF-8. */
export function decodePercentStrict(raw: string): string {
  const bytes: number[] = []
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3)
      if (!HEX.test(hex)) throw badPath('Invalid percent-encoding in path')
      bytes.push(Number.parseInt(hex, 16))
      i += 2
    } else if (c < 0x80) {
      bytes.push(c)
    } else if (c <= 0xff) {
      // Node hands non-ASCII request-line bytes over as latin1 characters: they are raw bytes.
      bytes.push(c)
    } else {
      for (const b of Buffer.from(String.fromCharCode(c), 'utf8')) bytes.push(b)
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes))
  } catch {
    throw badPath('Path is not valid UTF-8')
  }
}

/**
 * The file path in a raw request URL after a route prefix (its segments, e.g.
 * `['api', 'v1', 'files']`). The prefix is checked segment by segment after decoding, because
 * the router matched a decoded form of it.
 */
export function pathFromRawUrl(rawUrl: string, prefix: readonly string[]): ParsedPath {
  const q = rawUrl.indexOf('?')
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q)
  // A raw '#' never reaches a server from a conforming client; it is not a path character.
  if (rawPath.includes('#')) throw badPath('Path contains a raw "#"')
  if (rawPath.includes('\\')) throw badPath('Path contains a backslash')
  const segments = rawPath.split('/')
  for (let i = 0; i < prefix.length; i++) {
    const seg = segments[i + 1]
    if (seg === undefined || decodePercentStrict(seg) !== prefix[i]) {
      throw new FileError('FILE_ERR_BAD_PATH', 'Path does not start with the route prefix')
    }
  }
  const decoded = decodePercentStrict(segments.slice(prefix.length + 1).join('/'))
  const path = normalizeRelPath(decoded)
  return { path, trailingSlash: path !== '' && decoded.endsWith('/') }
}

/**
 * The file path in a URL given in a header (WebDAV's Destination: absolute, or a path) after a
 * route prefix; the host is not looked at. Throws like pathFromRawUrl.
 */
export function pathFromUrl(url: string, prefix: readonly string[]): RelPath {
  let pathname: string
  try {
    pathname = new URL(url.trim(), 'http://destination.invalid').pathname
  } catch {
    throw badPath('Not a URL')
  }
  return pathFromRawUrl(pathname, prefix).path
}

/** A path given in a JSON body (plain text, not percent-encoded); a leading '/' is optional. */
export function pathFromBody(value: string): RelPath {
  return normalizeRelPath(value)
}

/** The URL form of a relative path (each segment percent-encoded). */
export function encodePath(path: RelPath): string {
  return path.split('/').map(encodeURIComponent).join('/')
}

/** A relative path as the API shows it: '/' plus the path. */
export function displayPath(path: RelPath): string {
  return `/${path}`
}
