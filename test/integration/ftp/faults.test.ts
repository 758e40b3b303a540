/**
 * Fault injection against the engine with the embedded server's knobs: split replies, either
 * completion order, 426 and 421 mid-way, hangs, hostile PASV/EPSV, Pure-FTPd's extra 150, endless
 * listings, missing completion replies, stalled data, foreign active connections, oversized and
 * garbage replies. Each case checks the exact outcome and what the session is fit for afterwards.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FtpSession, type FtpSessionOptions, isFtpError } from '../../../src/ftp/index.js'
import { LocalFtpServer } from '../../../src/local-server/index.js'
import { readAll } from '../../helpers/streams.js'

describe('engine under injected faults', () => {
  let root: string
  let server: LocalFtpServer
  let port: number
  const data = randomBytes(2 * 1024 * 1024 + 7)
  const sessions: FtpSession[] = []

  const connect = async (o: Partial<FtpSessionOptions> = {}) => {
    const s = await FtpSession.connect({
      host: '127.0.0.1',
      port,
      user: 'u',
      password: 'p',
      timeoutMs: 3000,
      ...o,
    })
    sessions.push(s)
    return s
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'ftpgw-faults-'))
    writeFileSync(path.join(root, 'data.bin'), data)
    writeFileSync(path.join(root, 'small.txt'), 'small')
    server = new LocalFtpServer({ root, users: { u: 'p' } })
    port = (await server.listen()).port
  })

  afterEach(() => {
    for (const key of Object.keys(server.faults)) delete (server.faults as Record<string, unknown>)[key]
    server.clearIntercepts()
    for (const s of sessions.splice(0)) s.destroy()
  })

  afterAll(async () => {
    await server.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('handles replies split into 1-3 byte chunks, multi-line ones included', async () => {
    server.faults.splitReplies = true
    const s = await connect()
    expect(s.features.mlst).toBe(true)
    expect((await s.list('/')).map((e) => e.name).sort()).toEqual(['data.bin', 'small.txt'])
    expect((await readAll(await s.download('/small.txt'))).toString()).toBe('small')
  })

  it.each(['before-eof', 'after-eof'] as const)(
    'completes only after both EOF and 226 (226 %s)',
    async (order) => {
      server.faults.completionOrder = order
      const s = await connect()
      for (let i = 0; i < 3; i++) {
        expect(
          (await readAll(await s.download('/data.bin', { expectedSize: data.length }))).equals(data),
        ).toBe(true)
      }
      expect(s.usable).toBe(true)
    },
  )

  it('turns a 426 mid-transfer into a stream error, never a clean end, and stays usable', async () => {
    server.faults.abortAfterBytes = 100_000
    const s = await connect()
    const stream = await s.download('/data.bin', { expectedSize: data.length })
    const err = await readAll(stream).catch((e: unknown) => e)
    expect(isFtpError(err)).toBe(true)
    expect((err as { kind: string }).kind).toMatch(/data/)
    delete server.faults.abortAfterBytes
    expect((await readAll(await s.download('/small.txt'))).toString()).toBe('small')
  })

  it('detects a short transfer against the expected size even with a 226', async () => {
    const s = await connect()
    const err = await readAll(await s.download('/small.txt', { expectedSize: 10 })).catch((e: unknown) => e)
    expect(isFtpError(err, 'data')).toBe(true)
    expect(String((err as Error).message)).toMatch(/5 of 10/)
  })

  it('reports a 421 greeting as a transient error', async () => {
    server.faults.greeting = '421'
    const err = await connect().catch((e: unknown) => e)
    expect(isFtpError(err, 'transient')).toBe(true)
  })

  it('marks the session unusable after a 421 mid-command', async () => {
    const s = await connect()
    server.intercept('MLST', async (ctx) => {
      await ctx.reply(421, 'Service closing')
      ctx.close()
    })
    const err = await s.stat('/small.txt').catch((e: unknown) => e)
    expect(isFtpError(err, 'transient')).toBe(true)
    expect(s.usable).toBe(false)
  })

  it('times out a command the server never answers, logs the exchanges that led there, discards the session', async () => {
    const warnings: { obj: Record<string, unknown>; msg: string | undefined }[] = []
    const logger = { warn: (obj: object, msg?: string) => void warnings.push({ obj: { ...obj }, msg }) }
    const s = await connect({ timeoutMs: 300, logger })
    server.intercept('MLST', (ctx) => ctx.hang())
    const err = await s.stat('/small.txt').catch((e: unknown) => e)
    expect(isFtpError(err, 'timeout')).toBe(true)
    expect(s.usable).toBe(false)
    const report = warnings.find((w) => w.msg === 'ftp reply timed out')
    // Verbs and codes only (a PASS argument never reaches a log), ending with the unanswered MLST.
    expect(report?.obj.trail).toMatch(/>USER <331 >PASS <230 .*>MLST$/)
    for (const entry of String(report?.obj.trail).split(' ')) expect(entry).toMatch(/^(>[A-Z]+|<\d{3})$/)
  })

  it.each(['10.0.0.1', '169.254.169.254', '127.0.0.2'])(
    'dials the control peer when PASV names %s',
    async (host) => {
      server.faults.pasvAddress = host
      const s = await connect()
      s.ctx.state.epsvFailed = true // force PASV
      expect((await readAll(await s.download('/small.txt'))).toString()).toBe('small')
      expect(server.commands.some((c) => c.verb === 'PASV')).toBe(true)
    },
  )

  it('refuses an EPSV port below 1024 (no dialling SSH or SMTP)', async () => {
    server.faults.epsvReply = '229 Entering Extended Passive Mode (|||22|)'
    const s = await connect()
    const err = await s.download('/small.txt').catch((e: unknown) => e)
    expect(isFtpError(err, 'protocol')).toBe(true)
  })

  it("resynchronises after Pure-FTPd's extra 150 following ABOR", async () => {
    server.faults.extra150AfterAbor = true
    const s = await connect()
    const part = await readAll(
      await s.download('/data.bin', { offset: 10, length: 1000, expectedSize: data.length }),
    )
    expect(part.equals(data.subarray(10, 1010))).toBe(true)
    expect(server.commands.some((c) => c.verb === 'ABOR')).toBe(true)
    for (let i = 0; i < 3; i++)
      expect((await readAll(await s.download('/small.txt'))).toString()).toBe('small')
    expect(s.usable).toBe(true)
  })

  it('caps a listing that never ends', async () => {
    server.faults.endlessListing = true
    const s = await connect({ maxListingBytes: 256 * 1024 })
    const err = await s.list('/').catch((e: unknown) => e)
    expect(isFtpError(err, 'protocol')).toBe(true)
    expect(String((err as Error).message)).toMatch(/exceeds/)
  })

  it('fails a transfer whose completion reply never comes, and discards the session', async () => {
    server.faults.never226 = true
    const s = await connect({ timeoutMs: 400 })
    const err = await readAll(await s.download('/small.txt')).catch((e: unknown) => e)
    expect(isFtpError(err, 'timeout')).toBe(true)
    expect(s.usable).toBe(false)
  })

  it('times out a stalled data connection', async () => {
    server.faults.dataStall = true
    const s = await connect({ timeoutMs: 400 })
    const err = await readAll(await s.download('/small.txt')).catch((e: unknown) => e)
    expect(isFtpError(err, 'timeout')).toBe(true)
  })

  it('accepts 125 instead of 150 and 250 instead of 226, and data with no preliminary reply', async () => {
    const s = await connect()
    server.intercept(
      'RETR',
      async (ctx) => {
        await ctx.reply(125, 'Data connection already open')
        const sock = await ctx.openData()
        // Read our side too, or the socket never sees the client's FIN and never closes.
        sock.resume()
        sock.end(Buffer.from('hello'))
        await new Promise((r) => sock.once('close', r))
        await ctx.reply(250, 'Transfer done')
      },
      { times: 1 },
    )
    expect((await readAll(await s.download('/small.txt'))).toString()).toBe('hello')
    server.intercept(
      'RETR',
      async (ctx) => {
        const sock = await ctx.openData()
        sock.resume()
        sock.end(Buffer.from('no150'))
        await new Promise((r) => sock.once('close', r))
        await ctx.reply(226, 'Done without 150')
      },
      { times: 1 },
    )
    expect((await readAll(await s.download('/small.txt'))).toString()).toBe('no150')
    expect(s.usable).toBe(true)
  })

  it('refuses an active-mode data connection from a foreign address and keeps the real one', async () => {
    const s = await connect({ dataMode: 'active' })
    server.intercept(
      'RETR',
      async (ctx) => {
        const eprt = [...server.commands].reverse().find((c) => c.verb === 'EPRT')
        const target = Number(eprt?.arg.split('|')[3])
        // A third party races to the gateway's listener from another loopback address.
        const rogue = net.connect({ host: '127.0.0.1', port: target, localAddress: '127.0.0.2' })
        rogue.on('error', () => {})
        await new Promise((r) => rogue.once('close', r))
        await ctx.fallthrough()
      },
      { times: 1 },
    )
    expect((await readAll(await s.download('/small.txt'))).toString()).toBe('small')
  })

  it('drops a session whose server sends a reply over 64 KiB', async () => {
    const s = await connect()
    server.intercept('NOOP', async (ctx) => {
      await ctx.write(`200-${'x'.repeat(1000)}\r\n`.repeat(80))
    })
    const err = await s.check().catch((e: unknown) => e)
    expect(isFtpError(err, 'protocol')).toBe(true)
    expect(s.usable).toBe(false)
  })

  it('drops a session whose server sends binary garbage', async () => {
    const s = await connect()
    server.intercept('NOOP', (ctx) => ctx.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a])))
    const err = await s.check().catch((e: unknown) => e)
    expect(isFtpError(err, 'protocol')).toBe(true)
  })

  it('never sends a command carrying CR, LF or NUL', async () => {
    const s = await connect()
    const before = server.commands.length
    for (const bad of ['/x\r\nDELE /small.txt', '/x\nDELE /small.txt', '/x\0y']) {
      expect(isFtpError(await s.stat(bad).catch((e: unknown) => e), 'bad-name')).toBe(true)
      expect(isFtpError(await s.delete(bad).catch((e: unknown) => e), 'bad-name')).toBe(true)
    }
    expect(server.commands.length).toBe(before)
    expect(server.commands.some((c) => c.verb === 'DELE')).toBe(false)
    expect(s.usable).toBe(true)
  })

  it('falls back from passive to active in auto mode when passive is refused', async () => {
    const s = await connect({ dataMode: 'auto' })
    server.intercept('EPSV', (ctx) => ctx.reply(502, 'No'), {})
    server.intercept('PASV', (ctx) => ctx.reply(502, 'No'), {})
    expect((await readAll(await s.download('/small.txt'))).toString()).toBe('small')
    expect(s.ctx.state.fellBackToActive).toBe(true)
  })
})
