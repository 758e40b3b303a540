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

/**
 * `telnet`: the server reads Telnet in commands as ProFTPD does (IAC IAC is one 0xFF) and echoes
 * a failed CWD's path; otherwise it takes bytes literally and echoes nothing, as vsftpd does.
 */
async function fakeServer(telnet = false): Promise<Fake> {
  const lines: Buffer[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    let pending = Buffer.alloc(0)
    socket.write('220 fake\r\n')
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      for (let lf = pending.indexOf(0x0a); lf !== -1; lf = pending.indexOf(0x0a)) {
        const raw = pending.subarray(0, lf - 1)
        pending = pending.subarray(lf + 1)
        const line = telnet ? undoubled(raw) : Buffer.from(raw)
        lines.push(line)
        const verb = line.toString('latin1').split(' ')[0]
        const reply: Record<string, Buffer | string> = {
          USER: '331 password\r\n',
          PASS: '230 in\r\n',
          FEAT: '211-Features:\r\n UTF8\r\n SIZE\r\n211 End\r\n',
          OPTS: '200 ok\r\n',
          TYPE: '200 binary\r\n',
          PWD: Buffer.concat([Buffer.from('257 "'), HOME, Buffer.from('" is the current directory\r\n')]),
          DELE: '250 deleted\r\n',
          CWD: telnet
            ? Buffer.concat([
                Buffer.from('550 '),
                line.subarray(4),
                Buffer.from(': No such file or directory\r\n'),
              ])
            : '550 Failed to change directory.\r\n',
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

function undoubled(bytes: Buffer): Buffer {
  const out: number[] = []
  for (let i = 0; i < bytes.length; i++) {
    out.push(bytes[i] as number)
    if (bytes[i] === 0xff && bytes[i + 1] === 0xff) i++
  }
  return Buffer.from(out)
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

  it.each([
    [false, 'literal (vsftpd, Pure-FTPd)'],
    [true, 'Telnet (ProFTPD)'],
  ])('writes 0xFF so that the server reads it as one byte: telnet=%s, %s', async (telnet) => {
    fake = await fakeServer(telnet)
    const s = await connect('latin1')
    const name = Buffer.from([0x2f, 0x79, 0xff, 0xff, 0xf4, 0x7a]) // "/yÿÿôz"
    await s.delete(name.toString('latin1'))
    await s.delete(name.toString('latin1'))
    // What the server understood, after its own Telnet handling: the name's bytes, both times.
    expect(sent('DELE')).toEqual([
      Buffer.concat([Buffer.from('DELE '), name]),
      Buffer.concat([Buffer.from('DELE '), name]),
    ])
    // One probe, the first time only.
    expect(sent('CWD')).toHaveLength(1)
    await s.close()
  })

  it('sends no probe for names without 0xFF', async () => {
    fake = await fakeServer(true)
    const s = await connect('utf8')
    await s.delete('/caf\uEFE9/日本')
    expect(sent('CWD')).toEqual([])
    await s.close()
  })

  it('refuses an encoding FTP commands cannot be written in before connecting', async () => {
    fake = await fakeServer()
    await expect(connect('utf16le')).rejects.toSatisfy((e: unknown) => isFtpError(e, 'bad-name'))
    expect(fake.lines).toEqual([])
  })
})
