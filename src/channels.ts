/**
 * Names and messages of the diagnostics channels (`node:diagnostics_channel`) on which a lower
 * layer publishes what a higher one observes. This module imports nothing, so every layer may
 * import it: the metrics endpoint subscribes to the engine's FTP command timings by name without
 * importing src/ftp (http/ never speaks FTP), and the engine publishes without knowing who listens.
 */

/** Name of the channel every FTP command/reply exchange is published on (src/ftp/diagnostics.ts). */
export const FTP_COMMAND_CHANNEL = 'ftp-gateway:ftp.command'

/** One command and its final (or first, for transfers) reply, as published on FTP_COMMAND_CHANNEL. */
export interface FtpCommandEvent {
  /** The verb only (`RETR`, `STOR`, `CWD`, …), upper case; arguments are never published. */
  command: string
  /** The reply code; 0 when no reply came (timeout, connection loss, refused argument). */
  code: number
  /** Milliseconds from writing the command to its reply (or the failure). */
  durationMs: number
  /** The engine's session id, as in its log lines. */
  session: number
  /** The session's `label` option: the gateway's upstream name. */
  upstream?: string
}

/**
 * Name of the channel every finished data transfer is published on (src/ftp/diagnostics.ts):
 * downloads, uploads and listings, whether they succeeded or not.
 */
export const FTP_TRANSFER_CHANNEL = 'ftp-gateway:ftp.transfer'

/** One data transfer, as published on FTP_TRANSFER_CHANNEL. */
export interface FtpTransferEvent {
  /** The transfer command: RETR, STOR, APPE, MLSD, LIST or NLST. */
  command: string
  /** Bytes moved over the data connection. */
  bytes: number
  /** Milliseconds from opening the data connection to the transfer's end. */
  durationMs: number
  /** false when it failed or was abandoned (a client gone, a short count, a refused command). */
  ok: boolean
  /** The upstream as `host:port` (never credentials). */
  upstream: string
  /** The engine's session id, as in its log lines. */
  session: number
}

/** Name of the channel every pool checkout is published on (src/pool/diagnostics.ts). */
export const POOL_ACQUIRE_CHANNEL = 'ftp-gateway:pool.acquire'

/** One checkout (or a failed attempt), as published on POOL_ACQUIRE_CHANNEL. */
export interface PoolAcquireEvent {
  /** The upstream the pool serves (its id in store keys; never credentials). */
  upstream: string
  /** Milliseconds from asking to having a session (or giving up). */
  durationMs: number
  /** `ok`, or why none was handed out: the pool error's code, or `error`. */
  outcome: string
}

/** Name of the channel bans are published on when issued or lifted (src/auth/bans.ts). */
export const BAN_CHANNEL = 'ftp-gateway:auth.ban'

/** A ban issued or lifted, as published on BAN_CHANNEL (never the subject: metrics need no names). */
export interface BanEvent {
  action: 'issued' | 'lifted'
  kind: 'address' | 'user'
  /** The subject's strikes, the new ban's included. */
  strikes: number
  /** The ban's length; 0 for a lift. */
  seconds: number
  /** The store the ban is kept in: a metrics endpoint counts only its own gateway's bans. */
  store: object
}
