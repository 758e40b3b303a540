/**
 * Every setting of the gateway, read from the environment once at start, validated, typed and
 * frozen. Names are a contract (DESIGN.md). `loadConfig` collects every problem and throws one
 * ConfigError listing them all, so a misconfigured deployment is fixed in one go.
 */
import { hkdfSync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { type DataMode, type FtpUrl, parseFtpUrl } from './ftp/index.js'

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
  poolMaxUnverified?: number | undefined
  /** FTP_REVERIFY_MS: pooled sessions are reused only this long after their key's last login. */
  reverifyMs?: number | undefined
  idleTimeoutMs: number
  timeoutMs: number
}

/** Local mode: the embedded FTP server over DATA_DIR. */
export interface LocalModeConfig {
  dataDir: string
  user: string
  password: string
}

export interface GatewayConfig {
  host: string
  port: number
  /** Set when FTP_URL is unset: main starts the embedded server and fills `upstream` from it. */
  local: LocalModeConfig | undefined
  /** Undefined only in local mode before the embedded server has started. */
  upstream: UpstreamConfig | undefined
  /** FTP_URL carried credentials: HTTP clients authenticate to the gateway (tokens or htpasswd). */
  serviceAccount: boolean
  redisUrl: string | undefined
  /** REDIS_KEY_PREFIX: prefix of every Redis key and channel (default `ftpgw:`); lets deployments and tests share one Redis. */
  redisKeyPrefix?: string | undefined
  /** 32-byte key derived from SESSION_SECRET (random per process when unset without Redis). */
  sessionKey: Buffer
  /** Lifetime of an API session token, sliding (SESSION_TTL_MS). */
  sessionTtlMs: number
  cacheTtlMs: number
  /** CACHE_CONTENT_MAX_BYTES: small files' bytes kept in memory, in total (0: off). */
  cacheContentMaxBytes: number
  /** CACHE_CONTENT_MAX_FILE_BYTES: the largest file kept; bigger ones always stream. */
  cacheContentMaxFileBytes: number
  trustProxy: boolean
  logLevel: string
  /** Path of GATEWAY_HTPASSWD (bcrypt entries). */
  htpasswdFile: string | undefined
  /** SHUTDOWN_GRACE_MS: how long in-flight transfers may finish on SIGTERM. */
  shutdownGraceMs: number
  /** Failed logins allowed per client address and user within LOGIN_FAIL_WINDOW_MS. */
  loginFailLimit: number
  loginFailWindowMs: number
  /** REDIS_SENTINELS (`host:port,…`): reach Redis through Sentinel; REDIS_SENTINEL_NAME names the master. */
  redisSentinels?: Array<{ host: string; port: number }> | undefined
  redisSentinelName?: string | undefined
  /** REDIS_CLUSTER_NODES (`host:port,…`): seed nodes of a Redis Cluster. */
  redisClusterNodes?: Array<{ host: string; port: number }> | undefined
  /** READY_REQUIRES_STORE: /readyz fails while the store is unreachable (default: it keeps serving). */
  readyRequiresStore?: boolean
  /** RATE_LIMIT_MAX requests per client address per RATE_LIMIT_WINDOW_MS, held in the store; 0 disables. */
  rateLimitMax?: number
  rateLimitWindowMs?: number
  /** HTTP_HEADERS_TIMEOUT_MS: time a client has to send its complete request headers (slowloris). */
  httpHeadersTimeoutMs?: number
  /** HTTP_BODY_IDLE_TIMEOUT_MS: longest pause between two chunks of a request body while it is read. */
  httpBodyIdleTimeoutMs?: number
  /** HTTP_KEEPALIVE_TIMEOUT_MS: how long a connection may wait, idle, for its next request. */
  httpKeepAliveTimeoutMs?: number
  /** HTTP_MAX_CONNECTIONS_PER_ADDRESS: open connections per client socket address (0: no cap). */
  httpMaxConnectionsPerAddress?: number
  /** GATEWAY_ADMINS: principals allowed the admin API, as `user:NAME` entries (names only here). */
  gatewayAdmins?: readonly string[]
}

/**
 * Every environment variable loadConfig reads. Deployment manifests are checked against it (a
 * misspelt name in a ConfigMap would otherwise be ignored silently).
 */
export const CONFIG_NAMES = [
  'HOST',
  'PORT',
  'FTP_URL',
  'FTP_DATA_MODE',
  'FTP_ACTIVE_ADDRESS',
  'FTP_ACTIVE_PORTS',
  'FTP_TLS_CA_FILE',
  'FTP_TLS_INSECURE',
  'FTP_POOL_MAX',
  'FTP_POOL_MAX_TOTAL',
  'FTP_POOL_MAX_UNVERIFIED',
  'FTP_REVERIFY_MS',
  'FTP_IDLE_TIMEOUT_MS',
  'FTP_TIMEOUT_MS',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_CLUSTER_NODES',
  'READY_REQUIRES_STORE',
  'SESSION_SECRET',
  'SESSION_TTL_MS',
  'CACHE_TTL_MS',
  'CACHE_CONTENT_MAX_BYTES',
  'CACHE_CONTENT_MAX_FILE_BYTES',
  'TRUST_PROXY',
  'LOG_LEVEL',
  'GATEWAY_HTPASSWD',
  'SHUTDOWN_GRACE_MS',
  'LOGIN_FAIL_LIMIT',
  'LOGIN_FAIL_WINDOW_MS',
  'RATE_LIMIT_MAX',
  'RATE_LIMIT_WINDOW_MS',
  'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_BODY_IDLE_TIMEOUT_MS',
  'HTTP_KEEPALIVE_TIMEOUT_MS',
  'HTTP_MAX_CONNECTIONS_PER_ADDRESS',
  'GATEWAY_ADMINS',
  'DATA_DIR',
  'LOCAL_USER',
  'LOCAL_PASSWORD',
] as const

/** Thrown by loadConfig with every problem found, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code = 'CONFIG_ERR_INVALID'
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}

/** The longest delay a Node timer holds (2^31 - 1 ms). */
const MAX_TIMER = 2_147_483_647

/** Defaults of HTTP_HEADERS_TIMEOUT_MS and HTTP_BODY_IDLE_TIMEOUT_MS (also for configs built without loadConfig). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 60_000
/** Longer than the 60 s idle timeout of common load balancers, so they close first (no race). */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 72_000
/** Room for a NAT'd office: ~40 browsers at 6 connections each, plus WebDAV and sync clients. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Reads and validates the environment once; the result is deeply frozen. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const problems: string[] = []
  const str = (name: string) => {
    const v = env[name]
    return v === undefined || v === '' ? undefined : v
  }
  const int = (name: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const raw = str(name)
    if (raw === undefined) return def
    const n = Number(raw)
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`)
      return def
    }
    return n
  }
  const bool = (name: string, def: boolean) => {
    const raw = str(name)?.toLowerCase()
    if (raw === undefined) return def
    if (['true', '1', 'yes'].includes(raw)) return true
    if (['false', '0', 'no'].includes(raw)) return false
    problems.push(`${name} must be true or false (got ${JSON.stringify(raw)})`)
    return def
  }

  const ftpUrl = str('FTP_URL')
  const local = ftpUrl === undefined
  let upstream: UpstreamConfig | undefined
  const dataMode = (str('FTP_DATA_MODE') ?? 'passive') as UpstreamConfig['dataMode']
  if (!['passive', 'active', 'auto'].includes(dataMode))
    problems.push('FTP_DATA_MODE must be passive, active or auto')
  let activePorts: [number, number] | undefined
  const portsRaw = str('FTP_ACTIVE_PORTS')
  if (portsRaw !== undefined) {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(portsRaw)
    const lo = Number(m?.[1])
    const hi = Number(m?.[2])
    if (!m || lo < 1 || hi > 65535 || lo > hi)
      problems.push('FTP_ACTIVE_PORTS must be a range such as 40000-40100')
    else activePorts = [lo, hi]
  }
  let tlsCa: Buffer | undefined
  const caFile = str('FTP_TLS_CA_FILE')
  if (caFile !== undefined) {
    try {
      tlsCa = readFileSync(caFile)
    } catch (err) {
      problems.push(`FTP_TLS_CA_FILE cannot be read: ${(err as Error).message}`)
    }
  }
  const poolMax = int('FTP_POOL_MAX', 4, 2, 1000)
  const poolMaxTotal = int('FTP_POOL_MAX_TOTAL', 32, 1, 100_000)
  if (poolMaxTotal < poolMax) problems.push('FTP_POOL_MAX_TOTAL must be at least FTP_POOL_MAX')
  // 4: a refused login holds its slot ~1-3 s (the server's delay), so 4 still answer a few new
  // users a second (an accepted login takes milliseconds), and guesses keep 28 of 32 for the rest.
  const poolMaxUnverified = int('FTP_POOL_MAX_UNVERIFIED', 4, 1, 100_000)
  if (poolMaxUnverified > poolMaxTotal)
    problems.push('FTP_POOL_MAX_UNVERIFIED must be at most FTP_POOL_MAX_TOTAL')
  const upstreamRest = {
    dataMode,
    activeAddress: str('FTP_ACTIVE_ADDRESS'),
    activePorts,
    tlsCa,
    tlsInsecure: bool('FTP_TLS_INSECURE', false),
    poolMax,
    poolMaxTotal,
    poolMaxUnverified,
    reverifyMs: int('FTP_REVERIFY_MS', 300_000, 100, MAX_TIMER),
    idleTimeoutMs: int('FTP_IDLE_TIMEOUT_MS', 60_000, 1000),
    timeoutMs: int('FTP_TIMEOUT_MS', 30_000, 100),
  }
  let serviceAccount = false
  if (ftpUrl !== undefined) {
    try {
      const url = parseFtpUrl(ftpUrl)
      serviceAccount = url.user !== undefined
      if (serviceAccount && url.password === undefined) problems.push('FTP_URL has a user but no password')
      upstream = { url, ...upstreamRest }
    } catch (err) {
      problems.push((err as Error).message)
    }
  }

  const redisUrl = str('REDIS_URL')
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
    problems.push('REDIS_URL must start with redis:// or rediss://')
  const hostPorts = (name: string) => {
    const raw = str(name)
    if (raw === undefined) return undefined
    const nodes = raw.split(',').map((item) => {
      const m = /^\s*([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\s*$/.exec(item)
      return m ? { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) } : undefined
    })
    if (nodes.some((n) => n === undefined || n.port < 1 || n.port > 65535)) {
      problems.push(`${name} must be a list such as host1:26379,host2:26379`)
      return undefined
    }
    return nodes as Array<{ host: string; port: number }>
  }
  const redisSentinels = hostPorts('REDIS_SENTINELS')
  const redisSentinelName = str('REDIS_SENTINEL_NAME') ?? (redisSentinels ? 'mymaster' : undefined)
  const redisClusterNodes = hostPorts('REDIS_CLUSTER_NODES')
  if ([redisUrl, redisSentinels, redisClusterNodes].filter((v) => v !== undefined).length > 1)
    problems.push('Set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES')
  // Any Redis topology means shared state: every instance must decrypt the same sessions.
  const sharedStore =
    redisUrl !== undefined || redisSentinels !== undefined || redisClusterNodes !== undefined
  const secret = str('SESSION_SECRET')
  if (sharedStore && secret === undefined) {
    problems.push('SESSION_SECRET is required with REDIS_URL (every instance must decrypt the same sessions)')
  }
  if (secret !== undefined && secret.length < 16)
    problems.push('SESSION_SECRET must be at least 16 characters')
  const sessionKey = Buffer.from(
    hkdfSync('sha256', secret ?? randomBytes(32), 'ftp-gateway', 'session-credentials', 32),
  )

  const logLevel = str('LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`)

  const perAddressDefault = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
  const maxPerAddress = int('HTTP_MAX_CONNECTIONS_PER_ADDRESS', perAddressDefault, 0, 1_000_000)

  const config: GatewayConfig = {
    host: str('HOST') ?? (local ? '127.0.0.1' : '0.0.0.0'),
    port: int('PORT', 8080, 0, 65535),
    local: local
      ? {
          dataDir: path.resolve(str('DATA_DIR') ?? 'data'),
          user: str('LOCAL_USER') ?? 'demo',
          password: str('LOCAL_PASSWORD') ?? 'demo',
        }
      : undefined,
    upstream,
    serviceAccount,
    redisUrl,
    redisKeyPrefix: str('REDIS_KEY_PREFIX'),
    sessionKey,
    sessionTtlMs: int('SESSION_TTL_MS', 3_600_000, 1000),
    cacheTtlMs: int('CACHE_TTL_MS', 5000, 0),
    cacheContentMaxBytes: int('CACHE_CONTENT_MAX_BYTES', 32 * 1024 * 1024, 0),
    cacheContentMaxFileBytes: int('CACHE_CONTENT_MAX_FILE_BYTES', 64 * 1024, 0, 16 * 1024 * 1024),
    trustProxy: bool('TRUST_PROXY', false),
    logLevel,
    htpasswdFile: str('GATEWAY_HTPASSWD'),
    shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 25_000, 0),
    loginFailLimit: int('LOGIN_FAIL_LIMIT', 10, 1),
    loginFailWindowMs: int('LOGIN_FAIL_WINDOW_MS', 300_000, 1000),
    redisSentinels,
    redisSentinelName,
    redisClusterNodes,
    readyRequiresStore: bool('READY_REQUIRES_STORE', false),
    rateLimitMax: int('RATE_LIMIT_MAX', 6000, 0),
    rateLimitWindowMs: int('RATE_LIMIT_WINDOW_MS', 60_000, 1000),
    // Timers: at most what setTimeout can hold (about 24.8 days).
    httpHeadersTimeoutMs: int('HTTP_HEADERS_TIMEOUT_MS', DEFAULT_HEADERS_TIMEOUT_MS, 100, MAX_TIMER),
    httpBodyIdleTimeoutMs: int('HTTP_BODY_IDLE_TIMEOUT_MS', DEFAULT_BODY_IDLE_TIMEOUT_MS, 100, MAX_TIMER),
    httpKeepAliveTimeoutMs: int('HTTP_KEEPALIVE_TIMEOUT_MS', DEFAULT_KEEPALIVE_TIMEOUT_MS, 100, MAX_TIMER),
    httpMaxConnectionsPerAddress: maxPerAddress,
    gatewayAdmins: parseAdmins(str('GATEWAY_ADMINS'), problems),
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return deepFreeze(config)
}

/** GATEWAY_ADMINS: `user:alice,user:bob` -> the names; a malformed entry is a problem. */
function parseAdmins(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return []
  const names: string[] = []
  for (const item of raw.split(',')) {
    const m = /^\s*user:(\S+?)\s*$/.exec(item)
    if (m) names.push(m[1] as string)
    else problems.push(`GATEWAY_ADMINS entries must look like user:NAME (got ${JSON.stringify(item.trim())})`)
  }
  return names
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
