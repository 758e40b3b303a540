/**
 * Errors the pool reports itself. Each has a stable `code` (POOL_ERR_*) so the HTTP layer can map
 * it (exhausted and closed → 503 with Retry-After) without importing the pool's classes.
 * Errors from `create` (connect, login) are passed through unchanged.
 */

/** Base of the pool's own errors. */
export class PoolError extends Error {
  override readonly name: string = 'PoolError'
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** Why an acquire found no room. */
export type ExhaustedReason = 'timeout' | 'queue-full' | 'unverified'

const EXHAUSTED_MESSAGES: Record<ExhaustedReason, string> = {
  timeout: 'no upstream session became free in time',
  'queue-full': 'too many requests waiting',
  unverified: 'too many logins with credentials not yet verified are in progress; retry later',
}

/** No resource within the wait deadline, the wait queue was full, or the unverified-login budget was. */
export class PoolExhaustedError extends PoolError {
  override readonly name = 'PoolExhaustedError'
  readonly retryAfterSeconds: number
  readonly reason: ExhaustedReason

  constructor(reason: ExhaustedReason, retryAfterSeconds: number) {
    super('POOL_ERR_EXHAUSTED', EXHAUSTED_MESSAGES[reason])
    this.reason = reason
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/** The pool is draining or drained: no new checkouts. */
export class PoolClosedError extends PoolError {
  override readonly name = 'PoolClosedError'

  constructor() {
    super('POOL_ERR_CLOSED', 'the session pool is shutting down')
  }
}

/** The caller's signal aborted while it waited. */
export class PoolAbortedError extends PoolError {
  override readonly name = 'PoolAbortedError'

  constructor(cause?: unknown) {
    super('POOL_ERR_ABORTED', 'acquire aborted while waiting', { cause })
  }
}

/** Whether `err` is one of the pool's own errors. */
export function isPoolError(err: unknown): err is PoolError {
  return err instanceof PoolError
}
