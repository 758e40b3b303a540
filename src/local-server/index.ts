export { LocalFtpServer } from './server.js'
export type {
  CommandRecord,
  Faults,
  FeatureFlags,
  FeatureName,
  InterceptContext,
  InterceptHandler,
  LocalFtpServerOptions,
  LocalServerLogger,
} from './types.js'
export { DEFAULT_FEATURES } from './types.js'
