/**
 * FTP command timing published on a `node:diagnostics_channel`, so layers above (the metrics
 * endpoint) observe the engine without the engine importing them. Publishing costs one
 * `hasSubscribers` check when nobody listens.
 */
import { AsyncResource } from 'node:async_hooks'
import diagnosticsChannel from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import {
  FTP_COMMAND_CHANNEL,
  FTP_TRANSFER_CHANNEL,
  type FtpCommandEvent,
  type FtpTransferEvent,
} from '../channels.js'

// The names and the messages live in src/channels.ts, where layers above subscribe without importing ftp/.
export { FTP_COMMAND_CHANNEL, FTP_TRANSFER_CHANNEL, type FtpCommandEvent, type FtpTransferEvent }

const channel = diagnosticsChannel.channel(FTP_COMMAND_CHANNEL)
const transferChannel = diagnosticsChannel.channel(FTP_TRANSFER_CHANNEL)

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

/** Starts timing one data transfer; undefined when nobody subscribes (then nothing is measured). */
export function startTransferTimer(
  command: string,
  session: number,
  upstream: string,
): TransferTimer | undefined {
  return transferChannel.hasSubscribers ? new TransferTimer(command, session, upstream) : undefined
}

/**
 * Measures one data transfer and publishes it once. A download ends in socket callbacks, outside
 * the request's async context; the publication runs in the context the transfer started in, so a
 * subscriber (tracing) sees the request it belongs to.
 */
export class TransferTimer {
  readonly #started = performance.now()
  readonly #scope = new AsyncResource('ftp-gateway:transfer')
  #done = false
  constructor(
    readonly command: string,
    readonly session: number,
    readonly upstream: string,
  ) {}

  /** Publishes the transfer (only the first call counts). */
  done(bytes: number, ok: boolean): void {
    if (this.#done) return
    this.#done = true
    const event: FtpTransferEvent = {
      command: this.command.toUpperCase(),
      bytes,
      durationMs: performance.now() - this.#started,
      ok,
      upstream: this.upstream,
      session: this.session,
    }
    this.#scope.runInAsyncScope(() => transferChannel.publish(event))
    this.#scope.emitDestroy()
  }
}
