/**
 * The gateway's store from its configuration: a single Redis server (REDIS_URL), Sentinel
 * (REDIS_SENTINELS + REDIS_SENTINEL_NAME), Cluster (REDIS_CLUSTER_NODES), or memory. The store is
 * wrapped so every StoreError it raises is counted for /metrics, without the store layer knowing
 * about metrics.
 */
import type { GatewayConfig } from './config.js'
import { createStore, isStoreError, RedisStore, type Store, type StoreLogger } from './store/index.js'
import type { RedisStoreOptions } from './store/redis-connection.js'

/** How to reach Redis for this configuration, or undefined for in-memory state. */
export function redisOptionsFor(
  config: Pick<
    GatewayConfig,
    'redisUrl' | 'redisKeyPrefix' | 'redisSentinels' | 'redisSentinelName' | 'redisClusterNodes'
  >,
): RedisStoreOptions | undefined {
  const keyPrefix = config.redisKeyPrefix
  if (config.redisClusterNodes) return { cluster: [...config.redisClusterNodes], keyPrefix }
  if (config.redisSentinels) {
    return { sentinels: [...config.redisSentinels], name: config.redisSentinelName, keyPrefix }
  }
  if (config.redisUrl) return { url: config.redisUrl, keyPrefix }
  return undefined
}

// Counters live beside the store rather than in it: the store layer stays free of metrics.
const errorCounts = new WeakMap<object, { count: number }>()

/** StoreErrors raised so far by a store made with createGatewayStore (0 for any other store). */
export function storeErrorCount(store: Store | undefined): number {
  return store === undefined ? 0 : (errorCounts.get(store)?.count ?? 0)
}

/**
 * Wraps a store so rejected calls with a StoreError are counted. Methods are called on the real
 * store (not through the proxy), so implementations with private state behave as before.
 */
export function countStoreErrors<S extends Store>(store: S): S {
  const counter = { count: 0 }
  const wrapped = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args)
        if (result instanceof Promise) {
          // Observe only: the caller still receives the original promise and its rejection.
          result.catch((err: unknown) => {
            if (isStoreError(err)) counter.count++
          })
        }
        return result
      }
    },
  })
  errorCounts.set(wrapped, counter)
  return wrapped
}

/** The store for this process, with StoreErrors counted. */
export function createGatewayStore(config: GatewayConfig, logger?: StoreLogger): Store {
  const redis = redisOptionsFor(config)
  const store =
    redis === undefined || redis.url !== undefined
      ? createStore({ redisUrl: config.redisUrl, keyPrefix: config.redisKeyPrefix, logger })
      : new RedisStore({ ...redis, logger })
  return countStoreErrors(store)
}
