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
import { readSettings } from './config/spec.js'
import { type TrustProxy, trustProxyWarning } from './config/trust-proxy.js'
import { type DataMode, type FtpUrl, parseFtpUrl } from './ftp/index.js'

export { CONFIG_NAMES } from './config/spec.js'
export { parseTrustProxy, type TrustProxy } from './config/trust-proxy.js'

/** Upstream FTP settings. */
export interface UpstreamConfig {
  /** Parsed FTP_URL (credentials kept only here; never logged). */
  url: FtpUrl
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
}

/** Local mode: the embedded FTP server over DATA_DIR. */
export interface LocalModeConfig {
  dataDir: string
  user: string
  password: string
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
  /** Set when FTP_URL is unset: main starts the embedded server and fills `upstream` from it. */
  local: LocalModeConfig | undefined
  /** Undefined only in local mode before the embedded server has started. */
  upstream: UpstreamConfig | undefined
  /** FTP_URL carried credentials: HTTP clients authenticate to the gateway (tokens or htpasswd). */
  serviceAccount: boolean
  redisUrl: string | undefined
  /** REDIS_KEY_PREFIX: prefix of every Redis key and channel (default `ftpgw:`); lets deployments and tests share one Redis. */
  redisKeyPrefix: string
  /** 32-byte key derived from SESSION_SECRET (random per process when unset without Redis). */
  sessionKey: Buffer
  /** Lifetime of an API session token, sliding (SESSION_TTL_MS). */
  sessionTtlMs: number
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
  /** Path of GATEWAY_HTPASSWD (bcrypt entries). */
  htpasswdFile: string | undefined
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
  /** MEMORY_TUNING: the memory work of src/ftp/memory/ (allocator setting, chunk release, read-buffer lending). */
  memoryTuning: boolean
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

  const local = v.ftpUrl === undefined
  const tls = checkTls(v.tlsCertFile, v.tlsKeyFile, problems)
  let tlsCa: Buffer | undefined
  if (v.ftpTlsCaFile !== undefined) {
    try {
      tlsCa = readFileSync(v.ftpTlsCaFile)
    } catch (err) {
      problems.push(`FTP_TLS_CA_FILE cannot be read: ${(err as Error).message}`)
    }
  }
  if (v.ftpPoolMaxTotal < v.ftpPoolMax) problems.push('FTP_POOL_MAX_TOTAL must be at least FTP_POOL_MAX')
  if (v.ftpPoolMaxUnverified > v.ftpPoolMaxTotal)
    problems.push('FTP_POOL_MAX_UNVERIFIED must be at most FTP_POOL_MAX_TOTAL')
  let upstream: UpstreamConfig | undefined
  let serviceAccount = false
  if (v.ftpUrl !== undefined) {
    try {
      const url = parseFtpUrl(v.ftpUrl)
      serviceAccount = url.user !== undefined
      if (serviceAccount && url.password === undefined) problems.push('FTP_URL has a user but no password')
      upstream = {
        url,
        dataMode: v.ftpDataMode,
        activeAddress: v.ftpActiveAddress,
        activePorts: v.ftpActivePorts,
        tlsCa,
        tlsInsecure: v.ftpTlsInsecure,
        // Service-account mode: every client shares the one FTP account, so a per-identity cap
        // of 4 would be the whole instance's; unless set, it is the upstream's total.
        poolMax: serviceAccount && (env.FTP_POOL_MAX ?? '') === '' ? v.ftpPoolMaxTotal : v.ftpPoolMax,
        poolMaxTotal: v.ftpPoolMaxTotal,
        poolMaxUnverified: v.ftpPoolMaxUnverified,
        reverifyMs: v.ftpReverifyMs,
        idleTimeoutMs: v.ftpIdleTimeoutMs,
        timeoutMs: v.ftpTimeoutMs,
      }
    } catch (err) {
      problems.push((err as Error).message)
    }
  }

  const topologies = [v.redisUrl, v.redisSentinels, v.redisClusterNodes].filter((t) => t !== undefined)
  if (topologies.length > 1)
    problems.push('Set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES')
  // Any Redis topology means shared state: every instance must decrypt the same sessions.
  if (topologies.length > 0 && (env.SESSION_SECRET ?? '') === '') {
    problems.push('SESSION_SECRET is required with REDIS_URL (every instance must decrypt the same sessions)')
  }
  const sessionKey = Buffer.from(
    hkdfSync('sha256', v.sessionSecret ?? randomBytes(32), 'ftp-gateway', 'session-credentials', 32),
  )

  const config: GatewayConfig = {
    host: v.host ?? (local ? '127.0.0.1' : '0.0.0.0'),
    port: v.port,
    tls,
    local: local
      ? { dataDir: path.resolve(v.dataDir), user: v.localUser, password: v.localPassword }
      : undefined,
    upstream,
    serviceAccount,
    redisUrl: v.redisUrl,
    redisKeyPrefix: v.redisKeyPrefix,
    sessionKey,
    sessionTtlMs: v.sessionTtlMs,
    cacheTtlMs: v.cacheTtlMs,
    cacheContentMaxBytes: v.cacheContentMaxBytes,
    cacheContentMaxFileBytes: v.cacheContentMaxFileBytes,
    trustProxy: v.trustProxy,
    trustProxyWarning: trustProxyWarning(env.TRUST_PROXY),
    logLevel: v.logLevel,
    htpasswdFile: v.htpasswdFile,
    shutdownGraceMs: v.shutdownGraceMs,
    loginFailLimit: v.loginFailLimit,
    loginFailWindowMs: v.loginFailWindowMs,
    loginFailLimitPerAddress: v.loginFailLimitPerAddress,
    loginFailLimitPerUser: v.loginFailLimitPerUser,
    loginFailLimitGlobal: v.loginFailLimitGlobal,
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
    gatewayAdmins: v.gatewayAdmins,
    memoryTuning: v.memoryTuning,
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return deepFreeze(config)
}

/**
 * TLS_CERT_FILE and TLS_KEY_FILE: both or neither, readable, and a key that matches the
 * certificate (checked by building a TLS context now, so a bad pair is a config problem, not a
 * failed handshake later).
 */
function checkTls(certFile: string | undefined, keyFile: string | undefined, problems: string[]) {
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

/** Local mode: the upstream settings for the embedded server once it listens. */
export function withLocalUpstream(
  config: GatewayConfig,
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfig {
  const base = loadConfig({ ...env, FTP_URL: `ftp://127.0.0.1:${port}` })
  return deepFreeze({ ...config, upstream: base.upstream })
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Buffer.isBuffer(o) && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o)) deepFreeze(v)
  }
  return o
}
