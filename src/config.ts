/**
 * The gateway's configuration: every setting declared once in src/config/spec.ts, read from the
 * environment once at start, validated, typed, fully filled in and frozen (callers never re-default).
 * Names are a contract (README, docs/architecture.md). `loadConfig` collects every problem and throws one ConfigError
 * listing them all, so a misconfigured deployment is fixed in one go.
 */
import { hkdfSync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { createSecureContext } from 'node:tls'
import { byLine, type ConfigFile, lineOfFirstKey, mergeConfigFile, readConfigFile } from './config/file.js'
import type { Principal } from './config/mounts.js'
import { readSettings, SETTINGS, type SettingValues } from './config/spec.js'
import { type TrustProxy, trustProxyWarning } from './config/trust-proxy.js'
import { type DataMode, type FtpUrl, parseFtpUrl } from './ftp/index.js'

export { CONFIG_NAMES } from './config/spec.js'
export { parseTrustProxy, type TrustProxy } from './config/trust-proxy.js'

/** One upstream FTP server's settings (`upstreams.<name>` in GATEWAY_CONFIG, or the FTP_* variables). */
export interface UpstreamConfig {
  /** `[a-z0-9-]+`; `default` for the upstream the environment describes. */
  name: string
  /** Parsed FTP_URL (credentials kept only here; never logged). */
  url: FtpUrl
  /** The URL carries a user and password: every request to this upstream runs as that account. */
  serviceAccount: boolean
  dataMode: DataMode
  activeAddress: string | undefined
  activePorts: [number, number] | undefined
  /** PEM contents of FTP_TLS_CA_FILE. */
  tlsCa: Buffer | undefined
  tlsInsecure: boolean
  poolMax: number
  poolMaxTotal: number
  /** FTP_POOL_MAX_UNVERIFIED: logins at once, cluster-wide, with credentials not yet known to work. */
  poolMaxUnverified: number
  /** FTP_REVERIFY_MS: pooled sessions are reused only this long after their key's last login. */
  reverifyMs: number
  idleTimeoutMs: number
  timeoutMs: number
  /** FTP_KEEPALIVE_MS: idle pooled sessions send NOOP this often (0: never). */
  keepaliveMs: number
  /** FTP_ENCODING: how the server encodes names (an iconv-lite name, lower case). */
  encoding: string
  /** FTP_TIMEZONE: IANA zone of the server's clock, for LIST times without a zone. */
  timezone: string
  /** FTP_LIST_HIDDEN: LIST -a on servers without MLSD. */
  listHidden: boolean
  /** FTP_READ_ONLY: every write to this upstream is refused before any FTP command. */
  readOnly: boolean
}

/**
 * One entry of a mount's `allow`/`write` list: everyone, one user (the person,
 * `Identity.principal`) or a group, optionally `!`-prefixed to exclude (first match wins).
 */
export type { Principal, PrincipalMatch } from './config/mounts.js'

/** Where an upstream folder appears in the gateway's tree (`mounts:` in GATEWAY_CONFIG). */
export interface MountConfig {
  /** Normalised: '/' or '/a/b' (no trailing slash). */
  path: string
  /** Name of an entry of `upstreams`. */
  upstream: string
  /** Folder on the upstream, relative to its base (the URL's path, else the login's home): '' for the base. */
  root: string
  readOnly: boolean
  /** Who may see the mount; first match wins, so order matters only for readability. */
  allow: readonly Principal[]
  /** Who may change it (within `allow`). */
  write: readonly Principal[]
}

/** Local mode: the embedded FTP server over DATA_DIR. */
export interface LocalModeConfig {
  dataDir: string
  user: string
  password: string
}

/**
 * OpenID Connect (`oidc:` in GATEWAY_CONFIG, or OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET):
 * the provider whose Bearer JWTs the gateway accepts, and the client it signs in as.
 */
export interface OidcConfig {
  /** Issuer URL without a trailing slash; tokens' `iss` must equal it. */
  issuer: string
  clientId: string
  /** From clientSecret or clientSecretFile; undefined for a public client. Never logged. */
  clientSecret: string | undefined
  /** Asked at sign-in; always holds `openid`. */
  scopes: readonly string[]
  /** The claim that names the person (Identity.principal). */
  usernameClaim: string
  /** The claim with the person's groups (Identity.groups). */
  groupsClaim: string
  /** The `aud` a Bearer JWT must carry (clientId unless set). */
  audience: string
}

/** HTTPS on the gateway itself (TLS_CERT_FILE, TLS_KEY_FILE): the files, re-read when they change. */
export interface TlsConfig {
  certFile: string
  keyFile: string
}

export interface GatewayConfig {
  host: string
  port: number
  /** Set when TLS_CERT_FILE and TLS_KEY_FILE are: the gateway speaks HTTPS (TLS 1.2+), else plain HTTP. */
  tls: TlsConfig | undefined
  /** Set when neither FTP_URL nor GATEWAY_CONFIG is: the gateway starts the embedded server and fills `upstreams` from it. */
  local: LocalModeConfig | undefined
  /** GATEWAY_CONFIG: the file the upstreams and mounts came from (SIGHUP re-reads it). */
  configFile: string | undefined
  /** Every upstream, by unique name; empty only in local mode before the embedded server has started. */
  upstreams: readonly UpstreamConfig[]
  /** The tree: where each upstream folder appears, and who may see and change it. */
  mounts: readonly MountConfig[]
  /** Every upstream has a service account: HTTP clients authenticate to the gateway (tokens or htpasswd). */
  serviceAccount: boolean
  /**
   * Environment variables that overrode a value of the config file (12-factor: the environment
   * wins for gateway settings); logged once at start. Empty without GATEWAY_CONFIG.
   */
  overriddenByEnv: readonly string[]
  redisUrl: string | undefined
  /** REDIS_KEY_PREFIX: prefix of every Redis key and channel (default `ftpgw:`); lets deployments and tests share one Redis. */
  redisKeyPrefix: string
  /** 32-byte key derived from SESSION_SECRET (random per process when unset without Redis). */
  sessionKey: Buffer
  /** Lifetime of an API session token, sliding (SESSION_TTL_MS). */
  sessionTtlMs: number
  /** TOKEN_CACHE_TTL_MS: how long a token the store confirmed is accepted while the store is unreachable (0: never). */
  tokenCacheTtlMs: number
  cacheTtlMs: number
  /** CACHE_CONTENT_MAX_BYTES: small files' bytes kept in memory, in total (0: off). */
  cacheContentMaxBytes: number
  /** CACHE_CONTENT_MAX_FILE_BYTES: the largest file kept; bigger ones always stream. */
  cacheContentMaxFileBytes: number
  /** TRUST_PROXY: no proxy (false), a hop count, or the trusted proxies' addresses/CIDRs. */
  trustProxy: TrustProxy
  /** Set when TRUST_PROXY was the legacy `true` (read as 1 hop): logged once at start. */
  trustProxyWarning: string | undefined
  /** LOG_LEVEL (a pino level). */
  logLevel: string
  /** OTEL_EXPORTER_OTLP_ENDPOINT: where spans go; undefined keeps tracing off (no SDK loaded). */
  otelEndpoint: string | undefined
  /** OTEL_SERVICE_NAME: the spans' `service.name`. */
  otelServiceName: string
  /** Path of GATEWAY_HTPASSWD (bcrypt entries). */
  htpasswdFile: string | undefined
  /** OpenID Connect provider and client (`oidc:`, OIDC_*); undefined: no Bearer JWTs are accepted. */
  oidc: OidcConfig | undefined
  /** SHUTDOWN_GRACE_MS: how long in-flight transfers may finish on SIGTERM. */
  shutdownGraceMs: number
  /** Failed logins allowed per client address and user within LOGIN_FAIL_WINDOW_MS. */
  loginFailLimit: number
  loginFailWindowMs: number
  /** LOGIN_FAIL_LIMIT_PER_ADDRESS: failed logins per client address across all user names (0: off). */
  loginFailLimitPerAddress: number
  /** LOGIN_FAIL_LIMIT_PER_USER: failed logins per user across all addresses (0: off). */
  loginFailLimitPerUser: number
  /** LOGIN_FAIL_LIMIT_GLOBAL: failed logins in the whole cluster (0: off). */
  loginFailLimitGlobal: number
  /** BAN_BASE_SECONDS: the first ban's length (0: no bans); BAN_MEMORY_SECONDS, BAN_MAX_SECONDS (bans.ts). */
  banBaseSeconds: number
  banMemorySeconds: number
  banMaxSeconds: number
  /** REDIS_SENTINELS (`host:port,…`): reach Redis through Sentinel; REDIS_SENTINEL_NAME names the master. */
  redisSentinels: Array<{ host: string; port: number }> | undefined
  redisSentinelName: string
  /** REDIS_CLUSTER_NODES (`host:port,…`): seed nodes of a Redis Cluster. */
  redisClusterNodes: Array<{ host: string; port: number }> | undefined
  /** READY_REQUIRES_STORE: /readyz fails while the store is unreachable (default: it keeps serving). */
  readyRequiresStore: boolean
  /** RATE_LIMIT_MAX requests per client address per RATE_LIMIT_WINDOW_MS, held in the store; 0 disables. */
  rateLimitMax: number
  rateLimitWindowMs: number
  /** RATE_LIMIT_SCOPE: `anonymous` counts only requests without credentials, `all` every request. */
  rateLimitScope: 'anonymous' | 'all'
  /** HTTP_HEADERS_TIMEOUT_MS: time a client has to send its complete request headers (slowloris). */
  httpHeadersTimeoutMs: number
  /** HTTP_BODY_IDLE_TIMEOUT_MS: longest pause between two chunks of a request body while it is read. */
  httpBodyIdleTimeoutMs: number
  /** HTTP_KEEPALIVE_TIMEOUT_MS: how long a connection may wait, idle, for its next request. */
  httpKeepAliveTimeoutMs: number
  /** HTTP_MAX_CONNECTIONS_PER_ADDRESS: open connections per client socket address (0: no cap). */
  httpMaxConnectionsPerAddress: number
  /** GATEWAY_ADMINS: principals allowed the admin API, as `user:NAME` entries (names only here). */
  gatewayAdmins: readonly string[]
  /** GATEWAY_ADMINS' `group:NAME` entries: callers in one of these groups are administrators too. */
  gatewayAdminGroups: readonly string[]
  /** MEMORY_TUNING: the memory work of src/ftp/memory/ (allocator setting, chunk release, read-buffer lending). */
  memoryTuning: boolean
  /** Largest Upload-Length of a resumable (tus) upload. */
  uploadMaxBytes: number
  /** Lifetime of an unfinished resumable upload after its last PATCH. */
  uploadExpiryMs: number
  /** ZIP_MAX_BYTES: most file bytes one folder zip may hold (0: no cap). */
  zipMaxBytes: number
  /** SHARE_MAX_LIFETIME_MS: the longest (and default) life of a share link. */
  shareMaxLifetimeMs: number
  /** SHARE_RATE_LIMIT: requests per minute per share link (0: unlimited). */
  shareRateLimit: number
}

/** Thrown by loadConfig with every problem found, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code = 'CONFIG_ERR_INVALID'
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}

/**
 * Reads and validates the environment once (every setting as declared in src/config/spec.ts), then
 * checks the settings that depend on each other; the result is deeply frozen.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const problems: string[] = []
  const v = readSettings(env, problems)

  const local = v.ftpUrl === undefined && v.gatewayConfig === undefined
  if (v.ftpUrl !== undefined && v.gatewayConfig !== undefined)
    problems.push('Set FTP_URL or GATEWAY_CONFIG, not both (the config file describes the upstreams)')
  const upstreams: UpstreamConfig[] = []
  const mounts: MountConfig[] = []
  const overriddenByEnv: string[] = []
  let file: ConfigFile | undefined
  if (v.gatewayConfig !== undefined) {
    file = readConfigFile(v.gatewayConfig, problems)
    mergeConfigFile(file, env, v, overriddenByEnv, problems)
    upstreams.push(...upstreamsFromFile(file, problems))
    mounts.push(...file.mounts)
  }
  if (v.ftpUrl !== undefined && file === undefined) {
    const up = upstreamFromSettings('default', v.ftpUrl, v, problems, {
      url: 'FTP_URL',
      passwordFile: 'FTP_PASSWORD_FILE',
      caFile: 'FTP_TLS_CA_FILE',
      poolMax: 'FTP_POOL_MAX',
      poolMaxTotal: 'FTP_POOL_MAX_TOTAL',
      poolMaxUnverified: 'FTP_POOL_MAX_UNVERIFIED',
      poolMaxSet: !isUnset(env.FTP_POOL_MAX),
    })
    if (up) {
      upstreams.push(up)
      mounts.push({ path: '/', upstream: up.name, root: '', readOnly: false, allow: ['*'], write: ['*'] })
    }
  }
  const serviceAccount = upstreams.length > 0 && upstreams.every((u) => u.serviceAccount)

  // A cap below the first ban would make the doubling shrink it.
  if (v.banBaseSeconds > v.banMaxSeconds) problems.push('BAN_MAX_SECONDS must be at least BAN_BASE_SECONDS')

  const topologies = [v.redisUrl, v.redisSentinels, v.redisClusterNodes].filter((t) => t !== undefined)
  if (topologies.length > 1)
    problems.push('Set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES')
  // Any Redis topology means shared state: every instance must decrypt the same sessions.
  if (topologies.length > 0 && isUnset(env.SESSION_SECRET) && !file?.settings.has('sessionSecret')) {
    problems.push('SESSION_SECRET is required with REDIS_URL (every instance must decrypt the same sessions)')
  }
  const sessionKey = Buffer.from(
    hkdfSync('sha256', v.sessionSecret ?? randomBytes(32), 'ftp-gateway', 'session-credentials', 32),
  )

  const config: GatewayConfig = {
    host: v.host ?? (local ? '127.0.0.1' : '0.0.0.0'),
    port: v.port,
    tls: checkTls(v.tlsCertFile, v.tlsKeyFile, problems),
    local: local
      ? { dataDir: path.resolve(v.dataDir), user: v.localUser, password: v.localPassword }
      : undefined,
    configFile: v.gatewayConfig === undefined ? undefined : path.resolve(v.gatewayConfig),
    upstreams,
    mounts,
    serviceAccount,
    overriddenByEnv,
    redisUrl: v.redisUrl,
    redisKeyPrefix: v.redisKeyPrefix,
    sessionKey,
    sessionTtlMs: v.sessionTtlMs,
    tokenCacheTtlMs: v.tokenCacheTtlMs,
    cacheTtlMs: v.cacheTtlMs,
    cacheContentMaxBytes: v.cacheContentMaxBytes,
    cacheContentMaxFileBytes: v.cacheContentMaxFileBytes,
    trustProxy: v.trustProxy,
    trustProxyWarning: trustProxyWarning(
      isUnset(env.TRUST_PROXY) ? rawString(file?.settings.get('trustProxy')?.raw) : env.TRUST_PROXY,
    ),
    logLevel: v.logLevel,
    otelEndpoint: v.otelEndpoint,
    otelServiceName: v.otelServiceName,
    htpasswdFile: v.htpasswdFile,
    oidc: checkOidc(v, problems),
    shutdownGraceMs: v.shutdownGraceMs,
    loginFailLimit: v.loginFailLimit,
    loginFailWindowMs: v.loginFailWindowMs,
    loginFailLimitPerAddress: v.loginFailLimitPerAddress,
    loginFailLimitPerUser: v.loginFailLimitPerUser,
    loginFailLimitGlobal: v.loginFailLimitGlobal,
    banBaseSeconds: v.banBaseSeconds,
    banMemorySeconds: v.banMemorySeconds,
    banMaxSeconds: v.banMaxSeconds,
    redisSentinels: v.redisSentinels,
    redisSentinelName: v.redisSentinelName,
    redisClusterNodes: v.redisClusterNodes,
    readyRequiresStore: v.readyRequiresStore,
    rateLimitMax: v.rateLimitMax,
    rateLimitWindowMs: v.rateLimitWindowMs,
    rateLimitScope: v.rateLimitScope,
    httpHeadersTimeoutMs: v.httpHeadersTimeoutMs,
    httpBodyIdleTimeoutMs: v.httpBodyIdleTimeoutMs,
    httpKeepAliveTimeoutMs: v.httpKeepAliveTimeoutMs,
    httpMaxConnectionsPerAddress: v.httpMaxConnectionsPerAddress,
    gatewayAdmins: namesOf(v.gatewayAdmins, 'user'),
    gatewayAdminGroups: namesOf(v.gatewayAdmins, 'group'),
    memoryTuning: v.memoryTuning,
    uploadMaxBytes: v.uploadMaxBytes,
    uploadExpiryMs: v.uploadExpiryMs,
    zipMaxBytes: v.zipMaxBytes,
    shareMaxLifetimeMs: v.shareMaxLifetimeMs,
    shareRateLimit: v.shareRateLimit,
  }
  if (problems.length > 0) throw new ConfigError(file ? byLine(file, problems) : problems)
  SETTING_VALUES.set(config, Object.freeze(v))
  return deepFreeze(config)
}

/** The merged settings each loaded config was made from (for reload's "needs a restart" check). */
const SETTING_VALUES = new WeakMap<GatewayConfig, Readonly<SettingValues>>()

/** The parsed settings `config` was loaded from; undefined for a config not made by loadConfig. */
export function settingValuesOf(config: GatewayConfig): Readonly<SettingValues> | undefined {
  return SETTING_VALUES.get(config)
}

/** Records the settings of a config derived from loaded ones (a reload that kept some old values). */
export function rememberSettingValues(config: GatewayConfig, values: Readonly<SettingValues>): void {
  SETTING_VALUES.set(config, Object.freeze({ ...values }))
}

const isUnset = (raw: string | undefined) => raw === undefined || raw === ''
const rawString = (raw: unknown) => (raw === undefined ? undefined : String(raw))

/** The upstreams of a file, each through upstreamFromSettings, its problems located at the key they name. */
function upstreamsFromFile(file: ConfigFile, problems: string[]): UpstreamConfig[] {
  const out: UpstreamConfig[] = []
  for (const fu of file.upstreams) {
    const key = (k: string) => `upstreams.${fu.name}.${k}`
    const values = { ...readSettings({}, []), ...fu.values }
    const own: string[] = []
    // Without a usable url (already a problem) the other checks still run, on a stand-in with a
    // user so that passwordFile is read; what they would say about the stand-in is dropped.
    const url = fu.url ?? 'ftp://user@url.invalid'
    const up = upstreamFromSettings(fu.name, url, values, own, {
      url: key(SETTINGS.ftpUrl.key),
      passwordFile: key(SETTINGS.ftpPasswordFile.key),
      caFile: key(SETTINGS.ftpTlsCaFile.key),
      poolMax: key(SETTINGS.ftpPoolMax.key),
      poolMaxTotal: key(SETTINGS.ftpPoolMaxTotal.key),
      poolMaxUnverified: key(SETTINGS.ftpPoolMaxUnverified.key),
      poolMaxSet: fu.values.ftpPoolMax !== undefined,
    })
    for (const p of own) {
      if (fu.url === undefined && p.includes(key(SETTINGS.ftpUrl.key))) continue
      problems.push(file.source.at(lineOfFirstKey(p, fu.lines) ?? fu.line, p))
    }
    if (up && fu.url !== undefined) out.push(up)
  }
  return out
}

/**
 * TLS_CERT_FILE and TLS_KEY_FILE: both or neither, readable, and a key that matches the
 * certificate (checked by building a TLS context now, so a bad pair is a config problem, not a
 * failed handshake later).
 */
function checkTls(
  certFile: string | undefined,
  keyFile: string | undefined,
  problems: string[],
): TlsConfig | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined
  if (certFile === undefined || keyFile === undefined) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together')
    return undefined
  }
  const read = (file: string, name: string) => {
    try {
      return readFileSync(file)
    } catch (err) {
      problems.push(`${name} cannot be read: ${(err as Error).message}`)
      return undefined
    }
  }
  const cert = read(certFile, 'TLS_CERT_FILE')
  const key = read(keyFile, 'TLS_KEY_FILE')
  if (cert && key) {
    try {
      createSecureContext({ cert, key })
    } catch (err) {
      problems.push(`TLS_CERT_FILE and TLS_KEY_FILE are not a usable pair: ${(err as Error).message}`)
    }
  }
  return { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) }
}

/**
 * The `oidc` settings together: an issuer needs a client id, the secret comes from one place, and
 * no other oidc setting means anything without an issuer (a half-configured provider must not
 * start quietly without JWTs). The issuer's own form is checked by its parser (spec.ts).
 */
function checkOidc(v: SettingValues, problems: string[]): OidcConfig | undefined {
  const names = SETTINGS
  if (v.oidcIssuer === undefined) {
    const set = (
      ['oidcClientId', 'oidcClientSecret', 'oidcClientSecretFile', 'oidcAudience'] as const
    ).filter((id) => v[id] !== undefined)
    if (set.length > 0)
      problems.push(
        `${set.map((id) => `${names[id].env} (${names[id].key})`).join(', ')} set without ${names.oidcIssuer.env} (${names.oidcIssuer.key})`,
      )
    return undefined
  }
  if (v.oidcClientId === undefined)
    problems.push(
      `${names.oidcIssuer.env} (${names.oidcIssuer.key}) needs ${names.oidcClientId.env} (${names.oidcClientId.key})`,
    )
  let clientSecret = v.oidcClientSecret
  if (v.oidcClientSecret !== undefined && v.oidcClientSecretFile !== undefined)
    problems.push(
      `${names.oidcClientSecret.env} (${names.oidcClientSecret.key}) and ${names.oidcClientSecretFile.env} (${names.oidcClientSecretFile.key}) are both set: keep one`,
    )
  else if (v.oidcClientSecretFile !== undefined) {
    try {
      clientSecret = readFileSync(v.oidcClientSecretFile, 'utf8').replace(/\r?\n$/, '')
      if (clientSecret === '')
        problems.push(`${names.oidcClientSecretFile.env} (${names.oidcClientSecretFile.key}) is empty`)
    } catch (err) {
      problems.push(
        `${names.oidcClientSecretFile.env} (${names.oidcClientSecretFile.key}) cannot be read: ${(err as Error).message}`,
      )
    }
  }
  const clientId = v.oidcClientId ?? ''
  return {
    issuer: v.oidcIssuer,
    clientId,
    clientSecret,
    scopes: v.oidcScopes,
    usernameClaim: v.oidcUsernameClaim,
    groupsClaim: v.oidcGroupsClaim,
    audience: v.oidcAudience ?? clientId,
  }
}

/** Local mode: the upstream settings for the embedded server once it listens. */
export function withLocalUpstream(
  config: GatewayConfig,
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfig {
  const base = loadConfig({ ...env, GATEWAY_CONFIG: '', FTP_URL: `ftp://127.0.0.1:${port}` })
  return deepFreeze({ ...config, upstreams: base.upstreams, mounts: base.mounts, serviceAccount: false })
}

/** How problems name the settings of one upstream (environment names, or config-file keys). */
export interface UpstreamSettingNames {
  url: string
  passwordFile: string
  caFile: string
  poolMax: string
  poolMaxTotal: string
  poolMaxUnverified: string
  /** The per-identity cap was given (else, in service-account mode, it is the upstream's total). */
  poolMaxSet?: boolean
}

/** The upstream-scoped settings an upstream is built from (parsed, by spec id). */
export type UpstreamSettingValues = Pick<
  SettingValues,
  | 'ftpPasswordFile'
  | 'ftpDataMode'
  | 'ftpActiveAddress'
  | 'ftpActivePorts'
  | 'ftpTlsCaFile'
  | 'ftpTlsInsecure'
  | 'ftpPoolMax'
  | 'ftpPoolMaxTotal'
  | 'ftpPoolMaxUnverified'
  | 'ftpReverifyMs'
  | 'ftpIdleTimeoutMs'
  | 'ftpTimeoutMs'
  | 'ftpKeepaliveMs'
  | 'ftpEncoding'
  | 'ftpTimezone'
  | 'ftpListHidden'
  | 'ftpReadOnly'
>

/**
 * Builds one upstream from its parsed settings, appending problems (files that cannot be read,
 * bounds that depend on each other); undefined when the URL itself is unusable.
 */
export function upstreamFromSettings(
  name: string,
  rawUrl: string,
  v: UpstreamSettingValues,
  problems: string[],
  names: UpstreamSettingNames,
): UpstreamConfig | undefined {
  let tlsCa: Buffer | undefined
  if (v.ftpTlsCaFile !== undefined) {
    try {
      tlsCa = readFileSync(v.ftpTlsCaFile)
    } catch (err) {
      problems.push(`${names.caFile} cannot be read: ${(err as Error).message}`)
    }
  }
  if (v.ftpPoolMaxTotal < v.ftpPoolMax)
    problems.push(`${names.poolMaxTotal} must be at least ${names.poolMax}`)
  if (v.ftpPoolMaxUnverified > v.ftpPoolMaxTotal)
    problems.push(`${names.poolMaxUnverified} must be at most ${names.poolMaxTotal}`)
  let url: FtpUrl
  try {
    url = parseFtpUrl(rawUrl)
  } catch (err) {
    // The engine's message names FTP_URL; the problem names the setting as the user wrote it.
    problems.push(`${names.url}: ${(err as Error).message.replace(/^FTP_URL /, '')}`)
    return undefined
  }
  if (v.ftpPasswordFile !== undefined) {
    if (url.user === undefined) problems.push(`${names.passwordFile} needs a user name in ${names.url}`)
    else if (url.password !== undefined)
      problems.push(`${names.url} has a password and ${names.passwordFile} is set: keep one`)
    else {
      try {
        // One trailing newline is how editors and `echo` write secrets; it is not part of the password.
        url = { ...url, password: readFileSync(v.ftpPasswordFile, 'utf8').replace(/\r?\n$/, '') }
      } catch (err) {
        problems.push(`${names.passwordFile} cannot be read: ${(err as Error).message}`)
      }
    }
  }
  const serviceAccount = url.user !== undefined
  if (serviceAccount && url.password === undefined)
    problems.push(`${names.url} has a user but no password (add one, or ${names.passwordFile})`)
  return {
    name,
    url,
    serviceAccount,
    dataMode: v.ftpDataMode,
    activeAddress: v.ftpActiveAddress,
    activePorts: v.ftpActivePorts,
    tlsCa,
    tlsInsecure: v.ftpTlsInsecure,
    // Service-account mode: every client shares the one FTP account, so a per-identity cap of 4
    // would be the whole instance's; unless set, it is the upstream's total.
    poolMax: serviceAccount && names.poolMaxSet === false ? v.ftpPoolMaxTotal : v.ftpPoolMax,
    poolMaxTotal: v.ftpPoolMaxTotal,
    poolMaxUnverified: v.ftpPoolMaxUnverified,
    reverifyMs: v.ftpReverifyMs,
    idleTimeoutMs: v.ftpIdleTimeoutMs,
    timeoutMs: v.ftpTimeoutMs,
    keepaliveMs: v.ftpKeepaliveMs,
    encoding: v.ftpEncoding,
    timezone: v.ftpTimezone,
    listHidden: v.ftpListHidden,
    readOnly: v.ftpReadOnly,
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Buffer.isBuffer(o) && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o)) deepFreeze(v)
  }
  return o
}

/** The names of GATEWAY_ADMINS' entries of one kind (`user:alice` -> `alice`). */
function namesOf(entries: readonly string[], kind: 'user' | 'group'): string[] {
  return entries.filter((e) => e.startsWith(`${kind}:`)).map((e) => e.slice(kind.length + 1))
}
