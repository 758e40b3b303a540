/**
 * How the file service uses a pooled session: the one retry-once loop, and which failures leave a
 * session's state uncertain (the pool NOOP-checks those before the session's next reuse).
 */
import { type FtpError, type FtpSession, isFtpError } from '../ftp/index.js'
import type { Checkout } from '../pool/index.js'
import { isFileError } from './errors.js'
import { isStaleSessionError, toFileError } from './translate.js'

/**
 * Refusals the server answered in step: the session is exactly where it was before the command,
 * so the next request may use it without a NOOP first (a 404 costs one command, not two).
 */
const IN_STEP_REFUSALS: ReadonlySet<FtpError['kind']> = new Set([
  'not-found',
  'permission',
  'bad-name',
  'storage-full',
  'unsupported',
])

/**
 * Whether a session given back after `err` must be checked before reuse: a timeout, an aborted
 * transfer, an unexpected reply, a lost connection or anything unknown leaves its state uncertain;
 * an ordinary refusal (550) or the service's own refusal (a conflict, a failed precondition, sent
 * after nothing went wrong on the wire) does not.
 */
export function leavesSessionUncertain(err: unknown): boolean {
  const ftp = isFtpError(err) ? err : isFileError(err) && isFtpError(err.cause) ? err.cause : undefined
  if (ftp) return !IN_STEP_REFUSALS.has(ftp.kind)
  return !isFileError(err)
}

/**
 * Runs `use` on a session from `acquire`. On a failure the session goes back with the error (and
 * is closed when it cannot serve again); a pooled session that proves stale (idle-closed, 421,
 * reset) is retried once on a fresh one when `retry` allows, which it does only while nothing has
 * reached the caller yet. `use` gives the session back itself when it succeeds: a download keeps
 * it until its body is closed. Errors leave as FileErrors.
 */
export async function onSession<T>(
  acquire: () => Promise<Checkout<FtpSession>>,
  use: (checkout: Checkout<FtpSession>) => Promise<T>,
  retry: boolean,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const checkout = await acquire()
    try {
      return await use(checkout)
    } catch (err) {
      const stale = isStaleSessionError(err)
      checkout.release({ error: err, discard: stale || !checkout.resource.usable })
      if (attempt === 0 && retry && stale) continue
      throw toFileError(err)
    }
  }
}
