/**
 * Request headers of an upload turned into WriteOptions. Anything malformed is refused with
 * 400 GW_ERR_BAD_HEADER before the body is read, so a bad request never starts a transfer.
 *
 * - `Repr-Digest` (RFC 9530): the strongest supported of `sha-512`, `sha-256` is used; unknown
 *   algorithms are ignored (RFC 9530 lets a recipient ignore them); a malformed field is refused.
 *   It wins over `Content-MD5` when both are sent.
 * - `If-None-Match` on PUT: only `*` ("must not exist") has meaning for a write; any other value
 *   is refused with 400 rather than silently ignored.
 * - `If-Match`: `*` or exactly one strong entity tag; a weak tag can never match strongly, so it
 *   is a 412 without reading the body.
 * - Modification time: `X-OC-Mtime` (unix seconds, the ownCloud/Nextcloud header) or `?mtime=`
 *   (unix seconds or ISO 8601); the header wins. Times FTP cannot carry (after 9999-12-31) are
 *   refused here, not found out after the upload.
 */
import { FileError } from '../files/errors.js'
import type { WriteOptions } from '../files/types.js'
import { parseEtagList } from './conditional.js'
import { GatewayError } from './errors.js'

type Digest = NonNullable<WriteOptions['digest']>

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const DIGEST_BYTES: Record<Digest['algorithm'], number> = { md5: 16, 'sha-256': 32, 'sha-512': 64 }

function badHeader(message: string): GatewayError {
  return new GatewayError('GW_ERR_BAD_HEADER', message)
}

function checkedBase64(value: string, algorithm: Digest['algorithm'], header: string): Digest {
  if (
    !BASE64.test(value) ||
    value.length % 4 !== 0 ||
    Buffer.from(value, 'base64').length !== DIGEST_BYTES[algorithm]
  ) {
    throw badHeader(`${header} is not a base64 ${algorithm} digest`)
  }
  return { algorithm, base64: value }
}

/** The digest to verify the body against, from Repr-Digest or Content-MD5. */
export function parseDigest(
  reprDigest: string | undefined,
  contentMd5: string | undefined,
): Digest | undefined {
  if (reprDigest !== undefined) {
    const found = new Map<string, string>()
    for (const member of reprDigest.split(',')) {
      const m = /^\s*([a-z][a-z0-9_.*-]*)\s*=\s*:([A-Za-z0-9+/=]*):\s*(?:;.*)?$/.exec(member)
      if (m === null) throw badHeader('Repr-Digest must be a dictionary like sha-256=:base64:')
      found.set(m[1]!, m[2]!)
    }
    for (const algorithm of ['sha-512', 'sha-256'] as const) {
      const value = found.get(algorithm)
      if (value !== undefined) return checkedBase64(value, algorithm, 'Repr-Digest')
    }
  }
  if (contentMd5 !== undefined) return checkedBase64(contentMd5.trim(), 'md5', 'Content-MD5')
  return undefined
}

/** The last instant FTP can carry (MFMT / SITE UTIME take YYYYMMDDHHMMSS: a four-digit year). */
export const LATEST_SETTABLE_TIME = Date.UTC(9999, 11, 31, 23, 59, 59)

/**
 * True when `date` can be sent as an FTP modification time (years 0000 to 9999). Checked before
 * anything is written: a time found unusable after the upload would leave the file replaced and
 * the request failed.
 */
export function isSettableTime(date: Date): boolean {
  const t = date.getTime()
  return !Number.isNaN(t) && date.getUTCFullYear() >= 0 && t <= LATEST_SETTABLE_TIME
}

/** The modification time to set, from X-OC-Mtime or the `mtime` query parameter. */
export function parseMtime(header: string | undefined, query: string | undefined): Date | undefined {
  if (header !== undefined) {
    const d = unixSeconds(header.trim())
    if (d === undefined) throw badHeader('X-OC-Mtime must be unix seconds')
    if (!isSettableTime(d)) throw badHeader('X-OC-Mtime is past the year 9999')
    return d
  }
  if (query !== undefined) {
    const d = unixSeconds(query) ?? isoDate(query)
    if (d === undefined)
      throw new GatewayError('GW_ERR_VALIDATION', 'mtime must be unix seconds or an ISO 8601 date')
    if (!isSettableTime(d))
      throw new GatewayError('GW_ERR_VALIDATION', 'mtime must lie between the years 0000 and 9999')
    return d
  }
  return undefined
}

function unixSeconds(v: string): Date | undefined {
  if (!/^\d{1,12}(\.\d+)?$/.test(v)) return undefined
  return new Date(Math.round(Number(v) * 1000))
}

function isoDate(v: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) return undefined
  const t = Date.parse(v)
  return Number.isNaN(t) ? undefined : new Date(t)
}

/** If-Match / If-None-Match of a PUT as WriteOptions fields. */
export function parseWritePreconditions(
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
): Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'> {
  const out: Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'> = {}
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw badHeader('If-None-Match on PUT supports only "*"')
    out.ifNoneMatch = '*'
  }
  if (ifMatch !== undefined) {
    const tags = parseEtagList(ifMatch)
    if (tags === '*') out.ifMatch = '*'
    else if (tags.length !== 1) throw badHeader('If-Match on PUT takes "*" or exactly one entity tag')
    else if (tags[0]!.startsWith('W/'))
      throw new FileError('FILE_ERR_PRECONDITION', 'A weak entity tag never matches If-Match')
    else out.ifMatch = tags[0]!
  }
  return out
}

/** A Content-Length header as expectedLength (Node has already refused malformed values). */
export function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined
  return Number(value)
}
