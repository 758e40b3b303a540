/**
 * StoreErrors published on a `node:diagnostics_channel` as a store raises them, so the metrics
 * endpoint counts them without the store layer knowing about metrics (the engine publishes its FTP
 * command timings the same way). Publishing costs one `hasSubscribers` check when nobody listens.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import type { StoreError } from './errors.js'
import type { Store } from './store.js'

/** Name of the channel every StoreError a store raises is published on. */
export const STORE_ERROR_CHANNEL = 'ftp-gateway:store.error'

/** One failed store call, as published on STORE_ERROR_CHANNEL. */
export interface StoreErrorEvent {
  /** The store that raised it: several gateways in one process (tests) each count their own. */
  store: Store
  /** What the caller's promise rejected with. */
  error: StoreError
}

const channel = diagnosticsChannel.channel(STORE_ERROR_CHANNEL)

/**
 * Publishes `error` as raised by `store` and returns it, for `throw raised(this, err)` at the one
 * place each call fails: every rejected call is published once, and errors of other kinds (a
 * TypeError for a bad argument) never are.
 */
export function raised(store: Store, error: StoreError): StoreError {
  if (channel.hasSubscribers) channel.publish({ store, error } satisfies StoreErrorEvent)
  return error
}

/** Subscribes to the StoreErrors of one store; returns the function that unsubscribes. */
export function onStoreError(store: Store, listener: (error: StoreError) => void): () => void {
  const handler = (message: unknown) => {
    const event = message as StoreErrorEvent
    if (event.store === store) listener(event.error)
  }
  diagnosticsChannel.subscribe(STORE_ERROR_CHANNEL, handler)
  return () => {
    diagnosticsChannel.unsubscribe(STORE_ERROR_CHANNEL, handler)
  }
}
