import { timingSafeEqual } from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'
import { COMMANDS } from './commands/index.js'
import { normalizeIp } from './data-channel.js'
import { PathResolver } from './path-resolver.js'
import { type ServerContext, Session } from './session.js'
import {
  type CommandRecord,
  DEFAULT_FEATURES,
  type Faults,
  type FeatureFlags,
  type InterceptHandler,
  type LocalFtpServerOptions,
  type LocalServerLogger,
} from './types.js'

interface Intercept {
  verb: string
  handler: InterceptHandler
  /** Remaining uses; undefined means every time. */
  times: number | undefined
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * A small FTP/FTPS server over a directory: the gateway's upstream in local mode and the test
 * suite's scriptable fault-injection server. Binds to 127.0.0.1 unless told otherwise.
 */
export class LocalFtpServer implements ServerContext {
  readonly commandTable = COMMANDS
  readonly options: LocalFtpServerOptions
  readonly features: Readonly<FeatureFlags>
  readonly resolver: PathResolver
  readonly secureContext: tls.SecureContext | undefined
  readonly logger: LocalServerLogger | undefined
  readonly dataTimeoutMs: number
  /** Fault-injection knobs; change them at any time, they are read on every use. */
  faults: Faults = {}

  private server: net.Server | undefined
  private addr: { host: string; port: number } | undefined
  private readonly sessions = new Set<Session>()
  private readonly log: CommandRecord[] = []
  private intercepts: Intercept[] = []
  private nextSession = 1

  constructor(options: LocalFtpServerOptions) {
    this.options = options
    this.features = Object.freeze({ ...DEFAULT_FEATURES, ...options.features })
    this.resolver = new PathResolver(options.root)
    this.logger = options.logger
    this.dataTimeoutMs = options.dataTimeoutMs ?? 30_000
    this.secureContext = options.tls
      ? tls.createSecureContext({ key: options.tls.key, cert: options.tls.cert })
      : undefined
  }

  /** Where the server listens, once `listen` has resolved. */
  get address(): { host: string; port: number } | undefined {
    return this.addr
  }

  /** Every command received, in order (PASS arguments recorded as '***'). */
  get commands(): ReadonlyArray<CommandRecord> {
    return this.log
  }

  /** Control connections open now. */
  get connectionCount(): number {
    return this.sessions.size
  }

  /** Control connections accepted since start. */
  get totalConnections(): number {
    return this.nextSession - 1
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<{ host: string; port: number }> {
    if (this.addr) return this.addr
    await this.resolver.rootReal()
    const tlsOptions = this.options.tls
    const server = tlsOptions?.implicit
      ? tls.createServer({ key: tlsOptions.key, cert: tlsOptions.cert }, (s) => this.accept(s))
      : net.createServer((s) => this.accept(s))
    // A failed implicit-TLS handshake must not take the server down.
    server.on('tlsClientError', () => {})
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: this.options.host ?? '127.0.0.1', port: this.options.port ?? 0 }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    const a = server.address() as net.AddressInfo
    this.addr = { host: normalizeIp(a.address), port: a.port }
    this.logger?.info({ ...this.addr, root: this.options.root }, 'local FTP server listening')
    return this.addr
  }

  /** Stops listening and drops every session. */
  async close(): Promise<void> {
    const server = this.server
    this.server = undefined
    this.addr = undefined
    for (const s of this.sessions) s.destroy()
    this.sessions.clear()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /**
   * Runs `handler` instead of the built-in handling of `verb` (case-insensitive) in every session,
   * or only for the next `times` commands; the handler may call `fallthrough()` to wrap it.
   */
  intercept(verb: string, handler: InterceptHandler, options: { times?: number } = {}): void {
    this.intercepts.push({ verb: verb.toUpperCase(), handler, times: options.times })
  }

  /** Removes every intercept. */
  clearIntercepts(): void {
    this.intercepts = []
  }

  /** @internal Used by sessions: the first live intercept for `verb`, consuming one use. */
  takeIntercept(verb: string): InterceptHandler | undefined {
    const i = this.intercepts.find((x) => x.verb === verb && (x.times === undefined || x.times > 0))
    if (!i) return undefined
    if (i.times !== undefined) i.times--
    return i.handler
  }

  /** @internal */
  record(rec: CommandRecord): void {
    this.log.push(rec)
  }

  /** @internal */
  checkLogin(user: string, password: string): boolean {
    const users = this.options.users
    if (typeof users === 'function') return users(user, password)
    return Object.hasOwn(users, user) && sameSecret(users[user]!, password)
  }

  private accept(socket: net.Socket): void {
    const session = new Session(this.nextSession++, socket, this, (s) => this.sessions.delete(s))
    this.sessions.add(session)
    this.logger?.info({ session: session.id, remote: socket.remoteAddress }, 'ftp connection')
    session.start()
  }
}
