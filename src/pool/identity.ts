/**
 * Pool keys for an identity. A key carries the user name and a keyed hash of the password, never
 * the password: keys show up in stats and may reach logs. The hash is keyed with a per-process
 * random secret so a key seen outside the process cannot be used to test password guesses offline.
 */
import { createHmac, randomBytes } from 'node:crypto'

const processSecret = randomBytes(32)

/** The pool key for `user` with `password` (same inputs, same key, within one process). */
export function identityKey(user: string, password: string, secret: Uint8Array = processSecret): string {
  const digest = createHmac('sha256', secret).update(password, 'utf8').digest('base64url').slice(0, 22)
  // encodeURIComponent keeps the separator unambiguous whatever the user name contains.
  return `${encodeURIComponent(user)}#${digest}`
}
