import { AsyncLocalStorage } from 'node:async_hooks'
import type { Logger } from 'pino'

/** The request a piece of work belongs to, carried through every async call it makes. */
const storage = new AsyncLocalStorage<{ reqId: string }>()

/** Runs `fn` (the rest of the request's hooks and handler) inside the request's context. */
export function runInRequest(reqId: string, fn: () => void): void {
  storage.run({ reqId }, fn)
}

/**
 * A pino `mixin` that adds the request id to lines logged while serving a request by loggers that
 * do not already carry it (the FTP engine's, the pool's), so one id ties a request to its FTP
 * commands. Lines from `request.log` already have it as a binding.
 */
export function requestIdMixin(_merge: object, _level: number, logger?: Logger): object {
  const ctx = storage.getStore()
  if (!ctx || logger?.bindings().reqId !== undefined) return {}
  return { reqId: ctx.reqId }
}
