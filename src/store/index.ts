/** The store layer's public API: the Store interface, its two implementations, setup and diagnostics. */
export { onStoreError, STORE_ERROR_CHANNEL, type StoreErrorEvent } from './diagnostics.js'
export { isStoreError, StoreError, type StoreErrorCode } from './errors.js'
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js'
export { RedisStore, type RedisStoreOptions, type StoreLogger, type StoreStatus } from './redis-store.js'
export { createStore, type RedisNode, redisOptionsFor, type StoreOptions } from './setup.js'
export type { LeaseOptions, MessageHandler, SetOptions, Store } from './store.js'
