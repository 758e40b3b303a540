/**
 * Connections that say nothing, and many connections from one address (issue 15 item 9), against
 * an in-process gateway on a real vsftpd with short timeouts: silent connections and half-sent
 * headers are answered 408 and closed (Node's headersTimeout counts from the connection's start),
 * an address over its cap is refused while another still gets /healthz, and keep-alive
 * connections in use and slow long downloads are left alone.
 */
import { randomBytes } from 'node:crypto'
import { chown, writeFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { waitFor } from '../helpers/wait-for.js'

const TIMEOUT_MS = 300
const PER_ADDRESS = 5
const BIG = 8 * 1024 * 1024

let server: FtpServerHandle
let gw: GatewayHandle
let port: number
const sockets: net.Socket[] = []

beforeAll(async () => {
  server = await startVsftpd()
  gw = await startGateway(server, {
    HTTP_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS),
    HTTP_KEEPALIVE_TIMEOUT_MS: String(TIMEOUT_MS),
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
    CACHE_TTL_MS: '0',
  })
  port = Number(new URL(gw.url).port)
  const file = path.join(server.root, 'big.bin')
  await writeFile(file, randomBytes(BIG))
  await chown(file, server.uid, server.gid)
})

afterAll(async () => {
  for (const s of sockets) s.destroy()
  await gw?.close()
  await server?.stop()
})

/** A raw connection from `localAddress`, resolved once connected (`closed` turns true on close). */
async function open(localAddress = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress })
  // A refused connection may be reset: the close is what the tests look at.
  socket.on('error', () => undefined)
  // Read what arrives: a socket nobody reads never sees the server's close (no 'end', no 'close').
  socket.resume()
  sockets.push(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return socket
}

/** What the server sends on `socket` from now on. */
function collect(socket: net.Socket): { text: string } {
  const got = { text: '' }
  socket.on('data', (c: Buffer) => {
    got.text += c.toString('latin1')
  })
  return got
}

const closed = (s: { closed: boolean }) => waitFor(() => s.closed, 10_000, 10)

describe('idle connections', () => {
  it('closes a connection that never sends a byte', async () => {
    const silent = await open()
    const answer = collect(silent)
    expect(await closed(silent)).toBe(true)
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('closes a connection that sent half a request header and stopped', async () => {
    const half = await open()
    const answer = collect(half)
    half.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ')
    expect(await closed(half)).toBe(true)
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /)
  })

  it('closes a keep-alive connection left idle after its request, but not while it is in use', async () => {
    const socket = await open()
    let text = ''
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1')
    })
    const answers = () => text.split('HTTP/1.1 200').length - 1
    // Five requests in a row on one connection, each sent once the previous one was answered.
    for (let i = 1; i <= 5; i++) {
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
      expect(await waitFor(() => answers() === i, 5000, 5)).toBe(true)
      expect(socket.closed).toBe(false)
    }
    // Then idle: closed after the keep-alive timeout.
    expect(await closed(socket)).toBe(true)
    expect(answers()).toBe(5)
  })

  it('does not close a long download whose client pauses longer than the timeouts', async () => {
    const auth = basicAuth(server.user, server.password)
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get(`${gw.url}/api/v1/files/big.bin`, { headers: { authorization: auth } }, resolve)
        .on('error', reject)
    })
    expect(res.statusCode).toBe(200)
    res.pause()
    // Paused until a silent connection opened now has been closed: longer than every timeout.
    const witness = await open()
    expect(await closed(witness)).toBe(true)
    expect(await closed(await open())).toBe(true)
    let received = 0
    res.on('data', (c: Buffer) => {
      received += c.length
    })
    await new Promise<void>((resolve, reject) => {
      res.on('end', resolve)
      res.on('error', reject)
      res.on('aborted', () => reject(new Error('download cut')))
      res.resume()
    })
    expect(received).toBe(BIG)
  })
})

/** GET /healthz over a new connection from `localAddress`; the status, or 0 when refused. */
function healthzFrom(localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${gw.url}/healthz`, { localAddress, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve(0))
  })
}

describe('connections per address', () => {
  it('refuses one connection over the cap from one address while another address is served', async () => {
    const held: net.Socket[] = []
    for (let i = 0; i < PER_ADDRESS; i++) held.push(await open('127.0.0.2'))
    const extra = await open('127.0.0.2')
    // Refused on accept, while the others (silent too) are still within their idle time.
    const othersOpenWhenRefused = await new Promise<boolean>((resolve) => {
      if (extra.closed) resolve(held.every((s) => !s.closed))
      else extra.once('close', () => resolve(held.every((s) => !s.closed)))
    })
    expect(othersOpenWhenRefused).toBe(true)
    expect(extra.bytesRead).toBe(0)
    expect(await healthzFrom('127.0.0.1')).toBe(200)
    for (const s of held) s.destroy()
    // Once they are gone (the server has seen them close) the address is served again.
    expect(await waitFor(async () => (await healthzFrom('127.0.0.2')) === 200, 5000, 20)).toBe(true)
  })
})
