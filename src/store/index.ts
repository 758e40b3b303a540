import { MemoryStore } from './memory-store.js'
import { RedisStore, type StoreLogger } from './redis-store.js'
import type { Store } from './store.js'

export { isStoreError, StoreError, type StoreErrorCode } from './errors.js'
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js'
export { RedisStore, type RedisStoreOptions, type StoreLogger, type StoreStatus } from './redis-store.js'
export type { LeaseOptions, MessageHandler, SetOptions, Store } from './store.js'

/** What createStore needs from the validated configuration. */
export interface StoreConfig {
  /** `REDIS_URL`; unset means in-process state (single instance). */
  redisUrl?: string | undefined
  /** Prefix of every Redis key and channel; default `ftpgw:`. */
  keyPrefix?: string | undefined
  logger?: StoreLogger | undefined
}

/** The store for this process: RedisStore when a Redis URL is configured, else MemoryStore. */
export function createStore(config: StoreConfig = {}): Store {
  if (!config.redisUrl) return new MemoryStore()
  return new RedisStore({ url: config.redisUrl, keyPrefix: config.keyPrefix, logger: config.logger })
}
