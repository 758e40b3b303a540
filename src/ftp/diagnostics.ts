/**
 * FTP command timing published on a `node:diagnostics_channel`, so layers above (the metrics
 * endpoint) observe the engine without the engine importing them. Publishing costs one
 * `hasSubscribers` check when nobody listens.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { FTP_COMMAND_CHANNEL, type FtpCommandEvent } from '../channels.js'

// The name and the message live in src/channels.ts, where layers above subscribe without importing ftp/.
export { FTP_COMMAND_CHANNEL, type FtpCommandEvent }

const channel = diagnosticsChannel.channel(FTP_COMMAND_CHANNEL)

/** Starts timing one command; undefined when nobody subscribes (then nothing is measured). */
export function startCommandTimer(verb: string, session: number, label?: string): CommandTimer | undefined {
  return channel.hasSubscribers ? new CommandTimer(verb, session, label) : undefined
}

/** Measures one exchange and publishes it when it ends. */
export class CommandTimer {
  readonly #started = performance.now()
  constructor(
    readonly verb: string,
    readonly session: number,
    readonly label?: string,
  ) {}

  /** Publishes the exchange with its reply code (0 for no reply). */
  done(code: number): void {
    const event: FtpCommandEvent = {
      command: this.verb.toUpperCase(),
      code,
      durationMs: performance.now() - this.#started,
      session: this.session,
      ...(this.label === undefined ? {} : { upstream: this.label }),
    }
    channel.publish(event)
  }
}

/** Subscribes to command events; returns the function that unsubscribes. */
export function onFtpCommand(listener: (event: FtpCommandEvent) => void): () => void {
  const handler = (message: unknown) => listener(message as FtpCommandEvent)
  diagnosticsChannel.subscribe(FTP_COMMAND_CHANNEL, handler)
  return () => {
    diagnosticsChannel.unsubscribe(FTP_COMMAND_CHANNEL, handler)
  }
}
