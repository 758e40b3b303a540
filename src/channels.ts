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
