/**
 * What share links report to the metrics: one diagnostics channel, published by the public share
 * face (shares/) and subscribed to by metrics.ts, so neither imports the other (a face is never
 * imported by src/http/*.ts). Same shape as upload-events.ts.
 */
import diagnosticsChannel from 'node:diagnostics_channel'

/** The channel's name. */
export const SHARE_EVENTS_CHANNEL = 'ftpgw:shares'

/** One use of a share link (a download, a listing, an upload), whatever became of it. */
export interface ShareEvent {
  kind: 'read' | 'drop'
  /** success; refused (4xx: expired, used up, password, address, not found…); failure (5xx); aborted. */
  outcome: 'success' | 'refused' | 'failure' | 'aborted'
  /** Bytes served or received (0 when none). */
  bytes: number
}

const channel = diagnosticsChannel.channel(SHARE_EVENTS_CHANNEL)

/** Publishes a share event for `scope` (the app's store: several gateways in one process count apart). */
export function publishShareEvent(scope: object, event: ShareEvent): void {
  if (channel.hasSubscribers) channel.publish({ scope, event })
}

/** Subscribes to the share events of `scope`; the returned function unsubscribes. */
export function onShareEvent(scope: object, handler: (event: ShareEvent) => void): () => void {
  const listener = (message: unknown) => {
    const m = message as { scope: object; event: ShareEvent }
    if (m.scope === scope) handler(m.event)
  }
  diagnosticsChannel.subscribe(SHARE_EVENTS_CHANNEL, listener)
  return () => {
    diagnosticsChannel.unsubscribe(SHARE_EVENTS_CHANNEL, listener)
  }
}
