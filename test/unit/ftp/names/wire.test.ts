/**
 * The codec on the wire, against an in-process scripted server: the bytes of a PWD reply decode
 * to the home directory (escaped on a utf8 upstream, as text in windows-1252), the bytes written
 * for a path built from it are exactly the server's, OPTS UTF8 ON goes only to a utf8 upstream,
 * and a name the encoding cannot hold never reaches the socket.
 */
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { FtpSession, isFtpError } from '../../../../src/ftp/index.js'

// "/home/caf<E9> <93>x<94>": latin1 é and windows-1252 quotes, none of it UTF-8.
const HOME = Buffer.concat([
  Buffer.from('/home/caf'),
  Buffer.of(0xe9),
  Buffer.from(' '),
  Buffer.of(0x93, 0x78, 0x94),
])

interface Fake {
  port: number
  /** Every command line received, as raw bytes (CRLF stripped). */
  lines: Buffer[]
  close(): Promise<void>
}

async function fakeServer(): Promise<Fake> {
  const lines: Buffer[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    let pending = Buffer.alloc(0)
    socket.write('220 fake\r\n')
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      for (let lf = pending.indexOf(0x0a); lf !== -1; lf = pending.indexOf(0x0a)) {
        const line = pending.subarray(0, lf - 1)
        pending = pending.subarray(lf + 1)
        lines.push(Buffer.from(line))
        const verb = line.toString('latin1').split(' ')[0]
        const reply: Record<string, Buffer | string> = {
          USER: '331 password\r\n',
          PASS: '230 in\r\n',
          FEAT: '211-Features:\r\n UTF8\r\n SIZE\r\n211 End\r\n',
          OPTS: '200 ok\r\n',
          TYPE: '200 binary\r\n',
          PWD: Buffer.concat([Buffer.from('257 "'), HOME, Buffer.from('" is the current directory\r\n')]),
          DELE: '250 deleted\r\n',
          QUIT: '221 bye\r\n',
        }
        socket.write(reply[verb ?? ''] ?? '502 no\r\n')
      }
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    lines,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

let fake: Fake | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

const connect = (encoding: string) =>
  FtpSession.connect({
    host: '127.0.0.1',
    port: fake!.port,
    user: 'u',
    password: 'p',
    encoding,
    timeoutMs: 5000,
  })
const sent = (verb: string) => fake!.lines.filter((l) => l.toString('latin1').startsWith(`${verb} `))

describe('names on the wire', () => {
  it('utf8: the home directory comes out escaped and goes back as the same bytes', async () => {
    fake = await fakeServer()
    const s = await connect('utf8')
    expect(s.home).toBe('/home/caf\uEFE9 \uEF93x\uEF94')
    await s.delete(`${s.home}/f`)
    expect(sent('DELE')).toEqual([Buffer.concat([Buffer.from('DELE '), HOME, Buffer.from('/f')])])
    expect(sent('OPTS').map(String)).toEqual(['OPTS UTF8 ON'])
    await s.close()
  })

  it('windows-1252: the home directory reads as text, goes back as the same bytes, no OPTS UTF8 ON', async () => {
    fake = await fakeServer()
    const s = await connect('windows-1252')
    expect(s.home).toBe('/home/café “x”')
    await s.delete(`${s.home}/f`)
    expect(sent('DELE')).toEqual([Buffer.concat([Buffer.from('DELE '), HOME, Buffer.from('/f')])])
    expect(sent('OPTS')).toEqual([])
    await s.close()
  })

  it('a name the encoding cannot hold never reaches the socket', async () => {
    fake = await fakeServer()
    const s = await connect('latin1')
    const before = fake.lines.length
    let err: unknown
    try {
      await s.delete('/日本.txt')
    } catch (e) {
      err = e
    }
    expect(isFtpError(err, 'bad-name')).toBe(true)
    expect(fake.lines.length).toBe(before)
    expect(s.usable).toBe(true)
    await s.close()
  })

  it('refuses an encoding FTP commands cannot be written in before connecting', async () => {
    fake = await fakeServer()
    await expect(connect('utf16le')).rejects.toSatisfy((e: unknown) => isFtpError(e, 'bad-name'))
    expect(fake.lines).toEqual([])
  })
})
