/**
 * Typed store failures. Callers (the pool, sessions, readiness) branch on `code`, never on message
 * text, so a Redis outage can become a 503 and a programming error a 500.
 */
export type StoreErrorCode =
  /** The backing service cannot be reached (down, refused, timed out, reconnecting). */
  | 'STORE_ERR_UNAVAILABLE'
  /** The store was closed by this process; no further calls are accepted. */
  | 'STORE_ERR_CLOSED'
  /** The service answered with an error (wrong value type, non-integer for incr, …). */
  | 'STORE_ERR_COMMAND'

/** An error raised by a Store implementation, with a stable `code`. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  readonly code: StoreErrorCode

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** True when `err` is a StoreError, optionally with the given code. */
export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code)
}

/**
 * Normalises a TTL to whole milliseconds of at least 1: Redis' PX/PEXPIRE take integers and
 * reject 0, so both implementations round the same way and behave alike.
 */
export function normaliseTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs)) throw new TypeError(`ttlMs must be a finite number, got ${ttlMs}`)
  return Math.max(1, Math.ceil(ttlMs))
}

/** Rejects a non-integer increment before any I/O (INCRBY only takes integers). */
export function checkIncrement(by: number): void {
  if (!Number.isSafeInteger(by)) throw new TypeError(`increment must be a safe integer, got ${by}`)
}

/** Rejects a lease limit that could never admit anyone or is not a whole number. */
export function checkLeaseLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new TypeError(`lease limit must be a non-negative integer, got ${limit}`)
  }
}
