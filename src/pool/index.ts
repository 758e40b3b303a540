/** The session pool: keyed, limited per key and cluster-wide, health-checked, drained on shutdown. */
export { budgetKey, ClusterBudget, holderId, unverifiedBudgetKey } from './budget.js'
export {
  type ExhaustedReason,
  isPoolError,
  PoolAbortedError,
  PoolClosedError,
  PoolError,
  PoolExhaustedError,
} from './errors.js'
export { SessionPool } from './session-pool.js'
export type {
  Checkout,
  KeyStats,
  PooledResource,
  PoolStats,
  SessionPoolOptions,
  StoreErrorPolicy,
} from './types.js'
