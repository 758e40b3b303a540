/**
 * Why the interop suite once saw Pure-FTPd's "No reply within 10000 ms" after a ranged download:
 * while Pure-FTPd is inside its download loop it reads the control connection in one read of up to
 * 99 bytes, answers an ABOR at its start (426, 226) and drops the rest. A command pipelined behind
 * the ABOR (the engine used to send its PWD sentinel that way) is never answered, so a resync that
 * waits for its 257 waits for ever. The engine now sends the sentinel only after the transfer's
 * completion reply (test/unit/ftp/resynchronize.test.ts).
 */
import { chown, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FtpServerHandle, ftpServers } from '../../helpers/servers/index.js'
import { rawLogin } from '../../helpers/servers/raw-client.js'

describe('Pure-FTPd in its download loop', () => {
  let srv: FtpServerHandle
  beforeAll(async () => {
    srv = await ftpServers.find((s) => s.name === 'pure-ftpd')!.start({ tls: 'none' })
    // Far more than the loopback socket buffers hold, so the transfer cannot end while unread.
    const file = path.join(srv.root, 'big.bin')
    await writeFile(file, Buffer.alloc(64 * 1024 * 1024, 1))
    await chown(file, srv.uid, srv.gid)
  })
  afterAll(async () => {
    await srv?.stop()
  })

  it('answers an ABOR and drops the command that came with it', async () => {
    const c = await rawLogin(srv)
    try {
      expect((await c.send('TYPE I')).code).toBe(200)
      const epsv = await c.send('EPSV')
      const port = Number(/\(\|\|\|(\d+)\|\)/.exec(epsv.text)?.[1])
      const data = net.connect({ host: srv.host, port })
      data.pause() // unread: the server fills the socket buffers and waits inside its loop
      expect((await c.send('RETR big.bin')).code).toBe(150)
      c.socket.write('ABOR\r\nPWD\r\n')
      data.resume() // the loop goes on, and reads both lines at once between two writes
      expect((await c.next()).code).toBe(426)
      expect((await c.next()).code).toBe(226)
      data.destroy()
      // The next reply answers NOOP: nothing ever answers the PWD.
      expect((await c.send('NOOP')).code).toBe(200)
    } finally {
      await c.close()
    }
  })
})
