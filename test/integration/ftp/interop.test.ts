/**
 * The engine against real vsftpd, Pure-FTPd and ProFTPD: passive and active, plain and explicit
 * FTPS (servers require TLS session reuse on data connections), plus implicit FTPS where the
 * server offers it. Each configuration runs the same operations and compares bytes; a session a
 * failed case broke is replaced before the next case.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type DataMode, FtpSession, isFtpError, type TlsMode } from '../../../src/ftp/index.js'
import { type FtpServerHandle, ftpServers } from '../../helpers/servers/index.js'
import { readAll } from '../../helpers/streams.js'

interface Config {
  server: (typeof ftpServers)[number]
  tls: TlsMode
  dataMode: DataMode
}

const configs: Config[] = []
for (const server of ftpServers) {
  for (const tls of ['none', 'explicit'] as const) {
    for (const dataMode of ['passive', 'active'] as const) configs.push({ server, tls, dataMode })
  }
  if (server.supports.implicitTls) configs.push({ server, tls: 'implicit', dataMode: 'passive' })
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

describe.each(configs)('$server.name tls=$tls $dataMode', ({ server, tls, dataMode }) => {
  let srv: FtpServerHandle
  let session: FtpSession
  const big = randomBytes(4 * 1024 * 1024 + 123)
  const small = Buffer.from('hello, wörld\n')
  const dir = () => `${session.home === '/' ? '' : session.home}/dir with spaces ü`
  const file = () => `${dir()}/naïve file.bin`

  const connect = () =>
    FtpSession.connect({
      host: srv.host,
      port: srv.port,
      user: srv.user,
      password: srv.password,
      secure: tls,
      dataMode,
      tlsCa: srv.caFile ? readFileSync(srv.caFile) : undefined,
      timeoutMs: 10_000,
    })

  beforeAll(async () => {
    srv = await server.start({ tls })
  })

  // A case starts on a working session: one that a failed case left broken (timed out, out of
  // step) is replaced, so it cannot fail the cases after it. A fresh login per case would cost
  // ~15 s over the suite. The cases still build on each other's files, in order.
  beforeEach(async () => {
    if (session?.usable) return
    await session?.close()
    session = await connect()
  })

  afterAll(async () => {
    await session?.close()
    await srv?.stop()
  })

  it('logs in and reads FEAT', () => {
    expect(session.usable).toBe(true)
    expect(session.home.startsWith('/')).toBe(true)
    expect(session.features.size).toBe(true)
    expect(session.features.mlst).toBe(server.supports.mlsd)
  })

  it('creates a directory and uploads into it, names with spaces and non-ASCII', async () => {
    await session.mkdir(dir())
    const result = await session.upload(file(), Readable.from([big.subarray(0, 1000), big.subarray(1000)]))
    expect(result.bytes).toBe(big.length)
    await session.upload(`${dir()}/small.txt`, Readable.from([small]))
    const entries = await session.list(dir())
    const names = entries.map((e) => e.name).sort()
    expect(names).toEqual(['naïve file.bin', 'small.txt'])
    expect(entries.find((e) => e.name === 'naïve file.bin')).toMatchObject({ type: 'file', size: big.length })
    expect(sha(readFileSync(`${srv.root}/dir with spaces ü/naïve file.bin`))).toBe(sha(big))
  })

  it('stats files and directories, and reports missing paths as not-found', async () => {
    expect(await session.stat(file())).toMatchObject({
      name: 'naïve file.bin',
      type: 'file',
      size: big.length,
    })
    expect(await session.stat(dir())).toMatchObject({ name: 'dir with spaces ü', type: 'dir' })
    const err = await session.stat(`${dir()}/missing`).catch((e: unknown) => e)
    expect(isFtpError(err, 'not-found')).toBe(true)
    expect(session.usable).toBe(true)
  })

  it('downloads whole files and ranges byte-identically, ten times in a row (TLS reuse)', async () => {
    for (let i = 0; i < 10; i++) {
      const got = await readAll(await session.download(`${dir()}/small.txt`, { expectedSize: small.length }))
      expect(got.equals(small)).toBe(true)
    }
    expect(sha(await readAll(await session.download(file(), { expectedSize: big.length })))).toBe(sha(big))
    const mid = await readAll(
      await session.download(file(), { offset: 1_000_000, length: 12_345, expectedSize: big.length }),
    )
    expect(mid.equals(big.subarray(1_000_000, 1_012_345))).toBe(true)
    const tail = await readAll(await session.download(file(), { offset: big.length - 10, length: 100 }))
    expect(tail.equals(big.subarray(big.length - 10))).toBe(true)
  })

  it('aborts a download mid-stream and keeps using the session', async () => {
    const stream = await session.download(file(), { expectedSize: big.length })
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve))
    expect(first.length).toBeGreaterThan(0)
    stream.destroy()
    const entries = await session.list(dir())
    expect(entries).toHaveLength(2)
    expect(session.usable).toBe(true)
    const again = await readAll(await session.download(`${dir()}/small.txt`))
    expect(again.equals(small)).toBe(true)
  })

  it('reports a missing file on download before any byte, session intact', async () => {
    const err = await session.download(`${dir()}/nope.bin`).catch((e: unknown) => e)
    expect(isFtpError(err, 'not-found')).toBe(true)
    expect((await session.stat(file())).size).toBe(big.length)
  })

  it('appends and replaces', async () => {
    await session.upload(`${dir()}/small.txt`, Readable.from([Buffer.from('more\n')]), { append: true })
    expect(readFileSync(`${srv.root}/dir with spaces ü/small.txt`, 'utf8')).toBe('hello, wörld\nmore\n')
    await session.upload(`${dir()}/small.txt`, Readable.from([small]))
    expect(readFileSync(`${srv.root}/dir with spaces ü/small.txt`).equals(small)).toBe(true)
  })

  it('uploads an empty file (TLS handshake still happens)', async () => {
    const r = await session.upload(`${dir()}/empty`, Readable.from([]))
    expect(r.bytes).toBe(0)
    expect((await session.stat(`${dir()}/empty`)).size).toBe(0)
    await session.delete(`${dir()}/empty`)
  })

  it('sets the modification time on every server of the test set', async () => {
    const when = new Date('2021-03-04T05:06:07Z')
    const form = await session.setModified(`${dir()}/small.txt`, when)
    // vsftpd has neither MFMT nor SITE UTIME; its MDTM takes a time to write.
    expect(form).toBe(server.name === 'vsftpd' ? 'mdtm-write' : 'mfmt')
    expect((await session.stat(`${dir()}/small.txt`)).modified?.toISOString()).toBe(when.toISOString())
  })

  it('renames, deletes and removes directories', async () => {
    await session.rename(`${dir()}/small.txt`, `${dir()}/renamed ü.txt`)
    expect((await session.stat(`${dir()}/renamed ü.txt`)).size).toBe(small.length)
    expect(isFtpError(await session.stat(`${dir()}/small.txt`).catch((e: unknown) => e), 'not-found')).toBe(
      true,
    )
    await session.delete(`${dir()}/renamed ü.txt`)
    await session.delete(file())
    expect(await session.list(dir())).toEqual([])
    await session.rmdir(dir())
    expect(isFtpError(await session.stat(dir()).catch((e: unknown) => e), 'not-found')).toBe(true)
  })

  it('refuses CR/LF/NUL arguments without sending them, session intact', async () => {
    for (const bad of ['a\r\nDELE x', 'a\nb', 'a\0b']) {
      const err = await session.stat(`${dir()}/${bad}`).catch((e: unknown) => e)
      expect(isFtpError(err, 'bad-name')).toBe(true)
    }
    expect(session.usable).toBe(true)
    await session.check()
  })

  it('fails login with a wrong password as an auth error', async () => {
    const err = await FtpSession.connect({
      host: srv.host,
      port: srv.port,
      user: srv.user,
      password: 'wrong-password',
      secure: tls,
      tlsCa: srv.caFile ? readFileSync(srv.caFile) : undefined,
      timeoutMs: 10_000,
    }).catch((e: unknown) => e)
    expect(isFtpError(err, 'auth')).toBe(true)
    expect(String((err as Error).message)).not.toContain('wrong-password')
  })
})

describe('TLS 1.3 and 1.2 uploads and downloads against vsftpd with require_ssl_reuse', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`resumes the control session on 20 data connections (${version})`, async () => {
      const srv = await ftpServers[0]!.start({ tls: 'explicit', tlsMaxVersion: version })
      try {
        const session = await FtpSession.connect({
          host: srv.host,
          port: srv.port,
          user: srv.user,
          password: srv.password,
          secure: 'explicit',
          tlsCa: readFileSync(srv.caFile!),
          timeoutMs: 10_000,
        })
        const payload = randomBytes(200_000)
        for (let i = 0; i < 10; i++) {
          await session.upload(`/f${i}.bin`, Readable.from([payload]))
          const back = await readAll(await session.download(`/f${i}.bin`, { expectedSize: payload.length }))
          expect(back.equals(payload)).toBe(true)
        }
        expect(session.usable).toBe(true)
        await session.close()
      } finally {
        await srv.stop()
      }
    })
  }
})
