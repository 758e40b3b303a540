/**
 * An in-memory pino logger for fault tests: what the gateway logged, as parsed records, so a case
 * can assert WHY a request ended (which error, which code, which timer) instead of how long it took.
 */
import { Writable } from 'node:stream'
import pino from 'pino'

/** One parsed log record. */
export type LogRecord = Record<string, unknown> & { msg?: string; level?: number }

/** A logger for startGateway's `options.logger` and the records it received. */
export interface CapturedLogs {
  logger: pino.Logger
  records: LogRecord[]
  /** Records logged after `mark` (an earlier `records.length`). */
  since(mark: number): LogRecord[]
}

/** Captures every record at `level` and above (pino writes to a plain stream synchronously). */
export function captureLogs(level: pino.LevelWithSilent = 'info'): CapturedLogs {
  const records: LogRecord[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') records.push(JSON.parse(line))
      done()
    },
  })
  return { logger: pino({ level }, sink), records, since: (mark) => records.slice(mark) }
}

/** What an error record says about the error that ended a request. */
export interface LoggedFailure {
  /** `request failed` (a problem was sent) or `failed after the response started; aborting it`. */
  msg: string
  /** The error's code (FILE_ERR_TIMEOUT, ...). */
  code: string
  /** The FTP engine's own words: the reply, or which timer fired ("Data connection idle for N ms"). */
  upstreamReply: string | undefined
  /** The serialized error's message (the FileError's, then its cause's). */
  message: string
}

/**
 * The request failures logged in `records`: sendProblem logs a 5xx as `request failed`, and an
 * error after the headers went out as `failed after the response started; aborting it`.
 */
export function failures(records: LogRecord[]): LoggedFailure[] {
  return records
    .filter((r) => r.err !== undefined && (r.level ?? 0) >= 50)
    .map((r) => {
      const err = r.err as Record<string, unknown>
      return {
        msg: String(r.msg),
        code: String(err.code ?? r.code),
        upstreamReply: typeof err.upstreamReply === 'string' ? err.upstreamReply : undefined,
        message: String(err.message ?? ''),
      }
    })
}
