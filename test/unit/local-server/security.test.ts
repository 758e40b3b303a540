import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { toVirtual } from '../../../src/local-server/path-resolver.js'
import { RawClient, startServer, type TestServer } from '../../helpers/local-server.js'

describe('LocalFtpServer confinement and hardening', () => {
  let t: TestServer
  let outside: string
  const clients: RawClient[] = []
  const client = async (): Promise<RawClient> => {
    const c = await RawClient.connect(t.port)
    clients.push(c)
    await c.login()
    return c
  }
  beforeAll(async () => {
    t = await startServer()
    // A writable file outside the root, reachable only through a symlink.
    outside = await mkdtemp(path.join(tmpdir(), 'lfs-outside-'))
    await writeFile(path.join(outside, 'victim.txt'), 'untouched')
    await symlink(path.join(outside, 'victim.txt'), path.join(t.root, 'to-victim'))
    await symlink(path.join(outside, 'missing.txt'), path.join(t.root, 'dangling'))
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.close()
  })
  afterAll(async () => {
    await t.stop()
    await rm(outside, { recursive: true, force: true })
  })

  it('normalises virtual paths and refuses climbing above the root', () => {
    expect(toVirtual('/a/b', '../c')).toBe('/a/c')
    expect(toVirtual('/a', '/x/./y//z')).toBe('/x/y/z')
    expect(toVirtual('/', '../../etc/passwd')).toBeUndefined()
    expect(toVirtual('/a', '/../etc')).toBeUndefined()
  })

  it('refuses .. escapes and absolute paths outside the root with 550', async () => {
    const c = await client()
    for (const cmd of [
      'SIZE ../../etc/passwd',
      'SIZE /../../etc/passwd',
      'CWD ../..',
      'MDTM dir/../../etc/passwd',
      'MKD ../escape',
      'DELE ../x',
      'RNFR ../../etc/passwd',
    ]) {
      expect((await c.cmd(cmd)).code, cmd).toBe(550)
    }
    // An absolute path is from the virtual root, so /etc/passwd simply does not exist here.
    expect((await c.cmd('SIZE /etc/passwd')).code).toBe(550)
    await c.passive()
    expect((await c.cmd('RETR ../../etc/passwd')).code).toBe(550)
  })

  it('refuses symlinks that point outside the root', async () => {
    const c = await client()
    expect((await c.cmd('SIZE link-out')).code).toBe(550)
    expect((await c.cmd('CWD dir-out')).code).toBe(550)
    expect((await c.cmd('MLST dir-out/passwd')).code).toBe(550)
    await c.passive()
    expect((await c.cmd('RETR link-out')).code).toBe(550)
    await c.passive()
    expect((await c.cmd('LIST dir-out')).code).toBe(550)
    await c.passive()
    expect((await c.cmd('STOR to-victim')).code).toBe(550)
    await c.passive()
    expect((await c.cmd('STOR dangling')).code).toBe(550)
    await c.passive()
    expect((await c.cmd('APPE dir-out/passwd')).code).toBe(550)
    expect((await c.cmd('MFMT 20000101000000 to-victim')).code).toBe(550)
    expect(await readFile(path.join(outside, 'victim.txt'), 'utf8')).toBe('untouched')
    await expect(stat(path.join(outside, 'missing.txt'))).rejects.toThrow()
    // Symlinks inside the root work, and deleting a link removes the link, not its target.
    expect((await c.cmd('SIZE link-in')).lines[0]).toBe('213 12')
    expect((await c.cmd('DELE to-victim')).code).toBe(250)
    expect(await readFile(path.join(outside, 'victim.txt'), 'utf8')).toBe('untouched')
  })

  it('MDTM with a time and a name never writes (vsftpd mdtm_write)', async () => {
    const before = (await stat(path.join(t.root, 'hello.txt'))).mtimeMs
    const c = await client()
    expect((await c.cmd('MDTM 20240101000000 hello.txt')).code).toBe(550)
    expect((await stat(path.join(t.root, 'hello.txt'))).mtimeMs).toBe(before)
  })

  it('refuses EPRT/PORT to any address but the control peer (no bounce)', async () => {
    const c = await client()
    expect((await c.cmd('EPRT |1|127.0.0.2|40000|')).code).toBe(500)
    expect((await c.cmd('EPRT |1|10.0.0.1|40000|')).code).toBe(500)
    expect((await c.cmd('PORT 127,0,0,2,156,64')).code).toBe(500)
    expect((await c.cmd('EPRT |1|127.0.0.1|25|')).code).toBe(500)
    expect((await c.cmd('EPRT |2|::1|40000|')).code).toBe(522)
    expect((await c.cmd('PORT 1,2,3')).code).toBe(501)
    expect((await c.cmd('EPRT |1|127.0.0.1|40000|')).code).toBe(200)
  })

  it('drops passive data connections from another address', async () => {
    const c = await client()
    const r = await c.cmd('EPSV')
    const port = Number(/\|\|\|(\d+)\|/.exec(r.lines[0]!)![1])
    const intruder = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' })
    const stolen: Buffer[] = []
    intruder.on('data', (b: Buffer) => stolen.push(b))
    intruder.on('error', () => {})
    await new Promise((resolve) => intruder.on('close', resolve))
    const good = net.connect({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    good.on('data', (b: Buffer) => chunks.push(b))
    const closed = new Promise((resolve) => good.on('close', resolve))
    expect((await c.cmd('RETR hello.txt')).code).toBe(150)
    await closed
    expect((await c.reply()).code).toBe(226)
    expect(Buffer.concat(chunks).toString()).toBe('hello world\n')
    expect(stolen).toEqual([])
  })

  it('closes a passive listener nobody connects to', async () => {
    const short = await startServer({ dataTimeoutMs: 100 })
    try {
      const c = await RawClient.connect(short.port)
      await c.login()
      const r = await c.cmd('EPSV')
      const port = Number(/\|\|\|(\d+)\|/.exec(r.lines[0]!)![1])
      await delay(250)
      const s = net.connect({ host: '127.0.0.1', port })
      const err = await new Promise<Error>((resolve) => s.on('error', resolve))
      expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
      expect((await c.cmd('RETR hello.txt')).code).toBe(150)
      expect((await c.reply()).code).toBe(425)
      c.close()
    } finally {
      await short.stop()
    }
  })

  it('answers 500 and closes on a command line over 8 KiB', async () => {
    const c = await client()
    c.send(`NOOP ${'x'.repeat(9000)}`)
    expect((await c.reply()).code).toBe(500)
    await c.whenClosed()
  })

  it('strips Telnet IP/DM before a command (lftp sends them before ABOR)', async () => {
    const c = await client()
    c.send(Buffer.concat([Buffer.from([0xff, 0xf4, 0xff, 0xf2]), Buffer.from('NOOP\r\n')]))
    expect((await c.reply()).code).toBe(200)
  })
})
