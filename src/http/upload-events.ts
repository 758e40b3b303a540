/**
 * What resumable uploads report to the metrics: one diagnostics channel, published by the uploads
 * routes (rest/uploads/) and subscribed to by metrics.ts, so neither imports the other (a face is
 * never imported by src/http/*.ts).
 */
import diagnosticsChannel from 'node:diagnostics_channel'

/** The channel's name. */
export const UPLOAD_EVENTS_CHANNEL = 'ftpgw:uploads'

/** One step of a resumable upload. */
export type UploadEvent =
  | { kind: 'created' }
  /** A PATCH was accepted after an interrupted one (one refused for its offset is not counted). */
  | { kind: 'resumed' }
  /** Bytes a PATCH wrote to the FTP server. */
  | { kind: 'bytes'; bytes: number }
  | { kind: 'completed' }
  | { kind: 'terminated' }
  | { kind: 'expired' }

const channel = diagnosticsChannel.channel(UPLOAD_EVENTS_CHANNEL)

/**
 * Publishes an upload event (a no-op without subscribers). `scope` is the app's store: several
 * gateways in one process (tests) each count only their own uploads.
 */
export function publishUploadEvent(scope: object, event: UploadEvent): void {
  if (channel.hasSubscribers) channel.publish({ scope, event })
}

/** Subscribes to the upload events of `scope`; the returned function unsubscribes. */
export function onUploadEvent(scope: object, handler: (event: UploadEvent) => void): () => void {
  const listener = (message: unknown) => {
    const m = message as { scope: object; event: UploadEvent }
    if (m.scope === scope) handler(m.event)
  }
  diagnosticsChannel.subscribe(UPLOAD_EVENTS_CHANNEL, listener)
  return () => {
    diagnosticsChannel.unsubscribe(UPLOAD_EVENTS_CHANNEL, listener)
  }
}
