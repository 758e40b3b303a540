/**
 * The tus 1.0.0 headers (https://tus.io/protocols/resumable-upload): parsed and checked before
 * anything touches the store or the FTP server, each malformed one refused with a clear 4xx.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { GatewayError } from '../../errors.js'

/** The protocol version this server speaks. */
export const TUS_VERSION = '1.0.0'
/** The extensions it implements. */
export const TUS_EXTENSIONS = 'creation,creation-with-upload,termination,expiration,checksum'
/** Checksum algorithms (the checksum extension) it verifies. */
export const TUS_CHECKSUMS = ['sha1', 'md5'] as const
/** The only body type of PATCH (and of a creation with upload). */
export const OFFSET_STREAM = 'application/offset+octet-stream'
/** Longest Upload-Metadata header accepted (tus-js-client sends a few short keys). */
export const MAX_METADATA_BYTES = 4096

/** One header as a single string (repeated headers joined). */
export function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

/** Refuses a request without `Tus-Resumable: 1.0.0` (412, with the versions spoken). */
export function requireTusVersion(headers: IncomingHttpHeaders): void {
  const v = headerOf(headers, 'tus-resumable')
  if (v?.trim() !== TUS_VERSION) {
    throw new GatewayError(
      'GW_ERR_TUS_VERSION',
      v === undefined ? 'Tus-Resumable header is missing' : `Tus-Resumable ${v} is not supported`,
      { 'tus-version': TUS_VERSION },
    )
  }
}

/** A non-negative integer header (Upload-Length, Upload-Offset); undefined when absent. */
export function parseByteCount(
  headers: IncomingHttpHeaders,
  name: string,
  label: string,
): number | undefined {
  const raw = headerOf(headers, name)
  if (raw === undefined) return undefined
  const s = raw.trim()
  const n = Number(s)
  if (!/^\d{1,16}$/.test(s) || !Number.isSafeInteger(n))
    throw new GatewayError('GW_ERR_BAD_HEADER', `${label} must be a non-negative integer`)
  return n
}

/** Refuses a body whose type is not application/offset+octet-stream (415). */
export function requireOffsetStream(headers: IncomingHttpHeaders): void {
  const type = headerOf(headers, 'content-type')?.split(';')[0]?.trim().toLowerCase()
  if (type !== OFFSET_STREAM) throw new GatewayError('GW_ERR_MEDIA_TYPE', `The body must be ${OFFSET_STREAM}`)
}

/**
 * Upload-Metadata: comma-separated `key base64value` pairs (the value may be absent). Keys are
 * ASCII without spaces or commas, unique; values valid base64 that decodes to UTF-8.
 */
export function parseMetadata(raw: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (raw === undefined || raw.trim() === '') return out
  if (Buffer.byteLength(raw) > MAX_METADATA_BYTES)
    throw new GatewayError('GW_ERR_BAD_HEADER', `Upload-Metadata is longer than ${MAX_METADATA_BYTES} bytes`)
  for (const pair of raw.split(',')) {
    const m = /^\s*([!#-+\--~]+)(?: ([A-Za-z0-9+/]*={0,2}))?\s*$/.exec(pair)
    if (m === null)
      throw new GatewayError(
        'GW_ERR_BAD_HEADER',
        'Upload-Metadata must be "key base64value" pairs separated by commas',
      )
    const key = m[1]!
    const b64 = m[2] ?? ''
    if (out.has(key)) throw new GatewayError('GW_ERR_BAD_HEADER', `Upload-Metadata repeats the key ${key}`)
    if (b64.length % 4 !== 0)
      throw new GatewayError('GW_ERR_BAD_HEADER', `Upload-Metadata value of ${key} is not base64`)
    const bytes = Buffer.from(b64, 'base64')
    const value = bytes.toString('utf8')
    if (!Buffer.from(value, 'utf8').equals(bytes))
      throw new GatewayError('GW_ERR_BAD_HEADER', `Upload-Metadata value of ${key} is not UTF-8`)
    out.set(key, value)
  }
  return out
}

/** An Upload-Checksum: the algorithm and the expected digest (base64). */
export interface UploadChecksum {
  algorithm: (typeof TUS_CHECKSUMS)[number]
  base64: string
}

const DIGEST_BYTES: Record<UploadChecksum['algorithm'], number> = { sha1: 20, md5: 16 }

/** Upload-Checksum (`sha1 base64`); an algorithm not offered is a 400 as the extension says. */
export function parseChecksum(headers: IncomingHttpHeaders): UploadChecksum | undefined {
  const raw = headerOf(headers, 'upload-checksum')
  if (raw === undefined) return undefined
  const m = /^\s*([a-z0-9-]+) ([A-Za-z0-9+/]+={0,2})\s*$/i.exec(raw)
  if (m === null)
    throw new GatewayError('GW_ERR_BAD_HEADER', 'Upload-Checksum must be "algorithm base64digest"')
  const algorithm = m[1]!.toLowerCase()
  if (!(TUS_CHECKSUMS as readonly string[]).includes(algorithm))
    throw new GatewayError(
      'GW_ERR_BAD_HEADER',
      `Upload-Checksum algorithm ${algorithm} is not supported (use ${TUS_CHECKSUMS.join(' or ')})`,
    )
  const a = algorithm as UploadChecksum['algorithm']
  const b64 = m[2]!
  if (b64.length % 4 !== 0 || Buffer.from(b64, 'base64').length !== DIGEST_BYTES[a])
    throw new GatewayError('GW_ERR_BAD_HEADER', `Upload-Checksum is not a base64 ${a} digest`)
  return { algorithm: a, base64: b64 }
}

/** An upload id as this server makes them (24 base64url characters); anything else is unknown. */
export function isUploadId(id: string): boolean {
  return /^[A-Za-z0-9_-]{24}$/.test(id)
}
