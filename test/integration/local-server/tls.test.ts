import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { curl, writeSelfSignedCert } from '../../helpers/client-tools.js'
import { RawClient, startServer } from '../../helpers/local-server.js'

describe('LocalFtpServer FTPS', () => {
  let dir: string
  let tlsOptions: { key: string; cert: string }
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lfs-tls-'))
    const { key, cert } = writeSelfSignedCert(dir, { subject: '/CN=127.0.0.1', days: 1 })
    tlsOptions = { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') }
  }, 30_000)
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('explicit FTPS: AUTH TLS, PBSZ, PROT P, then download and upload', async () => {
    const t = await startServer({ tls: tlsOptions })
    try {
      const c = await RawClient.connect(t.port)
      await c.reply()
      const feat = await c.cmd('FEAT')
      expect(feat.lines).toContain(' AUTH TLS')
      expect((await c.cmd('PROT P')).code).toBe(503)
      c.close()
      const down = await curl('--ssl-reqd', '-k', `${t.url}/hello.txt`)
      expect(down.code, down.stderr).toBe(0)
      expect(down.stdout.toString()).toBe('hello world\n')
      const up = await curl(
        '--ssl-reqd',
        '-k',
        '-T',
        path.join(t.root, 'dir', 'inner.txt'),
        `${t.url}/tls-up.txt`,
      )
      expect(up.code, up.stderr).toBe(0)
      expect(await readFile(path.join(t.root, 'tls-up.txt'), 'utf8')).toBe('inner\n')
      const verbs = t.server.commands.map((x) => x.verb)
      expect(verbs).toEqual(expect.arrayContaining(['AUTH', 'PBSZ', 'PROT']))
    } finally {
      await t.stop()
    }
  })

  it('implicit FTPS (ftps://)', async () => {
    const t = await startServer({ tls: { ...tlsOptions, implicit: true } })
    try {
      const r = await curl('-k', `ftps://demo:demo@127.0.0.1:${t.port}/hello.txt`)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout.toString()).toBe('hello world\n')
    } finally {
      await t.stop()
    }
  })
})
