import net from 'node:net'

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) compares equal to its IPv4 form. */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return ''
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

/** A data connection waiting to be used: a passive listener or an active dial target. */
export interface DataChannel {
  /** The connected data socket (accepts, or dials, at most once). */
  open(): Promise<net.Socket>
  /** Close the listener and any socket, failing a pending `open`. */
  close(): void
}

/** Passive mode: one listener that accepts only the control peer's IP, then closes. */
export class PassiveChannel implements DataChannel {
  private socket: net.Socket | undefined
  private waiter: { resolve(s: net.Socket): void; reject(e: Error): void } | undefined
  private failure: Error | undefined
  private timer: NodeJS.Timeout | undefined

  private constructor(
    private readonly server: net.Server,
    private readonly peer: string,
    readonly port: number,
    timeoutMs: number,
    private readonly onReject: (remote: string) => void,
  ) {
    server.on('connection', (s) => this.accept(s))
    // An idle listener must not linger: nobody connected within the data timeout.
    this.timer = setTimeout(() => this.fail(new Error('data connection timeout')), timeoutMs)
    this.timer.unref()
  }

  /** Listens on `host`, on a port in `range` when given. */
  static async listen(
    host: string,
    peer: string,
    range: [number, number] | undefined,
    timeoutMs: number,
    onReject: (remote: string) => void = () => {},
  ): Promise<PassiveChannel> {
    const ports = range ? candidatePorts(range) : [0]
    let lastError: unknown
    for (const p of ports) {
      const server = net.createServer({ pauseOnConnect: true })
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen({ host, port: p, exclusive: true }, () => {
            server.off('error', reject)
            resolve()
          })
        })
        const addr = server.address() as net.AddressInfo
        return new PassiveChannel(server, normalizeIp(peer), addr.port, timeoutMs, onReject)
      } catch (err) {
        lastError = err
        server.close()
      }
    }
    throw lastError instanceof Error ? lastError : new Error('no free passive port')
  }

  private accept(s: net.Socket): void {
    // Passive hijack protection: only the control connection's peer may connect.
    if (normalizeIp(s.remoteAddress) !== this.peer || this.socket || this.failure) {
      this.onReject(String(s.remoteAddress))
      s.destroy()
      return
    }
    this.socket = s
    this.stopListening()
    if (this.waiter) {
      this.waiter.resolve(s)
      this.waiter = undefined
    }
  }

  private stopListening(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.server.close()
  }

  private fail(err: Error): void {
    this.failure ??= err
    this.stopListening()
    this.waiter?.reject(this.failure)
    this.waiter = undefined
  }

  open(): Promise<net.Socket> {
    if (this.socket) return Promise.resolve(this.socket)
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  close(): void {
    this.fail(new Error('data channel closed'))
    this.socket?.destroy()
  }
}

/** Active mode: the server dials the address the client gave (already checked against the peer). */
export class ActiveChannel implements DataChannel {
  private socket: net.Socket | undefined
  private closed = false

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly localAddress: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  open(): Promise<net.Socket> {
    if (this.closed) return Promise.reject(new Error('data channel closed'))
    if (this.socket) return Promise.resolve(this.socket)
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port, localAddress: this.localAddress })
      this.socket = s
      const timer = setTimeout(() => s.destroy(new Error('data connection timeout')), this.timeoutMs)
      s.once('connect', () => {
        clearTimeout(timer)
        resolve(s)
      })
      s.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
    })
  }

  close(): void {
    this.closed = true
    this.socket?.destroy()
  }
}

/** The range's ports starting at a random one, so concurrent sessions spread out. */
function candidatePorts([lo, hi]: [number, number]): number[] {
  const n = hi - lo + 1
  const first = Math.floor(Math.random() * n)
  return Array.from({ length: n }, (_, i) => lo + ((first + i) % n))
}
