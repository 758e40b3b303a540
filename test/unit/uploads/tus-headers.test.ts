/** The tus header parsers: what is accepted, and every malformed form refused with a clear 4xx. */
import { describe, expect, it } from 'vitest'
import {
  isUploadId,
  parseByteCount,
  parseChecksum,
  parseMetadata,
  requireOffsetStream,
  requireTusVersion,
} from '../../../src/http/rest/uploads/protocol.js'

const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('Upload-Metadata', () => {
  it('decodes pairs, keys without values, and an absent header', () => {
    const m = parseMetadata(`path ${b64('/a/ü b.txt')},filename ${b64('ü b.txt')},is_confidential`)
    expect(Object.fromEntries(m)).toEqual({ path: '/a/ü b.txt', filename: 'ü b.txt', is_confidential: '' })
    expect(parseMetadata(undefined).size).toBe(0)
    expect(parseMetadata('  ').size).toBe(0)
  })
  it.each([
    ['a value that is not base64', 'path a*b'],
    ['base64 of the wrong length', 'path YWJ'],
    ['a repeated key', `path ${b64('a')},path ${b64('b')}`],
    ['two spaces', `path  ${b64('a')}`],
    ['a key with a comma only', ','],
    ['bytes that are not UTF-8', `path ${Buffer.from([0xc3, 0x28]).toString('base64')}`],
    ['a header over 4 KiB', `path ${b64('x'.repeat(4000))}`],
  ])('refuses %s', (_name, raw) => {
    expect(() => parseMetadata(raw)).toThrow(expect.objectContaining({ code: 'GW_ERR_BAD_HEADER' }))
  })
})

describe('other tus headers', () => {
  it('Tus-Resumable must be 1.0.0 (412 with Tus-Version)', () => {
    expect(() => requireTusVersion({ 'tus-resumable': '1.0.0' })).not.toThrow()
    for (const h of [{}, { 'tus-resumable': '0.2.2' }, { 'tus-resumable': '' }]) {
      expect(() => requireTusVersion(h)).toThrow(
        expect.objectContaining({ code: 'GW_ERR_TUS_VERSION', headers: { 'tus-version': '1.0.0' } }),
      )
    }
  })
  it('byte counts are plain non-negative integers', () => {
    expect(parseByteCount({ 'upload-offset': '0' }, 'upload-offset', 'Upload-Offset')).toBe(0)
    expect(parseByteCount({ 'upload-offset': ' 42 ' }, 'upload-offset', 'Upload-Offset')).toBe(42)
    expect(parseByteCount({}, 'upload-offset', 'Upload-Offset')).toBeUndefined()
    for (const v of ['-1', '1.5', '1e3', '0x10', '', '99999999999999999'])
      expect(() => parseByteCount({ 'upload-offset': v }, 'upload-offset', 'Upload-Offset')).toThrow()
  })
  it('Content-Type must be application/offset+octet-stream (415)', () => {
    expect(() => requireOffsetStream({ 'content-type': 'application/offset+octet-stream' })).not.toThrow()
    expect(() =>
      requireOffsetStream({ 'content-type': 'Application/Offset+Octet-Stream; x=1' }),
    ).not.toThrow()
    for (const t of [undefined, 'application/octet-stream', 'text/plain'])
      expect(() => requireOffsetStream(t === undefined ? {} : { 'content-type': t })).toThrow(
        expect.objectContaining({ code: 'GW_ERR_MEDIA_TYPE' }),
      )
  })
  it('Upload-Checksum: sha1 or md5 with a digest of the right length', () => {
    const sha1 = Buffer.alloc(20).toString('base64')
    expect(parseChecksum({ 'upload-checksum': `sha1 ${sha1}` })).toEqual({ algorithm: 'sha1', base64: sha1 })
    expect(parseChecksum({})).toBeUndefined()
    for (const v of [`sha256 ${sha1}`, `md5 ${sha1}`, 'sha1', `sha1 ${sha1} extra`])
      expect(() => parseChecksum({ 'upload-checksum': v })).toThrow(
        expect.objectContaining({ code: 'GW_ERR_BAD_HEADER' }),
      )
  })
  it('upload ids have one shape', () => {
    expect(isUploadId('AAAAAAAAAAAAAAAAAAAAAAAA')).toBe(true)
    for (const id of [
      '',
      'short',
      'AAAAAAAAAAAAAAAAAAAAAAA/',
      'AAAAAAAAAAAAAAAAAAAAAAAAA',
      '../../etc/passwd',
    ])
      expect(isUploadId(id)).toBe(false)
  })
})
