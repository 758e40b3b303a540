import net from 'node:net'
import { StringDecoder } from 'node:string_decoder'
import tls from 'node:tls'
import { type ControlEncoding, encodeCommand, redactCommand } from './command.js'
import { startCommandTimer } from './diagnostics.js'
import { FtpError } from './errors.js'
import type { FtpLogger } from './options.js'
import { type FtpReply, ReplyParser } from './reply-parser.js'
import { Reply } from './status.js'
import { type TlsMode, tlsIdentity } from './tls.js'

// Exchanges kept for the report of a reply that never came.
const TRAIL_LENGTH = 16

/** Options for opening a control connection. */
export interface ControlConnectionOptions {
  host: string
  port: number
  secure: TlsMode
  /** TLS options for the control connection and every data connection (ca, rejectUnauthorized, versions). */
  tls: tls.ConnectionOptions
  /** Inactivity timeout for connecting and for each awaited reply. */
  timeoutMs: number
  encoding: ControlEncoding
  maxReplyBytes: number
  logger?: FtpLogger | undefined
  /** Identifies the session in logs. */
  sessionId: number
  /** Names the server in published command events (the gateway's upstream name). */
  label?: string | undefined
}

/** Commands whose first reply may be preliminary (1xx): transfers and listings. */
const PRELIMINARY_ALLOWED = new Set(['RETR', 'STOR', 'STOU', 'APPE', 'LIST', 'NLST', 'MLSD'])

interface Waiter {
  resolve(reply: FtpReply): void
  reject(err: Error): void
  timer: NodeJS.Timeout | undefined
}

/**
 * One FTP control connection: writes commands, parses replies into a queue and hands them out in
 * order. Every reply is consumed by someone (a 150 then its 226, a 421 at any moment), so the
 * session above never reads a stale reply. Once it fails it stays failed: `failure` says why.
 */
export class ControlConnection {
  #socket: net.Socket
  readonly #opts: ControlConnectionOptions
  #decoder: StringDecoder
  readonly #parser: ReplyParser
  readonly #queue: FtpReply[] = []
  #waiter: Waiter | undefined
  #failure: FtpError | undefined
  #tlsSession: Buffer | undefined
  /** The last verbs sent and reply codes received (no arguments, no texts), for timeout reports. */
  readonly #trail: string[] = []
  /** The control peer's address, pinned at connect: every passive data connection dials it. */
  readonly remoteAddress: string
  readonly localAddress: string

  private constructor(socket: net.Socket, opts: ControlConnectionOptions) {
    this.#socket = socket
    this.#opts = opts
    this.#decoder = new StringDecoder(opts.encoding)
    this.#parser = new ReplyParser(opts.maxReplyBytes)
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? opts.host)
    this.localAddress = normalizeAddress(socket.localAddress ?? '127.0.0.1')
    this.#attach(socket)
  }

  /** Connects (with TLS from the first byte when implicit) and returns the connection and its greeting. */
  static async open(
    opts: ControlConnectionOptions,
  ): Promise<{ conn: ControlConnection; greeting: FtpReply }> {
    const socket = await dial(opts)
    const conn = new ControlConnection(socket, opts)
    let greeting = await conn.read()
    // 120 means "ready in nnn minutes": a second greeting follows.
    while (greeting.code === Reply.ReadyInMinutes) greeting = await conn.read()
    if (greeting.code !== Reply.ServiceReady) {
      const kind = greeting.code === Reply.ServiceNotAvailable ? 'transient' : 'protocol'
      conn.destroy()
      throw new FtpError(kind, `Greeting: ${greeting.code} ${greeting.text.split('\n')[0]}`, {
        replyCode: greeting.code,
      })
    }
    return { conn, greeting }
  }

  /** Why the connection is unusable, or undefined while it works. */
  get failure(): FtpError | undefined {
    return this.#failure
  }

  get secure(): boolean {
    return this.#socket instanceof tls.TLSSocket
  }

  /**
   * Secures a data connection (dialled or accepted, connected or not yet) as this control
   * connection: same certificate checks against the configured host, and it resumes this
   * connection's latest TLS session, which servers such as vsftpd (require_ssl_reuse) and ProFTPD
   * demand. A newer session it receives replaces the one kept (TLS 1.3 tickets are single-use).
   */
  secureData(raw: net.Socket): tls.TLSSocket {
    const secured = tls.connect({
      ...tlsIdentity(this.#opts.host, this.#opts.tls),
      socket: raw,
      session: this.#tlsSession,
    })
    secured.on('session', (session: Buffer) => {
      this.#tlsSession = session
    })
    return secured
  }

  get encoding(): ControlEncoding {
    return this.#opts.encoding
  }

  get timeoutMs(): number {
    return this.#opts.timeoutMs
  }

  /** Replies received that nobody has read yet. */
  get queued(): number {
    return this.#queue.length
  }

  /** Writes one command; throws (before writing anything) when the argument is unsafe. */
  send(verb: string, arg?: string): void {
    if (this.#failure) throw this.#failure
    const bytes = encodeCommand(verb, arg, this.#opts.encoding)
    this.#opts.logger?.debug?.({ session: this.#opts.sessionId, command: redactCommand(verb, arg) }, 'ftp >')
    this.#note(`>${verb.toUpperCase()}`)
    this.#socket.write(bytes)
  }

  /**
   * The next reply. `timeoutMs` null waits without limit (used while a data transfer is running,
   * whose own inactivity timer covers it); a timeout makes the connection unusable.
   */
  read(timeoutMs: number | null = this.#opts.timeoutMs): Promise<FtpReply> {
    const queued = this.#queue.shift()
    if (queued) return Promise.resolve(queued)
    if (this.#failure) return Promise.reject(this.#failure)
    if (this.#waiter) return Promise.reject(new FtpError('protocol', 'Two readers on one control connection'))
    return new Promise<FtpReply>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined }
      if (timeoutMs !== null && timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          // What led here is the only clue to a server (or a bug) that lost track of a reply.
          this.#opts.logger?.warn?.(
            { session: this.#opts.sessionId, trail: this.#trail.join(' '), queued: this.#queue.length },
            'ftp reply timed out',
          )
          this.#fail(new FtpError('timeout', `No reply within ${timeoutMs} ms`))
        }, timeoutMs)
      }
      this.#waiter = waiter
    })
  }

  /**
   * Sends a command and reads its reply. Only transfer commands have preliminary (1xx) replies; any
   * other command skips a stray 1xx, such as the 150 Pure-FTPd sends after an ABOR that would
   * otherwise be taken as the answer to the next command.
   */
  async request(verb: string, arg?: string, timeoutMs?: number | null): Promise<FtpReply> {
    // Timing for /metrics goes out on a diagnostics channel; the engine knows nothing of Prometheus.
    const timer = startCommandTimer(verb, this.#opts.sessionId, this.#opts.label)
    try {
      const reply = await this.#exchange(verb, arg, timeoutMs)
      timer?.done(reply.code)
      return reply
    } catch (err) {
      timer?.done(0)
      throw err
    }
  }

  async #exchange(
    verb: string,
    arg: string | undefined,
    timeoutMs: number | undefined | null,
  ): Promise<FtpReply> {
    this.#assertInStep(verb)
    this.send(verb, arg)
    let reply = await this.read(timeoutMs)
    if (!PRELIMINARY_ALLOWED.has(verb.toUpperCase())) {
      while (reply.code < 200) {
        this.#opts.logger?.debug?.(
          { session: this.#opts.sessionId, code: reply.code },
          'stray preliminary reply skipped',
        )
        reply = await this.read(timeoutMs)
      }
    }
    return reply
  }

  /**
   * True when a final (2xx-5xx) reply waits that nobody asked for: the server answered something
   * twice, or out of order, so every later command would read the reply meant for the one before.
   */
  get outOfStep(): boolean {
    return this.#queue.some((r) => r.code >= 200)
  }

  /**
   * Before a new command, nothing may be left unread but stray preliminary replies (dropped here,
   * as #exchange drops them). A final reply left over fails the connection before anything is
   * sent, as a lost connection would (nothing reached the server, so the caller may retry).
   */
  #assertInStep(verb: string): void {
    if (this.#failure) return
    if (this.outOfStep) {
      const stray = this.#queue.find((r) => r.code >= 200)
      this.#fail(
        new FtpError(
          'connection',
          `Control connection out of step: unsolicited reply ${stray?.code} before ${verb}`,
          {
            replyCode: stray?.code,
          },
        ),
      )
      return
    }
    this.#queue.length = 0
  }

  /** Upgrades the plain socket to TLS after `AUTH TLS` was accepted (RFC 4217 §4). */
  async upgradeToTls(): Promise<void> {
    const plain = this.#socket
    plain.removeAllListeners('data')
    plain.removeAllListeners('close')
    plain.removeAllListeners('error')
    plain.setTimeout(0)
    this.#decoder = new StringDecoder(this.#opts.encoding)
    const secured = await secureSocket(plain, this.#opts)
    this.#socket = secured
    this.#attach(secured)
  }

  /** Sends QUIT and waits briefly for the goodbye; always ends with the socket closed. */
  async quit(timeoutMs = 2000): Promise<void> {
    if (this.#failure) return this.destroy()
    try {
      this.send('QUIT')
      await this.read(timeoutMs)
    } catch {
      // The server may close first; either way the session is over.
    } finally {
      this.destroy()
    }
  }

  /** Closes the socket at once and fails any pending read. */
  destroy(reason?: FtpError): void {
    this.#fail(reason ?? new FtpError('connection', 'Control connection closed by the gateway'))
  }

  #attach(socket: net.Socket): void {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', (err) =>
      this.#fail(new FtpError('connection', `Control connection: ${err.message}`, { cause: err })),
    )
    socket.on('close', () =>
      this.#fail(new FtpError('connection', 'Control connection closed by the server')),
    )
    if (socket instanceof tls.TLSSocket) {
      socket.on('session', (session: Buffer) => {
        this.#tlsSession = session
      })
      const current = socket.getSession()
      if (current) this.#tlsSession = current
    }
  }

  #onData(chunk: Buffer): void {
    let replies: FtpReply[]
    try {
      replies = this.#parser.push(this.#decoder.write(chunk))
    } catch (err) {
      this.#fail(err instanceof FtpError ? err : new FtpError('protocol', String(err)))
      return
    }
    for (const reply of replies) {
      this.#note(`<${reply.code}`)
      this.#opts.logger?.debug?.(
        { session: this.#opts.sessionId, code: reply.code, text: reply.text.slice(0, 200) },
        'ftp <',
      )
      const waiter = this.#waiter
      if (waiter) {
        this.#waiter = undefined
        if (waiter.timer) clearTimeout(waiter.timer)
        waiter.resolve(reply)
      } else {
        this.#queue.push(reply)
      }
      // 421 may answer anything and means the server is closing: no further command may use this connection.
      if (reply.code === Reply.ServiceNotAvailable) {
        this.#failure ??= new FtpError('transient', `Server closing: 421 ${reply.text.split('\n')[0]}`, {
          replyCode: Reply.ServiceNotAvailable,
        })
        this.#socket.end()
      }
    }
  }

  #note(entry: string): void {
    if (this.#trail.length >= TRAIL_LENGTH) this.#trail.shift()
    this.#trail.push(entry)
  }

  /** The last exchanges, oldest first: `>VERB` sent, `<CODE` received. */
  get trail(): readonly string[] {
    return this.#trail
  }

  #fail(err: FtpError): void {
    this.#failure ??= err
    const waiter = this.#waiter
    if (waiter) {
      this.#waiter = undefined
      if (waiter.timer) clearTimeout(waiter.timer)
      waiter.reject(this.#failure)
    }
    if (!this.#socket.destroyed) this.#socket.destroy()
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so addresses compare equal whatever the socket family. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

function dial(opts: ControlConnectionOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.destroy()
      reject(
        err instanceof FtpError
          ? err
          : new FtpError(
              tlsFailure(err) ? 'tls' : 'connection',
              `Connect to ${opts.host}:${opts.port}: ${err.message}`,
              { cause: err },
            ),
      )
    }
    const socket: net.Socket =
      opts.secure === 'implicit'
        ? tls.connect({ ...tlsIdentity(opts.host, opts.tls), port: opts.port })
        : net.connect({ host: opts.host, port: opts.port })
    socket.setTimeout(opts.timeoutMs, () =>
      onError(new FtpError('timeout', `Connect to ${opts.host}:${opts.port} timed out`)),
    )
    socket.once('error', onError)
    socket.once(opts.secure === 'implicit' ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0)
      socket.removeListener('error', onError)
      resolve(socket)
    })
  })
}

function secureSocket(plain: net.Socket, opts: ControlConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    // The configured host, not the socket's: an IP address would otherwise be checked as 'localhost'.
    const secured = tls.connect({ ...tlsIdentity(opts.host, opts.tls), socket: plain })
    const timer = setTimeout(() => {
      secured.destroy()
      reject(new FtpError('timeout', 'TLS handshake timed out'))
    }, opts.timeoutMs)
    secured.once('error', (err) => {
      clearTimeout(timer)
      secured.destroy()
      reject(new FtpError('tls', `TLS handshake: ${err.message}`, { cause: err }))
    })
    secured.once('secureConnect', () => {
      clearTimeout(timer)
      secured.removeAllListeners('error')
      resolve(secured)
    })
  })
}

function tlsFailure(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code ?? ''
  return /CERT|SSL|TLS|SELF_SIGNED|HOSTNAME|ALTNAME/i.test(code) || /certificate|ssl|tls/i.test(err.message)
}
