import { once } from 'node:events'
import type net from 'node:net'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import type { DataChannel } from './data-channel.js'
import { normalizeIp } from './data-channel.js'
import { replyForError, stripTelnet, writeControl } from './faults.js'
import { MLST_FACTS, type MlstFact } from './listing-format.js'
import type { PathResolver } from './path-resolver.js'
import { toVirtual } from './path-resolver.js'
import type {
  CommandRecord,
  CommandTable,
  Faults,
  FeatureFlags,
  InterceptContext,
  InterceptHandler,
  LocalFtpServerOptions,
  LocalServerLogger,
} from './types.js'

/** Longest command line accepted; longer ones get 500 and the connection closes. */
export const MAX_LINE_BYTES = 8192

/** What a session needs from its server (kept narrow so sessions are testable on their own). */
export interface ServerContext {
  /** The built-in commands (handed in, so the session does not import the commands that use it). */
  readonly commandTable: Readonly<CommandTable<Session>>
  readonly options: LocalFtpServerOptions
  readonly features: Readonly<FeatureFlags>
  readonly faults: Faults
  readonly resolver: PathResolver
  readonly secureContext: tls.SecureContext | undefined
  readonly logger: LocalServerLogger | undefined
  readonly dataTimeoutMs: number
  record(rec: CommandRecord): void
  takeIntercept(verb: string): InterceptHandler | undefined
  checkLogin(user: string, password: string): boolean
}

/** A transfer in progress; `abort` closes its data connection and resolves once 426 is sent. */
export interface ActiveTransfer {
  abort(): Promise<void>
}

interface QueuedCommand {
  verb: string
  arg: string
}

/** One control connection: reads command lines, runs them in order, writes replies. */
export class Session {
  user: string | undefined
  loggedIn = false
  /** Virtual current directory, absolute from the served root. */
  cwd = '/'
  restOffset = 0
  /** Inclusive end byte set by RANG; undefined means to the end. */
  rangEnd: number | undefined
  renameFrom: string | undefined
  data: DataChannel | undefined
  transfer: ActiveTransfer | undefined
  /** PROT P: data connections are wrapped in TLS. */
  protP = false
  pbszSeen = false
  /** After `EPSV ALL` only EPSV may set up data connections (RFC 2428 §4). */
  epsvAll = false
  mlstFacts = new Set<MlstFact>(MLST_FACTS)

  private socket: net.Socket
  private buffer: Buffer = Buffer.alloc(0)
  private queue: QueuedCommand[] = []
  private pumping = false
  private closed = false
  private cleanedUp = false
  private writeChain: Promise<void> = Promise.resolve()
  private idleTimer: NodeJS.Timeout | undefined
  private readonly onData = (chunk: Buffer): void => this.receive(chunk)

  constructor(
    readonly id: number,
    socket: net.Socket,
    readonly ctx: ServerContext,
    private readonly onClose: (s: Session) => void,
  ) {
    this.socket = socket
    this.attach(socket)
  }

  /** The control peer's IP: the only address data connections may come from or go to. */
  get peerAddress(): string {
    return normalizeIp(this.socket.remoteAddress)
  }

  get localAddress(): string {
    return normalizeIp(this.socket.localAddress)
  }

  get secure(): boolean {
    return this.socket instanceof tls.TLSSocket
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Sends the greeting (or the configured greeting fault) and starts reading commands. */
  start(): void {
    const mode = this.ctx.faults.greeting ?? 'normal'
    if (mode === 'hang') return
    if (mode === '421') {
      void this.reply(421, 'Too many connections, try again later.')
      this.close()
      return
    }
    void this.reply(220, this.ctx.options.greeting ?? ['ftp-gateway local FTP server ready'])
    this.touch()
  }

  private attach(socket: net.Socket): void {
    socket.setNoDelay(true)
    socket.on('data', this.onData)
    socket.on('error', (err) =>
      this.ctx.logger?.warn({ session: this.id, err: err.message }, 'control error'),
    )
    socket.once('close', () => this.cleanup())
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    for (;;) {
      const nl = this.buffer.indexOf(0x0a)
      if (nl < 0) break
      let line = this.buffer.subarray(0, nl)
      this.buffer = this.buffer.subarray(nl + 1)
      if (line.at(-1) === 0x0d) line = line.subarray(0, -1)
      if (line.length > MAX_LINE_BYTES) {
        this.tooLong()
        return
      }
      this.onLine(Buffer.from(line))
      if (this.closed) return
    }
    if (this.buffer.length > MAX_LINE_BYTES) this.tooLong()
  }

  private tooLong(): void {
    this.buffer = Buffer.alloc(0)
    this.socket.off('data', this.onData)
    void this.reply(500, 'Command line too long.')
    this.close()
  }

  private onLine(raw: Buffer): void {
    const text = stripTelnet(raw).toString('utf8')
    const space = text.indexOf(' ')
    const verb = (space < 0 ? text : text.slice(0, space)).toUpperCase()
    // RFC 3659 §2.2: exactly one space separates verb and argument; trailing spaces are kept.
    const arg = space < 0 ? '' : text.slice(space + 1)
    const isPass = verb === 'PASS'
    this.ctx.record({
      session: this.id,
      verb,
      arg: isPass ? '***' : arg,
      raw: isPass ? Buffer.from('PASS ***') : raw,
    })
    this.ctx.logger?.info({ session: this.id, verb, arg: isPass ? '***' : arg }, 'ftp command')
    this.touch()
    if (verb === '') return
    // ABOR must overtake the transfer it cancels; everything else waits its turn.
    if (verb === 'ABOR' && this.transfer) {
      void this.execute({ verb, arg })
      return
    }
    this.queue.push({ verb, arg })
    void this.pump()
  }

  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      while (this.queue.length > 0 && !this.closed) await this.execute(this.queue.shift()!)
    } finally {
      this.pumping = false
    }
  }

  private async execute(cmd: QueuedCommand): Promise<void> {
    try {
      const intercept = this.ctx.takeIntercept(cmd.verb)
      if (intercept) await intercept(this.interceptContext(cmd))
      else await this.builtin(cmd)
    } catch (err) {
      if (!this.closed) await this.reply(...replyForError(err))
    }
    this.touch()
  }

  private async builtin({ verb, arg }: QueuedCommand): Promise<void> {
    const commands = this.ctx.commandTable
    const spec = Object.hasOwn(commands, verb) ? commands[verb] : undefined
    if (!spec || (spec.feature && !this.ctx.features[spec.feature])) {
      await this.reply(502, 'Command not implemented.')
      return
    }
    if (!spec.public && !this.loggedIn) {
      await this.reply(530, 'Please login with USER and PASS.')
      return
    }
    await spec.handler(this, arg)
  }

  private interceptContext(cmd: QueuedCommand): InterceptContext {
    return {
      verb: cmd.verb,
      arg: cmd.arg,
      session: this.id,
      reply: (code, text) => this.reply(code, text),
      write: (raw) => this.write(raw),
      close: () => this.close(),
      destroy: () => this.destroy(),
      openData: () => this.openData(),
      fallthrough: () => this.builtin(cmd),
      hang: () => new Promise<never>(() => {}),
    }
  }

  /** Queues raw bytes on the control connection, in order, honouring `splitReplies`. */
  write(raw: string | Buffer): Promise<void> {
    const buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw
    this.writeChain = this.writeChain
      .then(() => writeControl(this.socket, buf, this.ctx.faults.splitReplies === true))
      .catch(() => {})
    return this.writeChain
  }

  /** A reply; an array is multi-line: `code-first`, middle lines verbatim, `code last`. */
  reply(code: number, text: string | string[]): Promise<void> {
    const lines = Array.isArray(text) ? text : [text]
    if (lines.length <= 1) return this.write(`${code} ${lines[0] ?? ''}\r\n`)
    const middle = lines.slice(1, -1).map((l) => `${l}\r\n`)
    return this.write(`${code}-${lines[0]}\r\n${middle.join('')}${code} ${lines.at(-1)}\r\n`)
  }

  /** Resolves a command argument against the CWD; undefined when it climbs above the root. */
  virtual(arg: string): string | undefined {
    return toVirtual(this.cwd, arg)
  }

  /** Replaces the pending data channel (one per session). */
  setData(channel: DataChannel | undefined): void {
    this.data?.close()
    this.data = channel
  }

  /** Connects the pending data channel, wrapping it in TLS after PROT P. Consumes the channel. */
  async openData(): Promise<Duplex> {
    const channel = this.data
    if (!channel) throw new Error('no data channel')
    const socket = await channel.open()
    if (!this.protP || !this.ctx.secureContext) return socket
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: this.ctx.secureContext })
    await once(secure, 'secure')
    return secure
  }

  /** AUTH TLS: answer 234 in clear, then hand the socket to TLS before the client's hello. */
  async upgradeToTls(): Promise<void> {
    const context = this.ctx.secureContext
    if (!context) return
    const plain = this.socket
    plain.off('data', this.onData)
    await this.reply(234, 'Proceed with negotiation.')
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: context })
    this.socket = secure
    secure.on('data', this.onData)
    secure.on('error', (err) => this.ctx.logger?.warn({ session: this.id, err: err.message }, 'tls error'))
    secure.once('close', () => this.cleanup())
  }

  /** Flushes queued writes, then ends the control connection. */
  close(): void {
    if (this.closed) return
    this.closed = true
    void this.writeChain.then(() => this.socket.end())
  }

  /** Drops the control connection now. */
  destroy(): void {
    this.closed = true
    this.socket.destroy()
  }

  /** Restarts the idle clock; transfers in progress keep a session alive. */
  touch(): void {
    const ms = this.ctx.options.idleTimeoutMs
    if (!ms || this.closed) return
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      if (this.transfer) return this.touch()
      void this.reply(421, 'Timeout: closing control connection.')
      this.close()
    }, ms)
    this.idleTimer.unref()
  }

  private cleanup(): void {
    if (this.cleanedUp) return
    this.cleanedUp = true
    this.closed = true
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.setData(undefined)
    void this.transfer?.abort()
    this.onClose(this)
  }
}
