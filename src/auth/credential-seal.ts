/**
 * Sealing of FTP passwords that must outlive the request that brought them: a resumable upload's
 * (its expiry sweep acts as the creator), a share link's (every use acts as the creator), a mapped
 * upstream's linked account and an app password's FTP login. The
 * password is encrypted with AES-256-GCM under a key derived from SESSION_SECRET, with the record's
 * id bound in as associated data, so the store never holds it in clear and a sealed value moved to
 * another record does not open. Moved from rest/uploads/state.ts to http/ so two faces share it, and
 * to auth/ so a user's mapped FTP accounts (linked-accounts.ts) and app passwords share it too.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/** Seals and opens the FTP password a stored record keeps. */
export class CredentialSeal {
  readonly #key: Buffer

  /**
   * `purpose` separates the keys of different records (uploads keep their historical
   * 'tus-upload-credentials', so uploads sealed before the move still open).
   */
  constructor(sessionKey: Buffer, purpose = 'tus-upload-credentials') {
    this.#key = Buffer.from(hkdfSync('sha256', sessionKey, 'ftp-gateway', purpose, 32))
  }

  /** The password sealed for record `id` (base64: IV, tag, ciphertext). */
  seal(id: string, password: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    // The id is bound in: a sealed password moved to another record does not open.
    cipher.setAAD(Buffer.from(id, 'utf8'))
    const data = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()])
    return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')
  }

  /** The password sealed for `id`, or undefined when it does not open (other key, other id, tampered). */
  open(id: string, sealed: string): string | undefined {
    try {
      const raw = Buffer.from(sealed, 'base64')
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12))
      decipher.setAAD(Buffer.from(id, 'utf8'))
      decipher.setAuthTag(raw.subarray(12, 28))
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
    } catch {
      return undefined
    }
  }
}
