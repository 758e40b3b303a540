import { writeFile } from 'node:fs/promises'
import type net from 'node:net'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { collect, faultSuite } from '../../helpers/local-server.js'

describe('LocalFtpServer fault injection', () => {
  const suite = faultSuite(async (t) => {
    // Big enough that loopback socket buffers cannot swallow it while the client is not reading.
    await writeFile(path.join(t.root, 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 7))
  })
  const client = suite.client

  it('splits replies into 1-3 byte pieces', async () => {
    suite.server().server.faults.splitReplies = true
    const c = await client(false)
    const greeting = await c.reply()
    expect(greeting.lines).toEqual(['220 ftp-gateway local FTP server ready'])
    expect(c.chunks.length).toBeGreaterThan(10)
    expect(Math.max(...c.chunks.map((b) => b.length))).toBeLessThanOrEqual(3)
    const feat = await c.cmd('FEAT')
    expect(feat.code).toBe(211)
    expect(feat.lines.at(-1)).toBe('211 End')
  })

  it('refuses at the greeting with 421, or never greets', async () => {
    suite.server().server.faults.greeting = '421'
    const c = await client(false)
    expect((await c.reply()).code).toBe(421)
    await c.whenClosed()
    suite.server().server.faults.greeting = 'hang'
    const h = await client(false)
    await expect(h.reply(300)).rejects.toThrow('no reply')
    expect(h.closed).toBe(false)
  })

  it('sends a raw EPSV reply override', async () => {
    suite.server().server.faults.epsvReply = '229 Entering Extended Passive Mode (!!!22!)'
    const c = await client()
    expect((await c.cmd('EPSV')).lines[0]).toBe('229 Entering Extended Passive Mode (!!!22!)')
  })

  it('cuts RETR after N bytes with 426', async () => {
    suite.server().server.faults.abortAfterBytes = 5
    const c = await client()
    const data = await c.passive()
    const body = collect(data)
    expect((await c.cmd('RETR hello.txt')).code).toBe(150)
    expect((await body).toString()).toBe('hello')
    expect((await c.reply()).code).toBe(426)
    expect((await c.cmd('NOOP')).code).toBe(200)
  })

  it('ABOR during a transfer: 426 then 226, plus the Pure-FTPd stray 150 when asked', async () => {
    const c = await client()
    let data = await c.passive()
    expect((await c.cmd('RETR big.bin')).code).toBe(150)
    await delay(50)
    c.send('ABOR')
    expect((await c.reply()).code).toBe(426)
    expect((await c.reply()).code).toBe(226)
    data.destroy()
    suite.server().server.faults.extra150AfterAbor = true
    data = await c.passive()
    expect((await c.cmd('RETR big.bin')).code).toBe(150)
    await delay(50)
    c.send('ABOR')
    expect((await c.reply()).code).toBe(426)
    expect((await c.reply()).code).toBe(226)
    expect((await c.reply()).lines[0]).toBe('150 Accepted data connection (measured here)')
    data.destroy()
  })

  it('ABOR with no transfer: 225 with a pending data connection, else 226', async () => {
    const c = await client()
    await c.cmd('EPSV')
    expect((await c.cmd('ABOR')).code).toBe(225)
    expect((await c.cmd('ABOR')).code).toBe(226)
  })

  it('an endless listing keeps sending until the client goes', async () => {
    suite.server().server.faults.endlessListing = true
    const c = await client()
    const data = await c.passive()
    expect((await c.cmd('LIST')).code).toBe(150)
    let received = 0
    await new Promise<void>((resolve) => {
      data.on('data', (b: Buffer) => {
        received += b.length
        if (received > 2 * 1024 * 1024) resolve()
      })
    })
    expect(data.readableEnded).toBe(false)
    data.destroy()
    expect((await c.reply()).code).toBe(426)
  })

  it('never226: data completes without a completion reply', async () => {
    suite.server().server.faults.never226 = true
    const c = await client()
    const data = await c.passive()
    const body = collect(data)
    expect((await c.cmd('RETR hello.txt')).code).toBe(150)
    expect((await body).toString()).toBe('hello world\n')
    await expect(c.reply(300)).rejects.toThrow('no reply')
    expect((await c.cmd('NOOP')).code).toBe(200)
  })

  it('dataStall: the data connection opens and stays silent', async () => {
    suite.server().server.faults.dataStall = true
    const c = await client()
    const data = await c.passive()
    const chunks: Buffer[] = []
    data.on('data', (b: Buffer) => chunks.push(b))
    expect((await c.cmd('RETR hello.txt')).code).toBe(150)
    await expect(c.reply(300)).rejects.toThrow('no reply')
    expect(chunks).toEqual([])
    c.send('ABOR')
    expect((await c.reply()).code).toBe(426)
    expect((await c.reply()).code).toBe(226)
  })

  it('completionOrder: 226 before EOF, or only after the client closed the data socket', async () => {
    suite.server().server.faults.completionOrder = 'before-eof'
    const c = await client()
    let data: net.Socket = await c.passive()
    data.pause()
    expect((await c.cmd('RETR hello.txt')).code).toBe(150)
    expect((await c.reply()).code).toBe(226)
    expect((await collect(data)).toString()).toBe('hello world\n')

    suite.server().server.faults.completionOrder = 'after-eof'
    data = await c.passive()
    data.pause()
    expect((await c.cmd('RETR hello.txt')).code).toBe(150)
    // The server waits for the data connection to close before 226.
    await expect(c.reply(300)).rejects.toThrow('no reply')
    expect((await collect(data)).toString()).toBe('hello world\n')
    expect((await c.reply()).code).toBe(226)
  })

  it('intercepts: raw bytes, fallthrough, hang and custom data', async () => {
    suite.server().server.intercept('NOOP', (ctx) => ctx.write('200-odd\r\n234 inner line\r\n200 done\r\n'))
    suite.server().server.intercept('PWD', async (ctx) => {
      await ctx.write('100 first\r\n')
      await ctx.fallthrough()
    })
    suite.server().server.intercept('SYST', (ctx) => ctx.hang())
    suite.server().server.intercept('RETR', async (ctx) => {
      await ctx.reply(150, 'custom')
      const d = await ctx.openData()
      d.end('made up')
      await ctx.reply(250, ['multi', ' middle', 'end'])
    })
    const c = await client()
    expect((await c.cmd('NOOP')).lines).toEqual(['200-odd', '234 inner line', '200 done'])
    expect((await c.cmd('PWD')).code).toBe(100)
    expect((await c.reply()).code).toBe(257)
    const data = await c.passive()
    const body = collect(data)
    expect((await c.cmd('RETR anything')).lines).toEqual(['150 custom'])
    expect((await body).toString()).toBe('made up')
    expect((await c.reply()).lines).toEqual(['250-multi', ' middle', '250 end'])
    c.send('SYST')
    await expect(c.reply(300)).rejects.toThrow('no reply')
    expect(suite.server().server.commands.filter((x) => x.verb === 'SYST').length).toBeGreaterThan(0)
  })
})
