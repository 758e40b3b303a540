/**
 * The engine's fallbacks and safety switches: servers without MLST or SIZE, DOS listings, HASH,
 * keepalive NOOPs, a refused AUTH TLS (no fall back to clear text), certificate verification.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { FtpSession, type FtpSessionOptions, isFtpError } from '../../../src/ftp/index.js'
import { LocalFtpServer, type LocalFtpServerOptions } from '../../../src/local-server/index.js'
import { startVsftpd } from '../../helpers/servers/index.js'

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

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
    await new Promise((r) => setTimeout(r, 2200))
    expect(server.commands.filter((c) => c.verb === 'NOOP').length).toBeGreaterThanOrEqual(1)
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
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=other.example',
        '-addext',
        'subjectAltName=DNS:other.example',
        '-keyout',
        `${dir}/key.pem`,
        '-out',
        `${dir}/cert.pem`,
      ],
      { stdio: 'ignore' },
    )
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
