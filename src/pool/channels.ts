/**
 * The pool's messages to its peers (the other instances on the same upstream), through the store's
 * pub/sub: "I wait for budget" (peers then give back an idle session) and "drop every session of
 * this group" (an admin's drop of one user's sessions, applied on every instance).
 */
import type { Store } from '../store/store.js'

/** Handlers of the peers' messages. */
export interface PoolChannelHandlers {
  /** Another instance (`from`) waits for cluster budget. */
  wanted: (from: string) => void
  /** Some instance asked every instance to drop the sessions of `group`. */
  evict: (group: string) => void
  onWarning: (message: string, err: unknown) => void
}

/** Subscriptions and publications of one pool. */
export class PoolChannels {
  readonly #store: Store
  readonly #wanted: string
  readonly #evict: string
  readonly #unsubscribes: Array<() => Promise<void>> = []
  #closed = false

  constructor(store: Store, upstreamId: string, handlers: PoolChannelHandlers) {
    this.#store = store
    this.#wanted = `pool:wanted:${upstreamId}`
    this.#evict = `pool:evict:${upstreamId}`
    this.#subscribe(this.#wanted, handlers.wanted, 'budget-wanted', handlers.onWarning)
    this.#subscribe(this.#evict, handlers.evict, 'evict', handlers.onWarning)
  }

  /** Tells the other instances this one waits for budget. */
  publishWanted(instanceId: string): Promise<void> {
    return this.#store.publish(this.#wanted, instanceId)
  }

  /** Asks every instance (this one included) to drop the sessions of `group`. */
  publishEvict(group: string): Promise<void> {
    return this.#store.publish(this.#evict, group)
  }

  /** Unsubscribes (errors ignored: the store may be closing too). */
  async close(): Promise<void> {
    this.#closed = true
    await Promise.all(this.#unsubscribes.splice(0).map((u) => u().catch(() => undefined)))
  }

  #subscribe(
    channel: string,
    handler: (message: string) => void,
    what: string,
    warn: (message: string, err: unknown) => void,
  ): void {
    this.#store.subscribe(channel, handler).then(
      (unsubscribe) => {
        if (this.#closed) void unsubscribe().catch(() => undefined)
        else this.#unsubscribes.push(unsubscribe)
      },
      (err: unknown) => warn(`pool: ${what} subscription failed`, err),
    )
  }
}
