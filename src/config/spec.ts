/**
 * The one declaration of every setting: its environment name, its key in a config file, type,
 * default, bounds and a one-line doc. Parsing and validation (src/config.ts), `CONFIG_NAMES` (the
 * deployment manifests' check), the README's settings table (src/config/docs.ts) and the CLI's help
 * all come from this table, so a setting is added here and nowhere else (docs/architecture.md).
 *
 * A parser takes what the environment gives (a string) or what a config file gives (a string, a
 * number, a boolean) and returns the value or a problem, never throws: every problem is reported
 * at once.
 */

import iconv from 'iconv-lite'
import { nameCodec } from '../ftp/index.js'

/** The result of parsing one setting: its value, or a sentence saying what is wrong. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string }

/** One setting. */
export interface Setting<T> {
  /** Environment variable (a contract: README and docs/architecture.md name it). */
  readonly env: string
  /**
   * Dotted key in a config file (GATEWAY_CONFIG). Upstream-scoped settings are keys within one
   * `upstreams.<name>` entry; the environment sets them for the single upstream at `/`. Empty
   * for GATEWAY_CONFIG, which names the file itself.
   */
  readonly key: string
  /** Where the key lives: the gateway as a whole, one upstream, or local mode only. */
  readonly scope: 'gateway' | 'upstream' | 'local'
  /** One line for the README table and `--help`. */
  readonly doc: string
  /** The default as documented (may describe a rule rather than a value). */
  readonly defaultDoc: string
  /** The value when the setting is absent. */
  readonly fallback: T
  /** Parses a present value; `name` is how problems name the setting. */
  readonly parse: (raw: unknown, name: string) => Parsed<T>
  /** Values that are secrets are never echoed back in problems. */
  readonly secret?: boolean
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value })
const bad = (problem: string): Parsed<never> => ({ ok: false, problem })

/** How a raw value is shown in a problem (quoted, cut short). */
function shown(raw: unknown): string {
  const s = typeof raw === 'string' ? raw : String(raw)
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s)
}

/** The longest delay a Node timer holds (2^31 - 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647

/** A whole number within bounds. */
export function intSetting(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: unknown, name: string): Parsed<number> => {
    const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : ''
    const n = Number(s)
    if (!/^\d+$/.test(s) || n < min || n > max)
      return bad(`${name} must be an integer from ${min} to ${max} (got ${shown(raw)})`)
    return ok(n)
  }
}

/** true/false (also 1/0, yes/no). */
export function boolSetting(raw: unknown, name: string): Parsed<boolean> {
  if (typeof raw === 'boolean') return ok(raw)
  const s = typeof raw === 'string' ? raw.trim().toLowerCase() : ''
  if (['true', '1', 'yes'].includes(s)) return ok(true)
  if (['false', '0', 'no'].includes(s)) return ok(false)
  return bad(`${name} must be true or false (got ${shown(raw)})`)
}

/** Any non-empty string. */
export function stringSetting(raw: unknown, name: string): Parsed<string> {
  if (typeof raw !== 'string' || raw === '') return bad(`${name} must be a non-empty string`)
  return ok(raw)
}

/** One of a fixed list of words. */
export function enumSetting<const W extends string>(words: readonly W[]) {
  return (raw: unknown, name: string): Parsed<W> => {
    if (typeof raw === 'string' && (words as readonly string[]).includes(raw)) return ok(raw as W)
    const list =
      words.length === 2 ? words.join(' or ') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`
    return bad(`${name} must be ${list} (got ${shown(raw)})`)
  }
}

/** A port range such as 40000-40100. */
export function portRangeSetting(raw: unknown, name: string): Parsed<[number, number]> {
  const m = typeof raw === 'string' ? /^(\d{1,5})-(\d{1,5})$/.exec(raw.trim()) : null
  const lo = Number(m?.[1])
  const hi = Number(m?.[2])
  if (!m || lo < 1 || hi > 65535 || lo > hi) return bad(`${name} must be a range such as 40000-40100`)
  return ok([lo, hi])
}

/** `host:port,host:port` (IPv6 hosts in brackets). */
export function hostPortsSetting(raw: unknown, name: string): Parsed<Array<{ host: string; port: number }>> {
  const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw.map(String) : []
  const nodes = items.map((item) => {
    const m = /^\s*([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\s*$/.exec(item)
    return m ? { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) } : undefined
  })
  if (nodes.length === 0 || nodes.some((n) => n === undefined || n.port < 1 || n.port > 65535))
    return bad(`${name} must be a list such as host1:26379,host2:26379`)
  return ok(nodes as Array<{ host: string; port: number }>)
}

/**
 * A character encoding iconv-lite knows (utf8, latin1, windows-1252, shift_jis…) that FTP commands
 * can be written in: ASCII must stay ASCII, so UTF-16, UTF-7 or EBCDIC are refused here, at start,
 * rather than by the engine at the first login.
 */
export function encodingSetting(raw: unknown, name: string): Parsed<string> {
  if (typeof raw !== 'string' || raw.trim() === '' || !iconv.encodingExists(raw.trim()))
    return bad(
      `${name} must be an encoding such as utf8, latin1, windows-1252 or shift_jis (got ${shown(raw)})`,
    )
  const value = raw.trim().toLowerCase()
  try {
    nameCodec(value)
  } catch {
    return bad(`${name} must be ASCII-compatible: FTP commands cannot be written in ${shown(raw)}`)
  }
  return ok(value)
}

/** An IANA time zone name (UTC, Europe/Berlin…). */
export function timezoneSetting(raw: unknown, name: string): Parsed<string> {
  const s = typeof raw === 'string' ? raw.trim() : ''
  try {
    if (s === '') throw new RangeError('empty')
    return ok(new Intl.DateTimeFormat('en-US', { timeZone: s }).resolvedOptions().timeZone)
  } catch {
    return bad(`${name} must be an IANA time zone such as UTC or Europe/Berlin (got ${shown(raw)})`)
  }
}

import { type TrustProxy, trustProxySetting } from './trust-proxy.js'

/** `user:alice,group:ops` (or a list from a config file) -> the entries, each with its kind. */
export function adminsSetting(raw: unknown, name: string): Parsed<readonly string[]> {
  const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw.map(String) : []
  const entries: string[] = []
  for (const item of items) {
    // Kept with their kind (`user:alice`, `group:ops`); loadConfig splits them into the two lists.
    const m = /^\s*(user|group):(\S+?)\s*$/.exec(item)
    if (!m) return bad(`${name} entries must look like user:NAME or group:NAME (got ${shown(item.trim())})`)
    entries.push(`${m[1]}:${m[2]}`)
  }
  return ok(entries)
}

/**
 * An OpenID issuer URL: https, or plain http only on the loopback (a provider on the same host,
 * tests): keys fetched over the network in clear could be swapped, and with them every identity.
 */
export function issuerSetting(raw: unknown, name: string): Parsed<string> {
  let url: URL | undefined
  try {
    url = typeof raw === 'string' ? new URL(raw) : undefined
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    return bad(
      `${name} must be an https URL such as https://login.example.com/realms/staff (got ${shown(raw)})`,
    )
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)
  if (url.protocol === 'http:' && !loopback)
    return bad(`${name} must use https (http only on 127.0.0.1, ::1 or localhost; got ${shown(raw)})`)
  if (url.search !== '' || url.hash !== '')
    return bad(`${name} must have no query or fragment (got ${shown(raw)})`)
  // Kept as written (bar a trailing slash): the tokens' `iss` must equal it exactly.
  return ok((raw as string).replace(/\/+$/, ''))
}

/** OAuth scopes: a comma or space list (or a list from a config file) of scope tokens. */
export function scopesSetting(raw: unknown, name: string): Parsed<readonly string[]> {
  const items = typeof raw === 'string' ? raw.split(/[\s,]+/) : Array.isArray(raw) ? raw.map(String) : []
  const scopes = items.filter((s) => s !== '')
  if (scopes.length === 0 || scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)))
    return bad(`${name} must be scope names such as openid,profile,groups (got ${shown(raw)})`)
  return ok(scopes.includes('openid') ? scopes : ['openid', ...scopes])
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Declares a setting; `fallback` undefined means "unset" (the type then includes undefined). */
function setting<T>(s: Setting<T>): Setting<T> {
  return Object.freeze(s)
}

/**
 * Every setting. Order is the README's order. Settings whose meaning depends on others (FTP_URL's
 * account and service-account mode, SESSION_SECRET with Redis, one Redis topology) are checked
 * together in src/config.ts after each has been parsed here.
 */
export const SETTINGS = {
  host: setting<string | undefined>({
    env: 'HOST',
    key: 'host',
    scope: 'gateway',
    doc: 'HTTP listen address',
    defaultDoc: '`127.0.0.1` in local mode, else `0.0.0.0`',
    fallback: undefined,
    parse: stringSetting,
  }),
  port: setting<number>({
    env: 'PORT',
    key: 'port',
    scope: 'gateway',
    doc: 'HTTP listen port',
    defaultDoc: '8080',
    fallback: 8080,
    parse: intSetting(0, 65535),
  }),
  tlsCertFile: setting<string | undefined>({
    env: 'TLS_CERT_FILE',
    key: 'tls.certFile',
    scope: 'gateway',
    doc: 'serve HTTPS (TLS 1.2 and later only) with this PEM certificate chain; a file replaced on disk (cert-manager, certbot) is used for new connections without a restart, open ones keep theirs. Needs `TLS_KEY_FILE`',
    defaultDoc: 'unset: plain HTTP',
    fallback: undefined,
    parse: stringSetting,
  }),
  tlsKeyFile: setting<string | undefined>({
    env: 'TLS_KEY_FILE',
    key: 'tls.keyFile',
    scope: 'gateway',
    doc: "the PEM private key of `TLS_CERT_FILE`'s certificate",
    defaultDoc: 'unset',
    fallback: undefined,
    parse: stringSetting,
  }),
  ftpUrl: setting<string | undefined>({
    env: 'FTP_URL',
    key: 'url',
    scope: 'upstream',
    doc: 'upstream: `ftp://host:21` (plain), `ftpes://host:21` (explicit TLS, required), `ftps://host:990` (implicit TLS); a path sets the root HTTP paths map under; `user:pass@` selects service-account mode',
    defaultDoc: 'unset: local mode',
    fallback: undefined,
    parse: stringSetting,
    secret: true,
  }),
  ftpDataMode: setting<'passive' | 'active' | 'auto'>({
    env: 'FTP_DATA_MODE',
    key: 'dataMode',
    scope: 'upstream',
    doc: '`passive` (EPSV, then PASV), `active` (EPRT, then PORT), `auto` (passive, then active)',
    defaultDoc: '`passive`',
    fallback: 'passive',
    parse: enumSetting(['passive', 'active', 'auto']),
  }),
  ftpActiveAddress: setting<string | undefined>({
    env: 'FTP_ACTIVE_ADDRESS',
    key: 'activeAddress',
    scope: 'upstream',
    doc: 'address advertised in EPRT/PORT',
    defaultDoc: "the control socket's local address",
    fallback: undefined,
    parse: stringSetting,
  }),
  ftpActivePorts: setting<[number, number] | undefined>({
    env: 'FTP_ACTIVE_PORTS',
    key: 'activePorts',
    scope: 'upstream',
    doc: 'local port range for active data connections, such as `40000-40100`',
    defaultDoc: 'any',
    fallback: undefined,
    parse: portRangeSetting,
  }),
  ftpTlsCaFile: setting<string | undefined>({
    env: 'FTP_TLS_CA_FILE',
    key: 'tls.caFile',
    scope: 'upstream',
    doc: "trust roots (PEM) for the upstream's certificate",
    defaultDoc: 'system roots',
    fallback: undefined,
    parse: stringSetting,
  }),
  ftpTlsInsecure: setting<boolean>({
    env: 'FTP_TLS_INSECURE',
    key: 'tls.insecure',
    scope: 'upstream',
    doc: "`true` skips verification of the upstream's certificate (logged as a warning)",
    defaultDoc: '`false`',
    fallback: false,
    parse: boolSetting,
  }),
  ftpPoolMax: setting<number>({
    env: 'FTP_POOL_MAX',
    key: 'pool.perIdentity',
    scope: 'upstream',
    doc: 'FTP sessions per identity (at least 2: a copy reads and writes at once)',
    defaultDoc: '4; in service-account mode (all clients share one FTP account) `FTP_POOL_MAX_TOTAL`',
    fallback: 4,
    parse: intSetting(2, 1000),
  }),
  ftpPoolMaxTotal: setting<number>({
    env: 'FTP_POOL_MAX_TOTAL',
    key: 'pool.total',
    scope: 'upstream',
    doc: 'FTP sessions to the upstream across the whole cluster',
    defaultDoc: '32',
    fallback: 32,
    parse: intSetting(1, 100_000),
  }),
  ftpPoolMaxUnverified: setting<number>({
    env: 'FTP_POOL_MAX_UNVERIFIED',
    key: 'pool.unverified',
    scope: 'upstream',
    doc: "FTP logins in progress at once, cluster-wide, for credentials not yet known to work (no live session, no success in the last hour); beyond it 503 with `Retry-After`, so guesses never take the verified users' room. At most `FTP_POOL_MAX_TOTAL`",
    defaultDoc: '4',
    fallback: 4,
    parse: intSetting(1, 100_000),
  }),
  ftpReverifyMs: setting<number>({
    env: 'FTP_REVERIFY_MS',
    key: 'reverifyMs',
    scope: 'upstream',
    doc: 'pooled sessions of one credential are reused only this long after its last successful login; then the next request logs in afresh, and if that is refused every session of the credential is dropped (a password changed on the FTP server stops working within this time)',
    defaultDoc: '300000',
    fallback: 300_000,
    parse: intSetting(100, MAX_TIMER_MS),
  }),
  ftpIdleTimeoutMs: setting<number>({
    env: 'FTP_IDLE_TIMEOUT_MS',
    key: 'idleTimeoutMs',
    scope: 'upstream',
    doc: 'idle FTP sessions are closed after this long',
    defaultDoc: '60000',
    fallback: 60_000,
    parse: intSetting(1000),
  }),
  ftpTimeoutMs: setting<number>({
    env: 'FTP_TIMEOUT_MS',
    key: 'timeoutMs',
    scope: 'upstream',
    doc: 'control and data connection inactivity timeout',
    defaultDoc: '30000',
    fallback: 30_000,
    parse: intSetting(100),
  }),
  ftpPasswordFile: setting<string | undefined>({
    env: 'FTP_PASSWORD_FILE',
    key: 'passwordFile',
    scope: 'upstream',
    doc: "file holding the service account's password (instead of a password in the URL)",
    defaultDoc: 'unset',
    fallback: undefined,
    parse: stringSetting,
  }),
  ftpKeepaliveMs: setting<number>({
    env: 'FTP_KEEPALIVE_MS',
    key: 'keepaliveMs',
    scope: 'upstream',
    doc: 'idle pooled sessions send NOOP this often, for servers and firewalls that drop quiet connections (0: never)',
    defaultDoc: '0',
    fallback: 0,
    parse: intSetting(0, MAX_TIMER_MS),
  }),
  ftpEncoding: setting<string>({
    env: 'FTP_ENCODING',
    key: 'encoding',
    scope: 'upstream',
    doc: 'how the server encodes names: utf8 or any ASCII-compatible encoding iconv-lite knows (latin1, windows-1252, shift_jis, gbk, cp437…); bytes it cannot decode are shown as U+EF00 + byte and written back exactly (docs/names.md)',
    defaultDoc: '`utf8`',
    fallback: 'utf8',
    parse: encodingSetting,
  }),
  ftpTimezone: setting<string>({
    env: 'FTP_TIMEZONE',
    key: 'timezone',
    scope: 'upstream',
    doc: "IANA time zone of the server's clock, for LIST times that carry no zone (MLSD times are UTC)",
    defaultDoc: '`UTC`',
    fallback: 'UTC',
    parse: timezoneSetting,
  }),
  ftpListHidden: setting<boolean>({
    env: 'FTP_LIST_HIDDEN',
    key: 'listHidden',
    scope: 'upstream',
    doc: 'list dot files (LIST -a, on UNIX-type servers without MLSD); false sends a plain LIST (MLSD servers list everything)',
    defaultDoc: 'true',
    fallback: true,
    parse: boolSetting,
  }),
  ftpReadOnly: setting<boolean>({
    env: 'FTP_READ_ONLY',
    key: 'readOnly',
    scope: 'upstream',
    doc: 'refuse every write to this upstream (403 before any FTP command)',
    defaultDoc: 'false',
    fallback: false,
    parse: boolSetting,
  }),
  ftpCredentials: setting<'passthrough' | 'service' | 'mapped' | undefined>({
    env: 'FTP_CREDENTIALS',
    key: 'credentials',
    scope: 'upstream',
    doc: "how users reach the upstream: `passthrough` (their own Basic credentials are the FTP login), `service` (the URL's `user:pass@` account for everybody; needs one), `mapped` (each user's own FTP account, linked once with `PUT /api/v1/me/credentials/{upstream}` and kept sealed in the store)",
    defaultDoc: '`service` when the URL has an account, else `passthrough`',
    fallback: undefined,
    parse: enumSetting(['passthrough', 'service', 'mapped']),
  }),
  gatewayConfig: setting<string | undefined>({
    env: 'GATEWAY_CONFIG',
    key: '',
    scope: 'gateway',
    doc: 'path of a YAML or JSON config file (upstreams, mounts and any setting by its key); not together with FTP_URL',
    defaultDoc: 'unset',
    fallback: undefined,
    parse: stringSetting,
  }),
  redisUrl: setting<string | undefined>({
    env: 'REDIS_URL',
    key: 'redis.url',
    scope: 'gateway',
    doc: '`redis://…` or `rediss://…`; unset keeps state in memory (one instance)',
    defaultDoc: 'unset',
    fallback: undefined,
    parse: (raw, name) =>
      typeof raw === 'string' && /^rediss?:\/\//.test(raw)
        ? ok(raw)
        : bad(`${name} must start with redis:// or rediss://`),
    secret: true,
  }),
  redisKeyPrefix: setting<string>({
    env: 'REDIS_KEY_PREFIX',
    key: 'redis.keyPrefix',
    scope: 'gateway',
    doc: 'prefix of every Redis key and channel (several deployments on one Redis)',
    defaultDoc: '`ftpgw:`',
    fallback: 'ftpgw:',
    parse: stringSetting,
  }),
  redisSentinels: setting<Array<{ host: string; port: number }> | undefined>({
    env: 'REDIS_SENTINELS',
    key: 'redis.sentinels',
    scope: 'gateway',
    doc: 'reach Redis through Sentinel (`host:port,host:port`)',
    defaultDoc: 'unset',
    fallback: undefined,
    parse: hostPortsSetting,
  }),
  redisSentinelName: setting<string>({
    env: 'REDIS_SENTINEL_NAME',
    key: 'redis.sentinelName',
    scope: 'gateway',
    doc: "the Sentinel master's name",
    defaultDoc: '`mymaster`',
    fallback: 'mymaster',
    parse: stringSetting,
  }),
  redisClusterNodes: setting<Array<{ host: string; port: number }> | undefined>({
    env: 'REDIS_CLUSTER_NODES',
    key: 'redis.clusterNodes',
    scope: 'gateway',
    doc: 'seed nodes of a Redis Cluster (`host:port,…`)',
    defaultDoc: 'unset',
    fallback: undefined,
    parse: hostPortsSetting,
  }),
  readyRequiresStore: setting<boolean>({
    env: 'READY_REQUIRES_STORE',
    key: 'readyRequiresStore',
    scope: 'gateway',
    doc: '`/readyz` fails while Redis is unreachable (by default the gateway keeps serving what does not need it)',
    defaultDoc: '`false`',
    fallback: false,
    parse: boolSetting,
  }),
  sessionSecret: setting<string | undefined>({
    env: 'SESSION_SECRET',
    key: 'sessionSecret',
    scope: 'gateway',
    doc: 'key for encrypting stored credentials (16+ characters); required with Redis',
    defaultDoc: 'random per process',
    fallback: undefined,
    parse: (raw, name) =>
      typeof raw === 'string' && raw.length >= 16 ? ok(raw) : bad(`${name} must be at least 16 characters`),
    secret: true,
  }),
  sessionTtlMs: setting<number>({
    env: 'SESSION_TTL_MS',
    key: 'sessionTtlMs',
    scope: 'gateway',
    doc: 'sliding lifetime of an API token',
    defaultDoc: '3600000',
    fallback: 3_600_000,
    parse: intSetting(1000),
  }),
  tokenCacheTtlMs: setting<number>({
    env: 'TOKEN_CACHE_TTL_MS',
    key: 'tokenCacheTtlMs',
    scope: 'gateway',
    doc: 'with Redis: while the store cannot be read (a failover), bearer tokens it confirmed within this long are still accepted from memory; 0: off',
    defaultDoc: '120000',
    fallback: 120_000,
    parse: intSetting(0, 3_600_000),
  }),
  cacheTtlMs: setting<number>({
    env: 'CACHE_TTL_MS',
    key: 'cache.ttlMs',
    scope: 'gateway',
    doc: 'metadata cache lifetime (0 disables)',
    defaultDoc: '5000',
    fallback: 5000,
    parse: intSetting(0),
  }),
  cacheContentMaxBytes: setting<number>({
    env: 'CACHE_CONTENT_MAX_BYTES',
    key: 'cache.contentMaxBytes',
    scope: 'gateway',
    doc: 'memory for the bytes of small files, kept as long as their metadata (`CACHE_TTL_MS`) and dropped with it on any write through any instance; a repeat GET of such a file costs no FTP command (with Redis, one stat to check the ETag). 0 disables',
    defaultDoc: '33554432 (32 MiB)',
    fallback: 32 * 1024 * 1024,
    parse: intSetting(0),
  }),
  cacheContentMaxFileBytes: setting<number>({
    env: 'CACHE_CONTENT_MAX_FILE_BYTES',
    key: 'cache.contentMaxFileBytes',
    scope: 'gateway',
    doc: 'largest file kept there; bigger files always stream',
    defaultDoc: '65536',
    fallback: 64 * 1024,
    parse: intSetting(0, 16 * 1024 * 1024),
  }),
  trustProxy: setting<TrustProxy>({
    env: 'TRUST_PROXY',
    key: 'trustProxy',
    scope: 'gateway',
    doc: "which peers' `X-Forwarded-For/-Proto/-Host` are believed: `false`, a hop count (`1` for one load balancer; then only the proxy may reach the gateway), or a comma list of the proxies' addresses/CIDRs (`loopback`, `linklocal`, `uniquelocal` allowed). `true` reads as `1`, with a warning",
    defaultDoc: '`false`',
    fallback: false,
    parse: trustProxySetting,
  }),
  logLevel: setting<(typeof LOG_LEVELS)[number]>({
    env: 'LOG_LEVEL',
    key: 'logLevel',
    scope: 'gateway',
    doc: 'pino log level',
    defaultDoc: '`info`',
    fallback: 'info',
    parse: (raw, name) =>
      typeof raw === 'string' && (LOG_LEVELS as readonly string[]).includes(raw)
        ? ok(raw as (typeof LOG_LEVELS)[number])
        : bad(`${name} must be one of ${LOG_LEVELS.join(', ')}`),
  }),
  otelEndpoint: setting<string | undefined>({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    key: 'tracing.endpoint',
    scope: 'gateway',
    doc: 'OpenTelemetry: OTLP/HTTP collector base URL (traces go to `<url>/v1/traces`); unset: tracing off, no SDK loaded',
    defaultDoc: 'unset',
    fallback: undefined,
    parse: (raw, name) => {
      if (typeof raw !== 'string') return bad(`${name} must be an http(s) URL`)
      try {
        const url = new URL(raw)
        if (url.protocol === 'http:' || url.protocol === 'https:') return ok(raw)
      } catch {
        // reported below
      }
      return bad(`${name} must be an http(s) URL such as http://otel-collector:4318 (got ${shown(raw)})`)
    },
  }),
  otelServiceName: setting<string>({
    env: 'OTEL_SERVICE_NAME',
    key: 'tracing.serviceName',
    scope: 'gateway',
    doc: 'OpenTelemetry: `service.name` of the spans',
    defaultDoc: '`ftp-gateway`',
    fallback: 'ftp-gateway',
    parse: stringSetting,
  }),
  htpasswdFile: setting<string | undefined>({
    env: 'GATEWAY_HTPASSWD',
    key: 'htpasswd',
    scope: 'gateway',
    doc: 'bcrypt htpasswd file for service-account mode (reloaded when it changes)',
    defaultDoc: 'unset',
    fallback: undefined,
    parse: stringSetting,
  }),
  oidcIssuer: setting<string | undefined>({
    env: 'OIDC_ISSUER',
    key: 'oidc.issuer',
    scope: 'gateway',
    doc: "OpenID Connect: the provider's issuer URL (`https://…`; `http://` only on 127.0.0.1, ::1 or localhost). Bearer JWTs it signs are accepted on REST and WebDAV (keys from its `/.well-known/openid-configuration` `jwks_uri`). Needs `OIDC_CLIENT_ID`",
    defaultDoc: 'unset: no JWTs',
    fallback: undefined,
    parse: issuerSetting,
  }),
  oidcClientId: setting<string | undefined>({
    env: 'OIDC_CLIENT_ID',
    key: 'oidc.clientId',
    scope: 'gateway',
    doc: "OpenID Connect: the gateway's client id at the provider (also the JWTs' expected audience unless `OIDC_AUDIENCE`)",
    defaultDoc: 'unset',
    fallback: undefined,
    parse: stringSetting,
  }),
  oidcClientSecret: setting<string | undefined>({
    env: 'OIDC_CLIENT_SECRET',
    key: 'oidc.clientSecret',
    scope: 'gateway',
    doc: "OpenID Connect: the client's secret (for the browser sign-in); not together with `OIDC_CLIENT_SECRET_FILE`",
    defaultDoc: 'unset',
    fallback: undefined,
    parse: stringSetting,
    secret: true,
  }),
  oidcClientSecretFile: setting<string | undefined>({
    env: 'OIDC_CLIENT_SECRET_FILE',
    key: 'oidc.clientSecretFile',
    scope: 'gateway',
    doc: "OpenID Connect: a file holding the client's secret (one trailing newline ignored)",
    defaultDoc: 'unset',
    fallback: undefined,
    parse: stringSetting,
  }),
  oidcScopes: setting<readonly string[]>({
    env: 'OIDC_SCOPES',
    key: 'oidc.scopes',
    scope: 'gateway',
    doc: "OpenID Connect: scopes the sign-in asks for (comma or space list; `openid` is always asked; `groups` only when the provider's discovery lists it in `scopes_supported`, or lists none)",
    defaultDoc: '`openid,profile,email,groups`',
    fallback: ['openid', 'profile', 'email', 'groups'],
    parse: scopesSetting,
  }),
  oidcUsernameClaim: setting<string>({
    env: 'OIDC_USERNAME_CLAIM',
    key: 'oidc.usernameClaim',
    scope: 'gateway',
    doc: "OpenID Connect: the JWT claim that names the person (mount rules' `user:NAME`, audit lines)",
    defaultDoc: '`preferred_username`',
    fallback: 'preferred_username',
    parse: stringSetting,
  }),
  oidcGroupsClaim: setting<string>({
    env: 'OIDC_GROUPS_CLAIM',
    key: 'oidc.groupsClaim',
    scope: 'gateway',
    doc: "OpenID Connect: the JWT claim with the person's groups (an array of strings; mount rules' `group:NAME`)",
    defaultDoc: '`groups`',
    fallback: 'groups',
    parse: stringSetting,
  }),
  oidcAudience: setting<string | undefined>({
    env: 'OIDC_AUDIENCE',
    key: 'oidc.audience',
    scope: 'gateway',
    doc: 'OpenID Connect: the `aud` a Bearer JWT must carry',
    defaultDoc: '`OIDC_CLIENT_ID`',
    fallback: undefined,
    parse: stringSetting,
  }),
  loginFailLimit: setting<number>({
    env: 'LOGIN_FAIL_LIMIT',
    key: 'login.failLimit',
    scope: 'gateway',
    doc: 'failed logins allowed per client address and user per window',
    defaultDoc: '10',
    fallback: 10,
    parse: intSetting(1),
  }),
  loginFailWindowMs: setting<number>({
    env: 'LOGIN_FAIL_WINDOW_MS',
    key: 'login.failWindowMs',
    scope: 'gateway',
    doc: 'the window of `LOGIN_FAIL_LIMIT`',
    defaultDoc: '300000',
    fallback: 300_000,
    parse: intSetting(1000),
  }),
  loginFailLimitPerAddress: setting<number>({
    env: 'LOGIN_FAIL_LIMIT_PER_ADDRESS',
    key: 'login.failLimitPerAddress',
    scope: 'gateway',
    doc: 'failed logins per client address across all user names per window (0 disables)',
    defaultDoc: '50',
    fallback: 50,
    parse: intSetting(0),
  }),
  loginFailLimitPerUser: setting<number>({
    env: 'LOGIN_FAIL_LIMIT_PER_USER',
    key: 'login.failLimitPerUser',
    scope: 'gateway',
    doc: 'failed logins per user across all addresses per window; addresses with no failures still get through (0 disables)',
    defaultDoc: '100',
    fallback: 100,
    parse: intSetting(0),
  }),
  loginFailLimitGlobal: setting<number>({
    env: 'LOGIN_FAIL_LIMIT_GLOBAL',
    key: 'login.failLimitGlobal',
    scope: 'gateway',
    doc: 'failed logins in the whole cluster per window; addresses with no failures still get through (0 disables)',
    defaultDoc: '1000',
    fallback: 1000,
    parse: intSetting(0),
  }),
  banBaseSeconds: setting<number>({
    env: 'BAN_BASE_SECONDS',
    key: 'login.banBaseSeconds',
    scope: 'gateway',
    doc: 'how long a client address (or, for the per-user limit, a user name) is banned on every instance the first time a `LOGIN_FAIL_*` limit is reached (429 `AUTH_ERR_BANNED`, no FTP login); each repeat within `BAN_MEMORY_SECONDS` doubles it up to `BAN_MAX_SECONDS` (0 disables bans)',
    defaultDoc: '600',
    fallback: 600,
    parse: intSetting(0, 31_536_000),
  }),
  banMemorySeconds: setting<number>({
    env: 'BAN_MEMORY_SECONDS',
    key: 'login.banMemorySeconds',
    scope: 'gateway',
    doc: 'how long after a ban ends its strikes are remembered, so that the next ban of the same address or user is longer',
    defaultDoc: '86400',
    fallback: 86_400,
    parse: intSetting(0, 31_536_000),
  }),
  banMaxSeconds: setting<number>({
    env: 'BAN_MAX_SECONDS',
    key: 'login.banMaxSeconds',
    scope: 'gateway',
    doc: 'the longest a ban grows to (at least `BAN_BASE_SECONDS`)',
    defaultDoc: '86400',
    fallback: 86_400,
    parse: intSetting(1, 31_536_000),
  }),
  shutdownGraceMs: setting<number>({
    env: 'SHUTDOWN_GRACE_MS',
    key: 'shutdownGraceMs',
    scope: 'gateway',
    doc: 'how long in-flight transfers may finish on SIGTERM',
    defaultDoc: '25000',
    fallback: 25_000,
    parse: intSetting(0),
  }),
  httpHeadersTimeoutMs: setting<number>({
    env: 'HTTP_HEADERS_TIMEOUT_MS',
    key: 'http.headersTimeoutMs',
    scope: 'gateway',
    doc: 'time a client has to send its complete request headers (slowloris defence; answered 408)',
    defaultDoc: '15000',
    fallback: 15_000,
    parse: intSetting(100, MAX_TIMER_MS),
  }),
  httpBodyIdleTimeoutMs: setting<number>({
    env: 'HTTP_BODY_IDLE_TIMEOUT_MS',
    key: 'http.bodyIdleTimeoutMs',
    scope: 'gateway',
    doc: 'longest pause between two chunks of a request body while it is read; the upload is then aborted (old file intact) and answered 408. Never applies to responses, and uploads have no total time limit',
    defaultDoc: '60000',
    fallback: 60_000,
    parse: intSetting(100, MAX_TIMER_MS),
  }),
  httpKeepAliveTimeoutMs: setting<number>({
    env: 'HTTP_KEEPALIVE_TIMEOUT_MS',
    key: 'http.keepAliveTimeoutMs',
    scope: 'gateway',
    doc: 'how long an idle keep-alive connection waits for its next request (longer than the 60 s idle timeout of common load balancers, so they close first)',
    defaultDoc: '72000',
    fallback: 72_000,
    parse: intSetting(100, MAX_TIMER_MS),
  }),
  httpMaxConnectionsPerAddress: setting<number>({
    env: 'HTTP_MAX_CONNECTIONS_PER_ADDRESS',
    key: 'http.maxConnectionsPerAddress',
    scope: 'gateway',
    doc: 'open connections per client socket address (the TCP peer, never `X-Forwarded-For`); the proxies `TRUST_PROXY` names are not capped (they carry every client), without it behind a load balancer set 0 or a high value. 0 disables',
    defaultDoc: '256',
    fallback: 256,
    parse: intSetting(0, 1_000_000),
  }),
  uploadMaxBytes: setting<number>({
    env: 'UPLOAD_MAX_BYTES',
    key: 'uploads.maxBytes',
    scope: 'gateway',
    doc: 'largest `Upload-Length` a resumable (tus) upload may declare at `/api/v1/uploads/`; larger ones are refused with 413 before any byte is accepted',
    defaultDoc: '1099511627776 (1 TiB)',
    fallback: 1024 ** 4,
    parse: intSetting(1),
  }),
  zipMaxBytes: setting<number>({
    env: 'ZIP_MAX_BYTES',
    key: 'zip.maxBytes',
    scope: 'gateway',
    doc: 'most bytes of files one folder zip (`/api/v1/zip/…`) may hold, `0` for no cap; a folder whose listed sizes add up to more is refused with 413 before any byte is sent, and a zip that grows past it while streaming (files grew since they were listed) ends as an error',
    defaultDoc: '0 (no cap)',
    fallback: 0,
    parse: intSetting(0),
  }),
  uploadExpiryMs: setting<number>({
    env: 'UPLOAD_EXPIRY_MS',
    key: 'uploads.expiryMs',
    scope: 'gateway',
    doc: 'how long an unfinished resumable (tus) upload is kept after its last PATCH; then whichever instance notices first deletes its partial file from the FTP server',
    defaultDoc: '86400000 (24 h)',
    fallback: 24 * 60 * 60 * 1000,
    parse: intSetting(1000, MAX_TIMER_MS),
  }),
  shareMaxLifetimeMs: setting<number>({
    env: 'SHARE_MAX_LIFETIME_MS',
    key: 'shares.maxLifetimeMs',
    scope: 'gateway',
    doc: 'longest life of a share link (`POST /api/v1/shares`); a share asked without `expiresInSeconds`, or with a longer one, expires after this',
    defaultDoc: '2592000000 (30 days)',
    fallback: 30 * 24 * 60 * 60 * 1000,
    parse: intSetting(1000),
  }),
  shareRateLimit: setting<number>({
    env: 'SHARE_RATE_LIMIT',
    key: 'shares.rateLimit',
    scope: 'gateway',
    doc: 'requests per minute one share link answers, counted in the store over every instance (0 disables)',
    defaultDoc: '600',
    fallback: 600,
    parse: intSetting(0),
  }),
  gatewayAdmins: setting<readonly string[]>({
    env: 'GATEWAY_ADMINS',
    key: 'admins',
    scope: 'gateway',
    doc: 'who may use the admin API (`/api/v1/admin/…`: bans, sessions, every share link), as a comma list (or a YAML list) of `user:NAME` (the principal) and `group:NAME` (a group of the caller, e.g. from the OpenID groups claim)',
    defaultDoc: 'none',
    fallback: [],
    parse: adminsSetting,
  }),
  rateLimitMax: setting<number>({
    env: 'RATE_LIMIT_MAX',
    key: 'rateLimit.max',
    scope: 'gateway',
    doc: 'requests per client address per window, counted in the store (0 disables); by default only requests without credentials count (`RATE_LIMIT_SCOPE`)',
    defaultDoc: '6000',
    fallback: 6000,
    parse: intSetting(0),
  }),
  rateLimitWindowMs: setting<number>({
    env: 'RATE_LIMIT_WINDOW_MS',
    key: 'rateLimit.windowMs',
    scope: 'gateway',
    doc: 'the window of `RATE_LIMIT_MAX`',
    defaultDoc: '60000',
    fallback: 60_000,
    parse: intSetting(1000),
  }),
  rateLimitScope: setting<'anonymous' | 'all'>({
    env: 'RATE_LIMIT_SCOPE',
    key: 'rateLimit.scope',
    scope: 'gateway',
    doc: 'which requests `RATE_LIMIT_MAX` counts: `anonymous`, those with no `Authorization` header and no session cookie (wrong passwords are held back by the `LOGIN_FAIL_*` limits, so signed-in clients, which behind a load balancer without `TRUST_PROXY` share one address, are never throttled), or `all`',
    defaultDoc: '`anonymous`',
    fallback: 'anonymous',
    parse: enumSetting(['anonymous', 'all']),
  }),
  memoryTuning: setting<boolean>({
    env: 'MEMORY_TUNING',
    key: 'memoryTuning',
    scope: 'gateway',
    doc: "the gateway's memory work (glibc's allocator thresholds raised at start, uploaded request-body chunks freed once sent, download read buffers reused; docs/performance.md): `false` turns all of it off, to debug or to measure what it buys",
    defaultDoc: '`true`',
    fallback: true,
    parse: boolSetting,
  }),
  dataDir: setting<string>({
    env: 'DATA_DIR',
    key: 'local.dataDir',
    scope: 'local',
    doc: "local mode: the embedded FTP server's folder",
    defaultDoc: '`./data`',
    fallback: 'data',
    parse: stringSetting,
  }),
  localUser: setting<string>({
    env: 'LOCAL_USER',
    key: 'local.user',
    scope: 'local',
    doc: "local mode: the embedded FTP server's user",
    defaultDoc: '`demo`',
    fallback: 'demo',
    parse: stringSetting,
  }),
  localPassword: setting<string>({
    env: 'LOCAL_PASSWORD',
    key: 'local.password',
    scope: 'local',
    doc: "local mode: that user's password",
    defaultDoc: '`demo`',
    fallback: 'demo',
    parse: stringSetting,
    secret: true,
  }),
} as const satisfies Record<string, Setting<unknown>>

/** The id of a setting in SETTINGS. */
export type SettingId = keyof typeof SETTINGS

/** Every setting's parsed value, by id. */
export type SettingValues = { [K in SettingId]: (typeof SETTINGS)[K]['fallback'] }

/** Every environment variable the gateway reads (deployment manifests are checked against it). */
export const CONFIG_NAMES: readonly string[] = Object.freeze(Object.values(SETTINGS).map((s) => s.env))

/**
 * Reads every setting from `env` (empty strings count as unset); problems are appended to
 * `problems`, and a setting with a problem takes its fallback so that checks can go on.
 */
export function readSettings(env: NodeJS.ProcessEnv, problems: string[]): SettingValues {
  const out: Record<string, unknown> = {}
  for (const [id, s] of Object.entries(SETTINGS) as Array<[SettingId, Setting<unknown>]>) {
    const raw = env[s.env]
    if (raw === undefined || raw === '') {
      out[id] = s.fallback
      continue
    }
    const parsed = s.parse(raw, s.env)
    if (parsed.ok) out[id] = parsed.value
    else {
      problems.push(parsed.problem)
      out[id] = s.fallback
    }
  }
  return out as SettingValues
}
