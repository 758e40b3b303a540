import { readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { curl, lftp } from '../../helpers/client-tools.js'
import { RawClient, startServer, type TestServer } from '../../helpers/local-server.js'

describe('LocalFtpServer with real clients', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startServer()
  })
  afterAll(() => t.stop())

  it('lists the root in Unix ls -l style over EPSV', async () => {
    const r = await curl(`${t.url}/`)
    expect(r.code).toBe(0)
    const lines = r.stdout.toString().trim().split(/\r?\n/)
    expect(lines.find((l) => l.endsWith(' hello.txt'))).toMatch(
      /^-rw-r--r-- +1 ftp +ftp +12 [A-Z][a-z]{2} [ \d]\d \d\d:\d\d hello\.txt$/,
    )
    expect(lines.find((l) => l.includes('link-in'))).toMatch(/^l.* link-in -> hello\.txt$/)
    expect(lines.find((l) => l.endsWith(' dir'))).toMatch(/^d/)
    expect(lines.some((l) => l.endsWith(' with space.txt'))).toBe(true)
  })

  it('downloads, including names with spaces and symlinks inside the root', async () => {
    expect((await curl(`${t.url}/hello.txt`)).stdout.toString()).toBe('hello world\n')
    expect((await curl(`${t.url}/with%20space.txt`)).stdout.toString()).toBe('spaced\n')
    expect((await curl(`${t.url}/link-in`)).stdout.toString()).toBe('hello world\n')
    expect((await curl(`${t.url}/dir/inner.txt`)).stdout.toString()).toBe('inner\n')
  })

  it('serves byte ranges with REST', async () => {
    const r = await curl('-r', '2-5', `${t.url}/hello.txt`)
    expect(r.stdout.toString()).toBe('llo ')
    expect(t.server.commands.some((c) => c.verb === 'REST' && c.arg === '2')).toBe(true)
  })

  it('downloads and uploads in active mode (EPRT and PORT)', async () => {
    const eprt = await curl('-P', '127.0.0.1', `${t.url}/hello.txt`)
    expect(eprt.code).toBe(0)
    expect(eprt.stdout.toString()).toBe('hello world\n')
    const port = await curl('-P', '127.0.0.1', '--disable-eprt', `${t.url}/hello.txt`)
    expect(port.stdout.toString()).toBe('hello world\n')
    expect(t.server.commands.some((c) => c.verb === 'PORT')).toBe(true)
    const src = path.join(t.root, 'dir', 'inner.txt')
    const up = await curl('-P', '127.0.0.1', '-T', src, `${t.url}/active-up.txt`)
    expect(up.code).toBe(0)
    expect(await readFile(path.join(t.root, 'active-up.txt'), 'utf8')).toBe('inner\n')
  })

  it('uploads with STOR, creating directories, and appends with APPE', async () => {
    const src = path.join(t.root, 'hello.txt')
    const r = await curl('--ftp-create-dirs', '-T', src, `${t.url}/new/deep/up.txt`)
    expect(r.code).toBe(0)
    expect(await readFile(path.join(t.root, 'new', 'deep', 'up.txt'), 'utf8')).toBe('hello world\n')
    await curl('--append', '-T', src, `${t.url}/new/deep/up.txt`)
    expect(await readFile(path.join(t.root, 'new', 'deep', 'up.txt'), 'utf8')).toBe('hello world\n'.repeat(2))
  })

  it('writes at the REST offset on STOR (resumed upload)', async () => {
    await writeFile(path.join(t.root, 'resume.bin'), 'abcdXXXX')
    const c = await RawClient.connect(t.port)
    await c.login()
    expect((await c.cmd('REST 4')).code).toBe(350)
    const data = await c.passive()
    expect((await c.cmd('STOR resume.bin')).code).toBe(150)
    data.end('efghij')
    expect((await c.reply()).code).toBe(226)
    expect(await readFile(path.join(t.root, 'resume.bin'), 'utf8')).toBe('abcdefghij')
    c.close()
  })

  it('runs quoted commands: MKD, RNFR/RNTO, DELE, RMD, MFMT', async () => {
    await writeFile(path.join(t.root, 'q.txt'), 'q')
    const r = await curl(
      '-Q',
      'MKD qdir',
      '-Q',
      'RNFR q.txt',
      '-Q',
      'RNTO qdir/moved.txt',
      '-Q',
      'MFMT 20200102030405 qdir/moved.txt',
      `${t.url}/hello.txt`,
    )
    expect(r.code).toBe(0)
    const st = await stat(path.join(t.root, 'qdir', 'moved.txt'))
    expect(st.mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z')
    const d = await curl('-Q', 'DELE qdir/moved.txt', '-Q', 'RMD qdir', `${t.url}/hello.txt`)
    expect(d.code).toBe(0)
    await expect(stat(path.join(t.root, 'qdir'))).rejects.toThrow()
  })

  it('answers MLSD to lftp with type/size/modify facts', async () => {
    const r = await lftp(t.port, 'set ftp:use-mlsd true; cls -l /')
    expect(r.code).toBe(0)
    expect(r.stdout.toString()).toMatch(/hello\.txt/)
    expect(t.server.commands.some((c) => c.verb === 'MLSD')).toBe(true)
  })

  it('makes, renames and removes directories and files through lftp', async () => {
    const r = await lftp(t.port, 'mkdir lf; put -O lf /etc/hostname -o h.txt; mv lf/h.txt lf/h2.txt; cls lf')
    expect(r.code).toBe(0)
    expect(r.stdout.toString()).toContain('h2.txt')
    const rm = await lftp(t.port, 'rm lf/h2.txt; rmdir lf')
    expect(rm.code).toBe(0)
    await expect(stat(path.join(t.root, 'lf'))).rejects.toThrow()
  })

  it('refuses a wrong password with 530 and counts connections', async () => {
    const before = t.server.totalConnections
    const r = await curl('ftp://demo:nope@127.0.0.1:' + t.port + '/hello.txt')
    expect(r.code).toBe(67)
    expect(t.server.totalConnections).toBe(before + 1)
    const pass = t.server.commands.filter((c) => c.verb === 'PASS')
    expect(pass.every((c) => c.arg === '***' && c.raw.toString() === 'PASS ***')).toBe(true)
  })

  it('speaks MLST, SIZE, MDTM, PWD, CWD, FEAT, STAT and HELP on the control connection', async () => {
    const c = await RawClient.connect(t.port)
    await c.login()
    const feat = await c.cmd('FEAT')
    expect(feat.code).toBe(211)
    expect(feat.lines).toContain(' MLST type*;size*;modify*;perm*;unique*;')
    expect(feat.lines).toContain(' EPSV')
    expect(feat.lines).toContain(' REST STREAM')
    const mlst = await c.cmd('MLST hello.txt')
    expect(mlst.code).toBe(250)
    expect(mlst.lines[1]).toMatch(/^ type=file;size=12;modify=\d{14};perm=adfrw;unique=\w+; \/hello\.txt$/)
    expect((await c.cmd('SIZE with space.txt')).lines[0]).toBe('213 7')
    expect((await c.cmd('MDTM hello.txt')).lines[0]).toMatch(/^213 \d{14}$/)
    expect((await c.cmd('CWD dir')).code).toBe(250)
    expect((await c.cmd('PWD')).lines[0]).toBe('257 "/dir" is the current directory')
    expect((await c.cmd('CDUP')).code).toBe(250)
    expect((await c.cmd('STAT')).code).toBe(211)
    expect((await c.cmd('STAT dir')).lines.some((l) => l.endsWith(' inner.txt'))).toBe(true)
    expect((await c.cmd('HELP')).code).toBe(214)
    expect((await c.cmd('SYST')).lines[0]).toBe('215 UNIX Type: L8')
    expect((await c.cmd('XYZZY')).code).toBe(502)
    expect((await c.cmd('SIZE missing')).code).toBe(550)
    expect((await c.cmd('QUIT')).code).toBe(221)
    await c.whenClosed()
  })

  it('demands a login before file commands', async () => {
    const c = await RawClient.connect(t.port)
    await c.reply()
    expect((await c.cmd('PWD')).code).toBe(530)
    expect((await c.cmd('FEAT')).code).toBe(211)
    expect((await c.cmd('NOOP')).code).toBe(200)
    c.close()
  })
})

describe('LocalFtpServer options', () => {
  it('answers 502 and hides FEAT lines for disabled features (an older server)', async () => {
    const t = await startServer({ features: { mlsd: false, mlst: false, epsv: false, size: false } })
    try {
      const c = await RawClient.connect(t.port)
      await c.login()
      const feat = await c.cmd('FEAT')
      expect(feat.lines.join('\n')).not.toMatch(/MLST|EPSV|SIZE/)
      expect((await c.cmd('EPSV')).code).toBe(502)
      expect((await c.cmd('MLSD')).code).toBe(502)
      expect((await c.cmd('SIZE hello.txt')).code).toBe(502)
      c.close()
      // curl falls back from EPSV to PASV.
      expect((await curl(`${t.url}/hello.txt`)).stdout.toString()).toBe('hello world\n')
    } finally {
      await t.stop()
    }
  })

  it('offers RANG and HASH when enabled', async () => {
    const t = await startServer({ features: { rang: true, hash: true } })
    try {
      const c = await RawClient.connect(t.port)
      await c.login()
      const feat = await c.cmd('FEAT')
      expect(feat.lines).toContain(' RANG STREAM')
      expect((await c.cmd('RANG 0 4')).code).toBe(350)
      const data = await c.passive()
      const chunks: Buffer[] = []
      data.on('data', (b: Buffer) => chunks.push(b))
      const done = new Promise((r) => data.on('close', r))
      expect((await c.cmd('RETR hello.txt')).code).toBe(150)
      await done
      expect((await c.reply()).code).toBe(226)
      expect(Buffer.concat(chunks).toString()).toBe('hello')
      const hash = await c.cmd('HASH hello.txt')
      expect(hash.lines[0]).toBe(
        '213 SHA-256 0-11 a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447 hello.txt',
      )
      c.close()
    } finally {
      await t.stop()
    }
  })

  it('uses a multi-line greeting and DOS listings when configured', async () => {
    const t = await startServer({ greeting: ['Welcome', 'to the test'], listFormat: 'dos' })
    try {
      const c = await RawClient.connect(t.port)
      const g = await c.reply()
      expect(g.lines).toEqual(['220-Welcome', '220 to the test'])
      c.close()
      const r = await curl(`${t.url}/`)
      const lines = r.stdout.toString().trim().split(/\r?\n/)
      expect(lines.find((l) => l.endsWith(' dir'))).toMatch(
        /^\d\d-\d\d-\d\d {2}\d\d:\d\d[AP]M {7}<DIR> {10}dir$/,
      )
      expect(lines.find((l) => l.endsWith(' hello.txt'))).toMatch(
        /^\d\d-\d\d-\d\d {2}\d\d:\d\d[AP]M +12 hello\.txt$/,
      )
    } finally {
      await t.stop()
    }
  })

  it('closes idle control connections with 421', async () => {
    const t = await startServer({ idleTimeoutMs: 200 })
    try {
      const c = await RawClient.connect(t.port)
      await c.reply()
      const r = await c.reply(2000)
      expect(r.code).toBe(421)
      await c.whenClosed()
    } finally {
      await t.stop()
    }
  })
})
