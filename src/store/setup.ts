/**
 * The process's store from plain options (the gateway maps its configuration onto them, so the
 * store layer never reads the configuration): one Redis server, Sentinel, Cluster, or memory.
 * Nothing wraps the store: each store publishes its own StoreErrors (diagnostics.ts), which is how
 * /metrics counts them.
 */
import { MemoryStore } from './memory-store.js'
import type { RedisStoreOptions, StoreLogger } from './redis-connection.js'
import { RedisStore } from './redis-store.js'
import type { Store } from './store.js'

/** A Redis node's address (Sentinel or Cluster seed). */
export interface RedisNode {
  host: string
  port: number
}

/** Where the process keeps its shared state; with none of the three topologies, in memory. */
export interface StoreOptions {
  /** `redis://` or `rediss://` URL of a single server (REDIS_URL). */
  redisUrl?: string | undefined
  /** Sentinel addresses (REDIS_SENTINELS); `sentinelName` is the monitored master. */
  sentinels?: readonly RedisNode[] | undefined
  /** The master the Sentinels monitor (REDIS_SENTINEL_NAME). */
  sentinelName?: string | undefined
  /** Cluster seed nodes (REDIS_CLUSTER_NODES). */
  clusterNodes?: readonly RedisNode[] | undefined
  /** Prefix of every Redis key and channel; default `ftpgw:`. */
  keyPrefix?: string | undefined
  logger?: StoreLogger | undefined
}

/** How to reach Redis for these options (Cluster, then Sentinel, then URL), or undefined for memory. */
export function redisOptionsFor(options: StoreOptions): RedisStoreOptions | undefined {
  const keyPrefix = options.keyPrefix
  if (options.clusterNodes) return { cluster: [...options.clusterNodes], keyPrefix }
  if (options.sentinels) return { sentinels: [...options.sentinels], name: options.sentinelName, keyPrefix }
  if (options.redisUrl) return { url: options.redisUrl, keyPrefix }
  return undefined
}

/** The store for this process: RedisStore when a Redis topology is given, else MemoryStore. */
export function createStore(options: StoreOptions = {}): Store {
  const redis = redisOptionsFor(options)
  return redis === undefined ? new MemoryStore() : new RedisStore({ ...redis, logger: options.logger })
}
