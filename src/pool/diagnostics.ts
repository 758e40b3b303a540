/**
 * Pool checkouts published on a `node:diagnostics_channel` (name and message in src/channels.ts),
 * so tracing above observes the pool without the pool importing it. Costs one `hasSubscribers`
 * check per acquire when nobody listens.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { POOL_ACQUIRE_CHANNEL, type PoolAcquireEvent } from '../channels.js'

const channel = diagnosticsChannel.channel(POOL_ACQUIRE_CHANNEL)

/**
 * Publishes when `checkout` settles: how long it took and how it ended. The publication runs in a
 * continuation of the caller's promise chain, so a subscriber sees the caller's async context.
 */
export function observeAcquire<T>(upstream: string, checkout: Promise<T>): Promise<T> {
  if (!channel.hasSubscribers) return checkout
  const started = performance.now()
  const publish = (outcome: string) => {
    const event: PoolAcquireEvent = { upstream, durationMs: performance.now() - started, outcome }
    channel.publish(event)
  }
  checkout.then(
    () => publish('ok'),
    (err: unknown) =>
      publish(
        typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'error',
      ),
  )
  return checkout
}
