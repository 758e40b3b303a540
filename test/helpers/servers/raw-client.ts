/**
 * A deliberately tiny FTP client for helper tests and fixture capture: logs in (plain, explicit or
 * implicit TLS), sends raw commands, reads raw replies and fetches raw data-connection bytes.
 * Not the gateway's client — it exists so tests can hold connections and see servers' exact bytes.
 */
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import type { FtpServerHandle } from './common.js'

/** One FTP reply: its code and full text (all lines, CRLF-joined, without the final CRLF). */
export interface RawReply {
  code: number
  text: string
}

/** A logged-in control connection. */
export interface RawControl {
  /** The greeting, exactly as received. */
  greeting: RawReply
  /** Sends one command line and returns the reply (preliminary 1xx replies are returned too). */
  send(line: string): Promise<RawReply>
  /** Reads the next reply without sending. */
  next(): Promise<RawReply>
  /** Runs a data command (LIST, MLSD, RETR …) over EPSV and returns the data bytes plus the final reply. */
  data(command: string): Promise<{ bytes: Buffer; reply: RawReply }>
  /** QUIT and close. */
  close(): Promise<void>
  socket: net.Socket
}

class ReplyReader {
  private buf = ''
  private waiters: ((r: RawReply) => void)[] = []
  private queue: RawReply[] = []
  private failure: Error | undefined
  private failWaiters: ((e: Error) => void)[] = []

  attach(sock: net.Socket): void {
    sock.on('data', (d: Buffer) => this.push(d.toString('utf8')))
    sock.on('error', (e) => this.fail(e))
    sock.on('close', () => this.fail(new Error('control connection closed')))
  }

  private push(s: string): void {
    this.buf += s
    for (;;) {
      const m = /^(\d{3})([ -])/.exec(this.buf)
      if (!m) return
      const code = m[1]
      let end: number
      if (m[2] === ' ') {
        end = this.buf.indexOf('\r\n')
      } else {
        const re = new RegExp(`\\r\\n${code} [^\\r\\n]*\\r\\n`)
        const mm = re.exec(this.buf)
        end = mm ? mm.index + mm[0].length - 2 : -1
      }
      if (end < 0) return
      const reply = { code: Number(code), text: this.buf.slice(0, end) }
      this.buf = this.buf.slice(end + 2)
      const w = this.waiters.shift()
      this.failWaiters.shift()
      if (w) w(reply)
      else this.queue.push(reply)
    }
  }

  private fail(e: Error): void {
    this.failure ??= e
    for (const f of this.failWaiters.splice(0)) f(e)
    this.waiters = []
  }

  next(): Promise<RawReply> {
    const q = this.queue.shift()
    if (q) return Promise.resolve(q)
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.waiters.push(resolve)
      this.failWaiters.push(reject)
    })
  }
}

function once(sock: net.Socket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once(event, () => resolve())
    sock.once('error', reject)
  })
}

/** Connects to a started server and logs in as its user; TLS per the handle (PBSZ 0 / PROT P included). */
export async function rawLogin(h: FtpServerHandle): Promise<RawControl> {
  const ca = h.caFile ? readFileSync(h.caFile, 'utf8') : undefined
  let sock: net.Socket
  let session: Buffer | undefined
  let reader = new ReplyReader()
  if (h.tls === 'implicit') {
    const t = tls.connect({ host: h.host, port: h.port, ca, servername: 'localhost' })
    t.on('session', (s: Buffer) => {
      session = s
    })
    await once(t, 'secureConnect')
    sock = t
  } else {
    sock = net.connect({ host: h.host, port: h.port })
    await once(sock, 'connect')
  }
  reader.attach(sock)
  const send = async (line: string): Promise<RawReply> => {
    sock.write(`${line}\r\n`)
    return reader.next()
  }
  const greeting = await reader.next()
  if (h.tls === 'explicit') {
    const r = await send('AUTH TLS')
    if (r.code !== 234) throw new Error(`AUTH TLS refused: ${r.text}`)
    sock.removeAllListeners('data')
    sock.removeAllListeners('close')
    sock.removeAllListeners('error')
    const t = tls.connect({ socket: sock, ca, servername: 'localhost' })
    t.on('session', (s: Buffer) => {
      session = s
    })
    await once(t, 'secureConnect')
    sock = t
    reader = new ReplyReader()
    reader.attach(sock)
  }
  const expect = async (line: string, ok: (c: number) => boolean) => {
    const r = await send(line)
    if (!ok(r.code)) throw new Error(`${line.startsWith('PASS') ? 'PASS' : line} failed: ${r.text}`)
    return r
  }
  await expect(`USER ${h.user}`, (c) => c === 331 || c === 230)
  await expect(`PASS ${h.password}`, (c) => c === 230)
  if (h.tls !== 'none') {
    await expect('PBSZ 0', (c) => c === 200)
    await expect('PROT P', (c) => c === 200)
  }

  const data = async (command: string) => {
    const epsv = await send('EPSV')
    const m = /\(\|\|\|(\d+)\|\)/.exec(epsv.text)
    if (epsv.code !== 229 || !m) throw new Error(`EPSV failed: ${epsv.text}`)
    let dsock: net.Socket = net.connect({ host: h.host, port: Number(m[1]) })
    await once(dsock, 'connect')
    sock.write(`${command}\r\n`)
    const prelim = await reader.next()
    if (prelim.code >= 300) {
      dsock.destroy()
      return { bytes: Buffer.alloc(0), reply: prelim }
    }
    if (h.tls !== 'none') {
      dsock = tls.connect({ socket: dsock, ca, servername: 'localhost', session })
      await once(dsock, 'secureConnect')
    }
    const chunks: Buffer[] = []
    dsock.on('data', (d: Buffer) => chunks.push(d))
    await new Promise<void>((resolve, reject) => {
      dsock.once('end', () => resolve())
      dsock.once('close', () => resolve())
      dsock.once('error', reject)
    })
    dsock.destroy()
    const reply = await reader.next()
    return { bytes: Buffer.concat(chunks), reply }
  }

  return {
    greeting,
    send,
    next: () => reader.next(),
    data,
    close: async () => {
      await send('QUIT').catch(() => undefined)
      sock.end()
      sock.destroy()
    },
    get socket() {
      return sock
    },
  }
}
