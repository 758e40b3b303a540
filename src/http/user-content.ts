/**
 * How the gateway serves bytes that users wrote (file downloads through every face). The files
 * live on the same origin as the browse page's session cookie, so a file must never be able to run
 * script as that origin:
 *
 * - every response carries `X-Content-Type-Options: nosniff` (the declared type is the only type)
 *   and a `Content-Security-Policy` whose `sandbox` gives the document an opaque origin with no
 *   scripts, forms, popups or same-origin access, and whose `default-src 'none'` loads nothing but
 *   the file itself (images and media from this origin, for the viewers browsers build around them);
 * - only passive types stay inline (raster images, audio, video, PDF, plain text, CSV, Markdown,
 *   JSON), so previews keep working; everything else (HTML, XHTML, SVG, XML, JavaScript, CSS,
 *   unknown types as application/octet-stream) goes out as `Content-Disposition: attachment`.
 *
 * Attachment rather than rewriting active types to text/plain: WebDAV and sync clients see the
 * real type (as PROPFIND's getcontenttype says), the saved file opens as what it is, and the
 * sandbox still holds in a browser that ignores the disposition. Both faces call `userContentHeaders`;
 * neither knows the rule itself.
 */
import { contentTypeFor } from './mime.js'

/** The policy of every response that carries user bytes (and of listings built from user names). */
export const USER_CONTENT_POLICY =
  "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; " +
  "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"

// Types a browser shows without running anything the file says. Matched on the media type
// without parameters; anything not listed is treated as active.
const PASSIVE_TYPES = new Set([
  'text/plain',
  'text/csv',
  'text/markdown',
  'application/json',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/bmp',
  'image/tiff',
  'image/vnd.microsoft.icon',
])

/** True when a browser may show this type inline (it cannot carry script that runs). */
export function isPassiveType(contentType: string): boolean {
  const essence = contentType.split(';')[0]!.trim().toLowerCase()
  if (PASSIVE_TYPES.has(essence)) return true
  return essence.startsWith('audio/') || essence.startsWith('video/')
}

/**
 * `attachment` with the name as a quoted ASCII fallback and as RFC 8187 UTF-8 (`filename*`),
 * so every name survives and nothing in it can end the header value.
 */
export function attachmentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`
}

/** Options of userContentHeaders. */
export interface UserContentOptions {
  /** The client asked for a download (`?download=1`): attachment whatever the type. */
  download?: boolean
}

/**
 * The headers of a response carrying the bytes of the file `name` (GET and HEAD alike, 200, 206
 * and 304): its Content-Type, the sandboxing policy, nosniff, and the disposition.
 */
export function userContentHeaders(
  name: string,
  options: UserContentOptions = {},
): Readonly<Record<string, string>> {
  const download = options.download === true
  const id = `${download ? 'a' : 'i'}${name}`
  const known = remembered.get(id)
  if (known !== undefined) return known
  const headers = Object.freeze(headersFor(name, download))
  // Bounded: a GET of the same names again (the common case) skips the type lookup and encoding.
  if (remembered.size >= MAX_REMEMBERED_NAMES) remembered.clear()
  remembered.set(id, headers)
  return headers
}

const MAX_REMEMBERED_NAMES = 1000
const remembered = new Map<string, Readonly<Record<string, string>>>()

function headersFor(name: string, download: boolean): Record<string, string> {
  const type = contentTypeFor(name)
  const headers: Record<string, string> = {
    'content-type': type,
    'content-security-policy': USER_CONTENT_POLICY,
    'x-content-type-options': 'nosniff',
  }
  if (download || !isPassiveType(type)) headers['content-disposition'] = attachmentDisposition(name)
  return headers
}
