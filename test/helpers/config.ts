/**
 * The one way tests build a GatewayConfig: the spec's defaults (through loadConfig, so a new
 * setting needs no test edits), quiet logs, a fixed session key, no local mode, then overrides.
 */
import { type GatewayConfig, loadConfig } from '../../src/config.js'

/** A complete GatewayConfig for tests; `env` is read as the environment would be. */
export function testConfig(
  overrides: Partial<GatewayConfig> = {},
  env: NodeJS.ProcessEnv = {},
): GatewayConfig {
  const base = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '1000',
    LOGIN_FAIL_LIMIT: '5',
    LOGIN_FAIL_WINDOW_MS: '60000',
    ...env,
  })
  return { ...base, local: undefined, sessionKey: Buffer.alloc(32), ...overrides }
}
