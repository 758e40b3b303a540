import type tls from 'node:tls'
import type { ControlEncoding } from './command.js'
import { FtpError } from './errors.js'
import type { TlsMode } from './tls.js'

/** The subset of a pino logger the engine uses; every method optional so a plain object works. */
export interface FtpLogger {
  debug?(obj: object, msg?: string): void
  info?(obj: object, msg?: string): void
  warn?(obj: object, msg?: string): void
}

/** How data connections are opened. */
export type DataMode = 'passive' | 'active' | 'auto'

/** Everything needed to open and log in one FTP session. */
export interface FtpSessionOptions {
  host: string
  /** @default 21 (990 for implicit TLS) */
  port: number
  secure: TlsMode
  user: string
  password: string
  /** @default 'passive' */
  dataMode: DataMode
  /** Address advertised in EPRT/PORT; defaults to the control socket's local address. */
  activeAddress?: string | undefined
  /** Local port range for active-mode listeners; undefined means any free port. */
  activePorts?: [number, number] | undefined
  /** Trust roots (PEM) for the server certificate; system roots when unset. */
  tlsCa?: string | Buffer | undefined
  /** Skip certificate verification (the caller logs a warning). @default false */
  tlsInsecure?: boolean | undefined
  tlsMinVersion?: tls.SecureVersion | undefined
  tlsMaxVersion?: tls.SecureVersion | undefined
  /** Inactivity timeout for the control connection and for data connections. @default 30000 */
  timeoutMs: number
  /** @default 'utf8' */
  encoding: ControlEncoding
  /** @default 65536 */
  maxReplyBytes: number
  /** Listing size cap in bytes. @default 41943040 (40 MiB) */
  maxListingBytes: number
  /** Server clock offset from UTC for LIST times, in minutes. @default 0 */
  timeZoneOffsetMinutes: number
  /**
   * Read buffer for plain passive data sockets; reads fill it one after the other. Large `onread`
   * buffers beat 64 KiB stream reads, and 1 MiB beat 512 KiB for little more memory
   * (docs/performance.md "Read-buffer lending"). @default 1048576
   */
  readBufferBytes: number
  /**
   * The engine's memory work (ftp/memory/): read-buffer lending for downloads and chunk release for
   * uploads whose caller allows it. `false` turns both off (MEMORY_TUNING). @default true
   */
  memoryTuning: boolean
  /** Send NOOP after this long idle to keep NATs and servers from dropping the session; 0 disables. @default 0 */
  keepaliveMs: number
  logger?: FtpLogger | undefined
  /** Names the server in published command events (the gateway's upstream name). */
  label?: string | undefined
}

/** Defaults merged under caller options. */
export const defaultSessionOptions = Object.freeze({
  port: 21,
  secure: 'none' as TlsMode,
  dataMode: 'passive' as DataMode,
  timeoutMs: 30_000,
  encoding: 'utf8' as ControlEncoding,
  maxReplyBytes: 64 * 1024,
  maxListingBytes: 40 * 1024 * 1024,
  timeZoneOffsetMinutes: 0,
  readBufferBytes: 1024 * 1024,
  memoryTuning: true,
  keepaliveMs: 0,
})

/** Fills defaults and validates; throws an FtpError of kind 'bad-name' for bad options. */
export function resolveSessionOptions(
  options: Partial<FtpSessionOptions> & Pick<FtpSessionOptions, 'host' | 'user' | 'password'>,
): FtpSessionOptions {
  const secure = options.secure ?? defaultSessionOptions.secure
  const merged: FtpSessionOptions = {
    ...defaultSessionOptions,
    port: secure === 'implicit' ? 990 : 21,
    ...stripUndefined(options),
  } as FtpSessionOptions
  if (!merged.host) throw new FtpError('bad-name', 'host is required')
  if (!Number.isInteger(merged.port) || merged.port < 1 || merged.port > 65535)
    throw new FtpError('bad-name', 'port must be 1-65535')
  if (!(merged.timeoutMs > 0)) throw new FtpError('bad-name', 'timeoutMs must be positive')
  if (merged.activePorts) {
    const [lo, hi] = merged.activePorts
    if (!(lo >= 1 && hi <= 65535 && lo <= hi))
      throw new FtpError('bad-name', 'activePorts must be a range within 1-65535')
  }
  return merged
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
