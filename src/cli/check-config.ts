/**
 * `ftp-gateway check-config FILE`: loads the configuration the way `serve` would, with FILE as the
 * config file (`loadConfig({ ...process.env, GATEWAY_CONFIG: FILE })`), and prints every problem.
 *
 * FILE may also be an environment file (`NAME=value` lines, as `docker --env-file` and systemd's
 * `EnvironmentFile` read them): its entries are laid over the environment and any name that is not
 * a setting is a problem too (a misspelt setting is otherwise silently ignored).
 */
import { readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { CONFIG_FILE_ENV } from '../config/flags.js'
import { summarizeConfig } from '../config/summary.js'
import { CONFIG_NAMES, ConfigError, type GatewayConfig, loadConfig } from '../config.js'

/** The outcome of a check: the problems, or a one-line summary of what would run. */
export type CheckResult = { ok: true; summary: string[] } | { ok: false; problems: string[] }

const ENV_LINE = /^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/

/** True when every line that says something is `NAME=value` (comments and blank lines aside). */
export function isEnvFile(text: string): boolean {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))
  return lines.length > 0 && lines.every((l) => ENV_LINE.test(l))
}

/** Checks `file` against `env` (the process environment). */
export function checkConfig(file: string, env: NodeJS.ProcessEnv): CheckResult {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    return { ok: false, problems: [`${file} cannot be read: ${(err as Error).message}`] }
  }
  const problems: string[] = []
  let merged: NodeJS.ProcessEnv
  if (isEnvFile(text)) {
    const entries = parseEnv(text.replace(/^\s*export\s+/gm, ''))
    for (const name of Object.keys(entries)) {
      if (!CONFIG_NAMES.includes(name)) problems.push(`${name} is not a setting (see ftp-gateway --help)`)
    }
    merged = { ...env, ...entries }
  } else merged = { ...env, [CONFIG_FILE_ENV]: file }
  let config: GatewayConfig | undefined
  try {
    config = loadConfig(merged)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    problems.push(...err.problems)
  }
  if (problems.length > 0 || config === undefined) return { ok: false, problems }
  return { ok: true, summary: summary(config) }
}

function summary(config: GatewayConfig): string[] {
  return [
    ...summarizeConfig(config),
    config.tls ? 'HTTPS (TLS_CERT_FILE, TLS_KEY_FILE)' : 'plain HTTP (no TLS_CERT_FILE)',
  ]
}
