/**
 * Command-line flags for `ftp-gateway serve`, derived from the one spec (src/config/spec.ts): every
 * setting's environment name becomes a flag (`FTP_URL` → `--ftp-url`, `RATE_LIMIT_MAX` →
 * `--rate-limit-max`), so any setting can be given either way and a new setting needs no CLI edit.
 * A flag is turned into the environment entry it names and read by loadConfig like the rest: one
 * parser, one set of problems. Flags win over the environment.
 */
import { SETTINGS, type Setting } from './spec.js'

/** The config-file setting (GATEWAY_CONFIG), named by `--config` whether or not the spec declares it yet. */
export const CONFIG_FILE_ENV = 'GATEWAY_CONFIG'

/** `FTP_URL` → `--ftp-url`. */
export function flagOf(env: string): string {
  return `--${env.toLowerCase().replaceAll('_', '-')}`
}

/** Flags that are not settings: what they do, for the help text. */
export const EXTRA_SERVE_FLAGS: ReadonlyArray<{ flag: string; doc: string }> = Object.freeze([
  { flag: '--config FILE', doc: `the config file (the same as ${CONFIG_FILE_ENV}=FILE)` },
  {
    flag: '--tls',
    doc: 'serve HTTPS; in local mode without TLS_CERT_FILE a self-signed certificate is made and its SHA-256 fingerprint printed',
  },
])

/** What `serve`'s arguments say. */
export interface ServeArgs {
  /** Environment entries the flags set (`--port 9000` → `PORT: '9000'`). */
  env: Record<string, string>
  /** `--tls` was given. */
  tls: boolean
  /** Arguments that are not flags of `serve`, or flags without their value: each a sentence. */
  problems: string[]
}

/** The flag → environment name table (settings plus `--config`). */
function flagTable(): Map<string, string> {
  const table = new Map<string, string>()
  for (const s of Object.values(SETTINGS) as Setting<unknown>[]) table.set(flagOf(s.env), s.env)
  table.set('--config', CONFIG_FILE_ENV)
  return table
}

/**
 * Parses `serve`'s arguments: `--name value` or `--name=value` for every setting, `--config FILE`,
 * `--tls`. Boolean settings also take the bare flag (`--memory-tuning` = `true`).
 */
export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const table = flagTable()
  const booleans = new Set(
    (Object.values(SETTINGS) as Setting<unknown>[])
      .filter((s) => typeof s.fallback === 'boolean')
      .map((s) => flagOf(s.env)),
  )
  const out: ServeArgs = { env: {}, tls: false, problems: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--tls') {
      out.tls = true
      continue
    }
    const eq = arg.indexOf('=')
    const flag = eq === -1 ? arg : arg.slice(0, eq)
    const env = table.get(flag)
    if (env === undefined) {
      out.problems.push(
        arg.startsWith('-')
          ? `unknown flag ${JSON.stringify(flag)}`
          : `unexpected argument ${JSON.stringify(arg)}`,
      )
      continue
    }
    if (eq !== -1) {
      out.env[env] = arg.slice(eq + 1)
      continue
    }
    const next = argv[i + 1]
    if (next !== undefined && !next.startsWith('--')) {
      out.env[env] = next
      i++
    } else if (booleans.has(flag)) out.env[env] = 'true'
    else out.problems.push(`${flag} needs a value`)
  }
  return out
}

/** One block of the help text per setting: flag, environment name, default, doc. */
export function settingsHelp(): string {
  const blocks = (Object.values(SETTINGS) as Setting<unknown>[]).map((s) => {
    const scope = s.scope === 'local' ? ' (local mode)' : ''
    return `  ${flagOf(s.env)} VALUE   env ${s.env}${scope}, default ${plain(s.defaultDoc)}\n      ${plain(s.doc)}`
  })
  return blocks.join('\n')
}

/** Markdown code spans read as plain text in a terminal. */
function plain(text: string): string {
  return text.replaceAll('`', '')
}
