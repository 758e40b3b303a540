/**
 * Reloading GATEWAY_CONFIG (SIGHUP, src/main.ts): the file is read and validated exactly as at
 * start. An invalid file is refused whole (the caller logs every problem and keeps the running
 * configuration). A valid one replaces the tree (upstreams, mounts) and the settings a running
 * gateway can change; a gateway setting that cannot change without a restart (the listen address,
 * Redis, the session secret…) keeps its running value, and its key is returned so the caller can
 * say so.
 */
import { isDeepStrictEqual } from 'node:util'
import {
  ConfigError,
  type GatewayConfig,
  loadConfig,
  rememberSettingValues,
  settingValuesOf,
} from '../config.js'
import { SETTINGS, type Setting, type SettingId, type SettingValues } from './spec.js'

/**
 * Gateway settings a reload applies. Every other gateway setting is read once, by something
 * built at start (the HTTP server, the store, the caches, the login limits), so it needs a restart;
 * a setting joins this list once whatever reads it follows `Gateway.reload`.
 */
export const LIVE_SETTINGS: ReadonlySet<SettingId> = new Set<SettingId>(['logLevel'])

/** The fields of GatewayConfig a reload replaces: the tree and the live settings. */
const LIVE_FIELDS = ['upstreams', 'mounts', 'serviceAccount', 'overriddenByEnv', 'logLevel'] as const

/** The outcome of a reload. */
export type ReloadResult =
  | {
      ok: true
      /** The configuration to run with: the file's tree and live settings, the rest as running. */
      config: GatewayConfig
      /** Keys (`port`, `redis.url`…) changed in the file that keep their running value until a restart. */
      restartNeeded: readonly string[]
    }
  | { ok: false; problems: readonly string[] }

/**
 * Re-reads `current.configFile` with `env` (the process's environment: its overrides still win).
 * Pass the configuration a previous reload returned, so "changed" means changed since then.
 */
export function reloadConfig(current: GatewayConfig, env: NodeJS.ProcessEnv = process.env): ReloadResult {
  if (current.configFile === undefined)
    return { ok: false, problems: ['no GATEWAY_CONFIG: the gateway was configured by the environment only'] }
  let next: GatewayConfig
  try {
    next = loadConfig({ ...env, GATEWAY_CONFIG: current.configFile })
  } catch (err) {
    return { ok: false, problems: err instanceof ConfigError ? err.problems : [String(err)] }
  }
  const before = settingValuesOf(current)
  const after = settingValuesOf(next) as SettingValues
  const restartNeeded: string[] = []
  for (const [id, s] of Object.entries(SETTINGS) as Array<[SettingId, Setting<unknown>]>) {
    if (s.scope !== 'gateway' || s.key === '' || LIVE_SETTINGS.has(id)) continue
    // A configuration not made by loadConfig (tests) is compared field by field where names match.
    const was = before ? before[id] : (current as unknown as Record<string, unknown>)[id]
    if ((before || id in current) && !isDeepStrictEqual(was, after[id])) restartNeeded.push(s.key)
  }
  const live = Object.fromEntries(LIVE_FIELDS.map((f) => [f, next[f]]))
  const config = Object.freeze({ ...current, ...live }) as GatewayConfig
  const liveValues = Object.fromEntries([...LIVE_SETTINGS].map((id) => [id, after[id]]))
  rememberSettingValues(config, { ...(before ?? after), ...liveValues })
  return { ok: true, config, restartNeeded }
}
