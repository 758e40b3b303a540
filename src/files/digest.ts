import { createHash, type Hash } from 'node:crypto'
import { FileError } from './errors.js'
import type { WriteOptions } from './types.js'

const algorithms = { md5: 'md5', 'sha-256': 'sha256', 'sha-512': 'sha512' } as const

/**
 * Counts and hashes an upload body as it passes (fed each chunk by the transfer, not a stream stage
 * of its own), so a digest or a declared length can be checked without holding the body. `update()`
 * throws as soon as the body runs past its declared length; `verify()` runs after the upload
 * completed and before the temporary file is renamed into place.
 */
export class BodyMeter {
  bytes = 0
  readonly #hash: Hash | undefined
  readonly #opts: WriteOptions

  constructor(options: WriteOptions) {
    this.#opts = options
    this.#hash = options.digest ? createHash(algorithms[options.digest.algorithm]) : undefined
  }

  /** Takes the next chunk of the body; throws when the body is longer than declared. */
  update(chunk: Buffer): void {
    this.bytes += chunk.length
    if (this.#opts.expectedLength !== undefined && this.bytes > this.#opts.expectedLength)
      throw new FileError('FILE_ERR_BAD_REQUEST', 'Body is longer than Content-Length')
    this.#hash?.update(chunk)
  }

  /** Throws when the body was shorter than declared or its digest does not match. */
  verify(): void {
    if (this.#opts.expectedLength !== undefined && this.bytes !== this.#opts.expectedLength) {
      throw new FileError(
        'FILE_ERR_INCOMPLETE_BODY',
        `Body ended after ${this.bytes} of ${this.#opts.expectedLength} bytes`,
      )
    }
    if (this.#hash && this.#opts.digest) {
      const actual = this.#hash.digest('base64')
      if (actual !== this.#opts.digest.base64) {
        throw new FileError(
          'FILE_ERR_DIGEST_MISMATCH',
          `Body does not match its ${this.#opts.digest.algorithm} digest`,
        )
      }
    }
  }
}
