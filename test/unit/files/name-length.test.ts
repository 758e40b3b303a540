/**
 * Name and path length limits count the server's bytes: an escape (docs/names.md) stands for one
 * byte, so a 255-byte latin1 name listed by a utf8 upstream (765 bytes of UTF-8) is still usable,
 * and a 256-byte one is still refused.
 */
import { describe, expect, it } from 'vitest'
import { isFileError } from '../../../src/files/errors.js'
import { MAX_NAME_BYTES, normalizeRelPath } from '../../../src/files/paths.js'

const escapes = (n: number) => '\uEFE9'.repeat(n)

describe('name length with escapes', () => {
  it('accepts a name of 255 escaped bytes', () => {
    expect(normalizeRelPath(`dir/${escapes(MAX_NAME_BYTES)}`)).toBe(`dir/${escapes(MAX_NAME_BYTES)}`)
  })

  it('refuses 256 escaped bytes, and 256 bytes of UTF-8 as before', () => {
    for (const name of [escapes(MAX_NAME_BYTES + 1), 'é'.repeat(128)]) {
      let err: unknown
      try {
        normalizeRelPath(name)
      } catch (e) {
        err = e
      }
      expect(isFileError(err, 'FILE_ERR_BAD_PATH')).toBe(true)
    }
  })
})
