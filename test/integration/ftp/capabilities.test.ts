/**
 * The engine's fallbacks and safety switches: servers without MLST or SIZE, DOS listings, HASH,
 * keepalive NOOPs, a refused AUTH TLS (no fall back to clear text), certificate verification.
 */
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FtpSession, type FtpSessionOptions, isFtpError } from '../../../src/ftp/index.js'
import { LocalFtpServer, type LocalFtpServerOptions } from '../../../src/local-server/index.js'
import { writeSelfSignedCert } from '../../helpers/client-tools.js'
import { startVsftpd } from '../../helpers/servers/index.js'
import { readAll } from '../../helpers/streams.js'
import { waitFor } from '../../helpers/wait-for.js'

const roots: string[] = []
const servers: LocalFtpServer[] = []

async function serve(options: Partial<LocalFtpServerOptions> = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ftpgw-cap-'))
  roots.push(root)
  writeFileSync(path.join(root, 'a file.txt'), 'hello')
  mkdirSync(path.join(root, 'sub dir'))
  const server = new LocalFtpServer({ root, users: { u: 'p' }, ...options })
  servers.push(server)
  const { port } = await server.listen()
  const connect = (o: Partial<FtpSessionOptions> = {}) =>
    FtpSession.connect({ host: '127.0.0.1', port, user: 'u', password: 'p', timeoutMs: 3000, ...o })
  return { server, connect }
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  for (const r of roots) rmSync(r, { recursive: true, force: true })
})

describe('engine fallbacks', () => {
  it('lists with LIST (Unix) and stats with SIZE/MDTM and CWD when MLST is absent', async () => {
    const { server, connect } = await serve({ features: { mlst: false, mlsd: false } })
    const s = await connect()
    expect(s.features.mlst).toBe(false)
    const entries = await s.list('/')
    expect(entries.map((e) => [e.name, e.type])).toEqual(
      expect.arrayContaining([
        ['a file.txt', 'file'],
        ['sub dir', 'dir'],
      ]),
    )
    expect(await s.stat('/a file.txt')).toMatchObject({ type: 'file', size: 5 })
    expect((await s.stat('/a file.txt')).modified).toBeInstanceOf(Date)
    expect(await s.stat('/sub dir')).toMatchObject({ type: 'dir' })
    expect(isFtpError(await s.stat('/missing').catch((e: unknown) => e), 'not-found')).toBe(true)
    expect(server.commands.some((c) => c.verb === 'LIST')).toBe(true)
    expect(server.commands.some((c) => c.verb === 'MLSD' || c.verb === 'MLST')).toBe(false)
    await s.close()
  })

  it("falls back to the parent's listing when neither MLST nor SIZE exist", async () => {
    const { connect } = await serve({ features: { mlst: false, mlsd: false, size: false, mdtm: false } })
    const s = await connect()
    expect(await s.stat('/a file.txt')).toMatchObject({ name: 'a file.txt', type: 'file', size: 5 })
    expect(await s.stat('/sub dir')).toMatchObject({ type: 'dir' })
    expect(isFtpError(await s.stat('/missing').catch((e: unknown) => e), 'not-found')).toBe(true)
    await s.close()
  })

  it('parses DOS/IIS style listings', async () => {
    const { connect } = await serve({ features: { mlst: false, mlsd: false }, listFormat: 'dos' })
    const s = await connect()
    const entries = await s.list('/')
    expect(entries.find((e) => e.name === 'a file.txt')).toMatchObject({ type: 'file', size: 5 })
    expect(entries.find((e) => e.name === 'sub dir')).toMatchObject({ type: 'dir' })
    await s.close()
  })

  it('uses HASH when advertised, and reports unsupported otherwise', async () => {
    const withHash = await serve({ features: { hash: true } })
    const s = await withHash.connect()
    expect(s.features.hashAlgorithms.length).toBeGreaterThan(0)
    const sum = await s.checksum('/a file.txt')
    expect(sum.value).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')
    await s.close()
    const plain = await serve()
    const p = await plain.connect()
    expect(isFtpError(await p.checksum('/a file.txt').catch((e: unknown) => e), 'unsupported')).toBe(true)
    await p.close()
  })

  it('sends NOOP keepalives while idle', async () => {
    const { server, connect } = await serve()
    const s = await connect({ keepaliveMs: 1000 })
    const noop = () => server.commands.some((c) => c.verb === 'NOOP')
    expect(await waitFor(noop, 5000), 'a NOOP keepalive').toBe(true)
    expect(s.usable).toBe(true)
    await s.close()
    expect(server.commands.at(-1)?.verb).toBe('QUIT')
  })

  it('fails the login when AUTH TLS is refused instead of continuing in clear text', async () => {
    const { server, connect } = await serve()
    const err = await connect({ secure: 'explicit' }).catch((e: unknown) => e)
    expect(isFtpError(err, 'tls')).toBe(true)
    expect(server.commands.some((c) => c.verb === 'USER' || c.verb === 'PASS')).toBe(false)
  })
})

describe('certificate verification', () => {
  it('refuses an untrusted certificate by default, accepts it with the CA or the insecure switch', async () => {
    const srv = await startVsftpd({ tls: 'explicit' })
    try {
      const base = {
        host: srv.host,
        port: srv.port,
        user: srv.user,
        password: srv.password,
        secure: 'explicit' as const,
        timeoutMs: 5000,
      }
      const refused = await FtpSession.connect(base).catch((e: unknown) => e)
      expect(isFtpError(refused, 'tls')).toBe(true)
      const trusted = await FtpSession.connect({ ...base, tlsCa: readFileSync(srv.caFile!) })
      expect(Array.isArray(await trusted.list('/'))).toBe(true)
      await trusted.close()
      const insecure = await FtpSession.connect({ ...base, tlsInsecure: true })
      expect(Array.isArray(await insecure.list('/'))).toBe(true)
      await insecure.close()
    } finally {
      await srv.stop()
    }
  })

  it('refuses a certificate issued for another name even when its CA is trusted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ftpgw-cert-'))
    roots.push(dir)
    writeSelfSignedCert(dir, { subject: '/CN=other.example', altNames: 'DNS:other.example' })
    const cert = readFileSync(`${dir}/cert.pem`)
    const { connect } = await serve({ tls: { key: readFileSync(`${dir}/key.pem`), cert } })
    const err = await connect({ secure: 'explicit', tlsCa: cert }).catch((e: unknown) => e)
    expect(isFtpError(err, 'tls')).toBe(true)
    expect(String((err as Error).message)).toMatch(/altnames|IP|match/i)
    const insecure = await connect({ secure: 'explicit', tlsInsecure: true })
    expect((await readAll(await insecure.download('/a file.txt'))).toString()).toBe('hello')
    await insecure.close()
  })
})

describe('checklist edge cases', () => {
  it('does not time out a reader that stalls longer than the inactivity timeout (backpressure is not death)', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 1)
    const { server, connect } = await serve()
    writeFileSync(path.join(roots.at(-1)!, 'big.bin'), big)
    const s = await connect({ timeoutMs: 300 })
    const stream = await s.download('/big.bin', { expectedSize: big.length })
    let got = 0
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve))
    got += first.length
    stream.pause()
    await new Promise((r) => setTimeout(r, 1200))
    for await (const c of stream) got += (c as Buffer).length
    expect(got).toBe(big.length)
    expect(s.usable).toBe(true)
    expect(server.commands.filter((c) => c.verb === 'ABOR')).toHaveLength(0)
    await s.close()
  })

  it('uses PASV when EPSV is refused, and remembers it', async () => {
    const { server, connect } = await serve({ features: { epsv: false } })
    const s = await connect()
    for (let i = 0; i < 2; i++)
      expect((await readAll(await s.download('/a file.txt'))).toString()).toBe('hello')
    expect(server.commands.filter((c) => c.verb === 'EPSV')).toHaveLength(1)
    expect(server.commands.filter((c) => c.verb === 'PASV')).toHaveLength(2)
    await s.close()
  })

  it('reports an offset read as unsupported when the server has no REST, session intact', async () => {
    const { connect } = await serve({ features: { rest: false } })
    const s = await connect()
    expect(
      isFtpError(await s.download('/a file.txt', { offset: 2 }).catch((e: unknown) => e), 'unsupported'),
    ).toBe(true)
    expect((await readAll(await s.download('/a file.txt'))).toString()).toBe('hello')
    await s.close()
  })

  it('notices a session the server closed while idle', async () => {
    const { connect } = await serve({ idleTimeoutMs: 200 })
    const s = await connect()
    expect(await waitFor(() => !s.usable, 5000), 'noticed the server closed it').toBe(true)
    expect(s.usable).toBe(false)
    expect(isFtpError(await s.check().catch((e: unknown) => e))).toBe(true)
  })

  it('runs parallel TLS sessions, each resuming its own control session (vsftpd require_ssl_reuse)', async () => {
    const srv = await startVsftpd({ tls: 'explicit' })
    try {
      writeFileSync(path.join(srv.root, 'p.bin'), Buffer.alloc(500_000, 9))
      const sessions = await Promise.all(
        Array.from({ length: 4 }, () =>
          FtpSession.connect({
            host: srv.host,
            port: srv.port,
            user: srv.user,
            password: srv.password,
            secure: 'explicit',
            tlsCa: readFileSync(srv.caFile!),
          }),
        ),
      )
      const sizes = await Promise.all(
        sessions.map(async (s) => {
          let total = 0
          for (let i = 0; i < 5; i++)
            total += (await readAll(await s.download('/p.bin', { expectedSize: 500_000 }))).length
          return total
        }),
      )
      expect(sizes).toEqual([2_500_000, 2_500_000, 2_500_000, 2_500_000])
      await Promise.all(sessions.map((s) => s.close()))
    } finally {
      await srv.stop()
    }
  })

  it('finds names with glob characters and a leading dash on vsftpd (LIST never gets a path)', async () => {
    const srv = await startVsftpd()
    try {
      const names = ['-rf [a]*.txt', '{b}?.txt', '.hidden']
      for (const n of names) {
        writeFileSync(path.join(srv.root, n), n)
        chownSync(path.join(srv.root, n), srv.uid, srv.gid)
      }
      const s = await FtpSession.connect({
        host: srv.host,
        port: srv.port,
        user: srv.user,
        password: srv.password,
      })
      expect((await s.list('/')).map((e) => e.name).sort()).toEqual([...names].sort())
      for (const n of names) {
        expect((await s.stat(`/${n}`)).size).toBe(Buffer.byteLength(n))
        expect((await readAll(await s.download(`/${n}`))).toString()).toBe(n)
      }
      await s.close()
    } finally {
      await srv.stop()
    }
  })
})
