/**
 * File names holding line breaks, made straight on the server's disk (issue 15 item 13), against
 * vsftpd (LIST), Pure-FTPd and ProFTPD (MLSD, and LIST for ProFTPD through the engine): no listing
 * shows an entry that does not exist (no `fake`, no cut-off halves), every real entry that can be
 * addressed is still listed and can be read, and the real REST and WebDAV listings agree.
 */
import { chown, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FtpSession } from '../../src/ftp/index.js'
import { basicAuth, type GatewayHandle, startGateway } from '../helpers/gateway.js'
import { type FtpServerHandle, ftpServers } from '../helpers/servers/index.js'
import { record } from './support/counters.js'
import { rejectionCounter } from './support/harness.js'

const rejections = rejectionCounter()

/** Names with line breaks: the forged `ls` line, plain LF, CR LF, trailing LF, a folder. */
const BROKEN_FILES = [
  'a\n-rw-r--r-- 1 u g 5 Jan 1 00:00 fake',
  'b\nc',
  'crlf\r\nx',
  'tail\n',
  'blank\r\n\r\nz',
]
const BROKEN_DIRS = ['d\nir']
/** Real names that must stay listed and usable (one looks like MLSD facts, one like a LIST line). */
const GOOD_FILES: Record<string, string> = {
  'plain.txt': 'plain',
  'type=file;size=1; mfake': 'facts-like',
  '-rw-r--r-- 1 u g 5 Jan 1 00:00 lookalike': 'list-like',
}
const GOOD_DIR = 'ok dir'

describe.each(ftpServers)('names with line breaks on $name', (kind) => {
  let server: FtpServerHandle
  let gw: GatewayHandle
  let auth: string

  beforeAll(async () => {
    server = await kind.start()
    const own = (p: string) => chown(p, server.uid, server.gid)
    for (const name of BROKEN_FILES) {
      await writeFile(path.join(server.root, name), 'x')
      await own(path.join(server.root, name))
    }
    for (const name of [...BROKEN_DIRS, GOOD_DIR]) {
      await mkdir(path.join(server.root, name))
      await own(path.join(server.root, name))
    }
    for (const [name, content] of Object.entries(GOOD_FILES)) {
      await writeFile(path.join(server.root, name), content)
      await own(path.join(server.root, name))
    }
    gw = await startGateway(server, { REDIS_URL: '', CACHE_TTL_MS: '0' })
    auth = basicAuth(server.user, server.password)
  })
  afterAll(async () => {
    await gw?.close()
    await server?.stop()
    expect(rejections()).toEqual([])
  })

  const expected = [...Object.keys(GOOD_FILES), GOOD_DIR].sort()

  it('the REST listing holds exactly the real, addressable entries, and each one works', async () => {
    const res = await fetch(`${gw.url}/api/v1/dirs/`, { headers: { authorization: auth } })
    expect(res.status).toBe(200)
    const page = (await res.json()) as { entries: Array<{ name: string; type: string }> }
    expect(page.entries.map((e) => e.name).sort()).toEqual(expected)
    for (const [name, content] of Object.entries(GOOD_FILES)) {
      const get = await fetch(`${gw.url}/api/v1/files/${encodeURIComponent(name)}`, {
        headers: { authorization: auth },
      })
      expect(get.status, name).toBe(200)
      expect(await get.text()).toBe(content)
    }
    const dir = await fetch(`${gw.url}/api/v1/dirs/${encodeURIComponent(GOOD_DIR)}`, {
      headers: { authorization: auth },
    })
    expect(dir.status).toBe(200)
    record({ cases: 1, filesCompared: Object.keys(GOOD_FILES).length })
  })

  it('the WebDAV listing shows no entry that does not exist', async () => {
    const res = await fetch(`${gw.url}/dav/`, {
      method: 'PROPFIND',
      headers: { authorization: auth, depth: '1' },
    })
    expect(res.status).toBe(207)
    const hrefs = [...(await res.text()).matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) =>
      decodeURIComponent(m[1]!.replace(/^\/dav\//, '').replace(/\/$/, '')),
    )
    expect(hrefs.filter((h) => h !== '').sort()).toEqual(expected)
    record({ cases: 1 })
  })

  it('the engine reads both LIST and (where offered) MLSD without a made-up entry', async () => {
    for (const mlst of kind.supports.mlsd ? [true, false] : [false]) {
      const s = await FtpSession.connect({
        host: server.host,
        port: server.port,
        user: server.user,
        password: server.password,
      })
      try {
        // Without MLST the engine falls back to LIST, the format the report was about.
        if (!mlst) (s.features as { mlst: boolean }).mlst = false
        const names = (await s.list('/')).map((e) => e.name).sort()
        expect(names, mlst ? 'MLSD' : 'LIST').toEqual(expected)
      } finally {
        s.destroy()
      }
    }
    record({ cases: 1 })
  })
})
