/**
 * Every setting of the gateway, read from the environment once at start, validated, typed and
 * frozen. Names are a contract (DESIGN.md). `loadConfig` collects every problem and throws one
 * ConfigError listing them all, so a misconfigured deployment is fixed in one go.
 */
import type { DataMode, FtpUrl } from './ftp/index.js'

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
  /** 32-byte key derived from SESSION_SECRET (random per process when unset without Redis). */
  sessionKey: Buffer
  /** Lifetime of an API session token, sliding (SESSION_TTL_MS). */
  sessionTtlMs: number
  cacheTtlMs: number
  trustProxy: boolean
  logLevel: string
  /** Path of GATEWAY_HTPASSWD (bcrypt entries). */
  htpasswdFile: string | undefined
  /** SHUTDOWN_GRACE_MS: how long in-flight transfers may finish on SIGTERM. */
  shutdownGraceMs: number
  /** Failed logins allowed per client address and user within LOGIN_FAIL_WINDOW_MS. */
  loginFailLimit: number
  loginFailWindowMs: number
}
