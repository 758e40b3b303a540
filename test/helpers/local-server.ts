/**
 * The embedded FTP server over a scratch root, and a raw control-connection client that shows
 * every byte: what the local-server tests need without any external process.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { LocalFtpServer, type LocalFtpServerOptions } from '../../src/local-server/index.js'

/** A started server over a fresh temporary root with a few fixtures. */
export interface TestServer {
  server: LocalFtpServer
  root: string
  port: number
  url: string
  stop(): Promise<void>
}

/**
 * Root layout: hello.txt ("hello world\n"), dir/inner.txt, "with space.txt", a symlink inside
 * (link-in → hello.txt) and two that escape (link-out → /etc/passwd, dir-out → /etc).
 */
export async function startServer(options: Partial<LocalFtpServerOptions> = {}): Promise<TestServer> {
  const root = await mkdtemp(path.join(tmpdir(), 'lfs-'))
  await writeFile(path.join(root, 'hello.txt'), 'hello world\n')
  await mkdir(path.join(root, 'dir'))
  await writeFile(path.join(root, 'dir', 'inner.txt'), 'inner\n')
  await writeFile(path.join(root, 'with space.txt'), 'spaced\n')
  await symlink('hello.txt', path.join(root, 'link-in'))
  await symlink('/etc/passwd', path.join(root, 'link-out'))
  await symlink('/etc', path.join(root, 'dir-out'))
  const server = new LocalFtpServer({ root, users: { demo: 'demo' }, ...options })
  const { port } = await server.listen()
  return {
    server,
    root,
    port,
    url: `ftp://demo:demo@127.0.0.1:${port}`,
    async stop() {
      await server.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** One FTP reply: its code and its lines as sent. */
export interface Reply {
  code: number
  lines: string[]
}

/** A scripted control connection that keeps every chunk it receives. */
export class RawClient {
  readonly chunks: Buffer[] = []
  private text = ''
  private pending: Array<(r: Reply | Error) => void> = []
  private replies: Reply[] = []
  closed = false

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      this.chunks.push(c)
      this.text += c.toString('utf8')
      this.parse()
    })
    socket.on('close', () => {
      this.closed = true
      for (const p of this.pending.splice(0)) p(new Error('connection closed'))
    })
    socket.on('error', () => {})
  }

  static connect(port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(new RawClient(s)))
      s.once('error', reject)
    })
  }

  private parse(): void {
    for (;;) {
      const m = /^(\d{3})([ -])/.exec(this.text)
      if (!m) {
        const nl = this.text.indexOf('\r\n')
        if (nl < 0) return
        this.text = this.text.slice(nl + 2) // not a reply start: skip it
        continue
      }
      const code = m[1]!
      let end: number
      if (m[2] === ' ') end = this.text.indexOf('\r\n')
      else {
        const last = new RegExp(`(^|\\r\\n)${code} [^\\r]*\\r\\n`).exec(this.text.slice(4))
        end = last ? 4 + last.index + last[0].length - 2 : -1
      }
      if (end < 0) return
      const lines = this.text.slice(0, end).split('\r\n')
      this.text = this.text.slice(end + 2)
      const reply = { code: Number(code), lines }
      const waiter = this.pending.shift()
      if (waiter) waiter(reply)
      else this.replies.push(reply)
    }
  }

  /** The next complete reply. */
  reply(timeoutMs = 5000): Promise<Reply> {
    const ready = this.replies.shift()
    if (ready) return Promise.resolve(ready)
    if (this.closed) return Promise.reject(new Error('connection closed'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = this.pending.filter((p) => p !== settle)
        reject(new Error('no reply'))
      }, timeoutMs)
      const settle = (r: Reply | Error): void => {
        clearTimeout(timer)
        if (r instanceof Error) reject(r)
        else resolve(r)
      }
      this.pending.push(settle)
    })
  }

  send(line: string | Buffer): void {
    this.socket.write(typeof line === 'string' ? `${line}\r\n` : line)
  }

  cmd(line: string): Promise<Reply> {
    this.send(line)
    return this.reply()
  }

  /** Reads the greeting and logs in as demo. */
  async login(): Promise<void> {
    await this.reply()
    await this.cmd('USER demo')
    const r = await this.cmd('PASS demo')
    if (r.code !== 230) throw new Error(`login failed: ${r.lines.join(' ')}`)
  }

  /** EPSV and connect the data socket. */
  async passive(): Promise<net.Socket> {
    const r = await this.cmd('EPSV')
    const port = Number(/\|\|\|(\d+)\|/.exec(r.lines[0] ?? '')?.[1])
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s))
      s.once('error', reject)
    })
  }

  /** Resolves when the server closes the control connection. */
  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((r) => this.socket.once('close', () => r()))
  }

  close(): void {
    this.socket.destroy()
  }
}

/** Collects everything a data socket sends until it closes. */
export function collect(s: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = []
    s.on('data', (c: Buffer) => parts.push(c))
    s.on('error', () => {})
    s.on('close', () => resolve(Buffer.concat(parts)))
    s.resume() // a socket paused on purpose does not resume by itself when a listener is added
  })
}

/**
 * A fault-injection suite's fixture: one embedded server for the suite (`prepare` may add files),
 * raw clients closed and fault knobs reset after each test. Call at the top of a `describe`.
 */
export function faultSuite(prepare?: (t: TestServer) => Promise<void>): {
  /** The suite's server (started in beforeAll). */
  server: () => TestServer
  /** A new raw client, logged in unless `login` is false; closed after the test. */
  client: (login?: boolean) => Promise<RawClient>
} {
  let t: TestServer | undefined
  const clients: RawClient[] = []
  const server = (): TestServer => {
    if (t === undefined) throw new Error('faultSuite: the server starts in beforeAll')
    return t
  }
  beforeAll(async () => {
    t = await startServer()
    await prepare?.(t)
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.close()
    if (t) {
      t.server.faults = {}
      t.server.clearIntercepts()
    }
  })
  afterAll(() => t?.stop())
  return {
    server,
    client: async (login = true) => {
      const c = await RawClient.connect(server().port)
      clients.push(c)
      if (login) await c.login()
      return c
    },
  }
}
