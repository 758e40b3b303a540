/**
 * The FTP server keeps its other clients: a listing the gateway cached a moment ago must never be
 * why a request fails. Against real vsftpd, with a memory store and with Redis (a long CACHE_TTL_MS
 * makes any stale answer show): list a folder through the gateway, create a file and
 * a folder with curl (another FTP client), then at once read the new file, write into the new
 * folder, and write onto the new file with If-None-Match: * (412 because it exists) — through REST
 * and through WebDAV.
 */
import { chownSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { etagOf } from '../../../src/files/stat.js'
import { curl } from '../../helpers/client-tools.js'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

let srv: FtpServerHandle
let gw: GatewayHandle
let scratch: string

const req = (method: string, url: string, headers: Record<string, string> = {}, body?: string) =>
  fetch(`${gw.url}${url}`, {
    method,
    headers: { authorization: basicAuth(srv.user, srv.password), ...headers },
    ...(body === undefined ? {} : { body }),
  })

/** Another FTP client (curl) stores `file` and makes `dir`, both at the root. */
async function otherClientCreates(file: string, dir: string): Promise<void> {
  const base = `ftp://${srv.user}:${srv.password}@${srv.host}:${srv.port}`
  const put = await curl('-T', scratch, `${base}/${file}`)
  expect(put.code, put.stderr).toBe(0)
  const mkd = await curl('-Q', `MKD ${dir}`, `${base}/`)
  expect(mkd.code, mkd.stderr).toBe(0)
}

const names = (listing: { entries: Array<{ name: string }> }) => listing.entries.map((e) => e.name)

// A memory store (this instance's caches are the only ones, trusted the most) and the shared Redis
// (every download stats afresh; listings and stats are still cached).
const stores = [
  { store: 'memory', env: { REDIS_URL: '' } },
  { store: 'Redis', env: {} },
]

describe.each(stores)(
  'another FTP client wrote ($store store): nothing fails because of the cache',
  ({ env }) => {
    beforeAll(async () => {
      srv = await startVsftpd()
      const seed = path.join(srv.root, 'old.txt')
      writeFileSync(seed, 'old')
      chownSync(seed, srv.uid, srv.gid)
      scratch = path.join(srv.root, '..', 'upload-source.txt')
      writeFileSync(scratch, 'from another client')
      gw = await startGateway(srv, { ...env, CACHE_TTL_MS: '600000' })
    })

    afterAll(async () => {
      await gw?.close()
      await srv?.stop()
    })

    it('REST: GET the new file, PUT into the new folder, PUT If-None-Match: * onto the new file', async () => {
      const before = (await (await req('GET', '/api/v1/dirs/')).json()) as {
        entries: Array<{ name: string }>
      }
      expect(names(before)).toEqual(['old.txt'])
      await otherClientCreates('new.txt', 'newdir')

      const get = await req('GET', '/api/v1/files/new.txt')
      expect(get.status).toBe(200)
      expect(await get.text()).toBe('from another client')
      const stat = await req('GET', '/api/v1/stat/newdir')
      expect(stat.status).toBe(200)
      expect(((await stat.json()) as { type: string }).type).toBe('dir')
      const into = await req('PUT', '/api/v1/files/newdir/inner.txt', {}, 'inner')
      expect(into.status).toBe(201)
      const onto = await req('PUT', '/api/v1/files/new.txt', { 'if-none-match': '*' }, 'mine')
      expect(onto.status).toBe(412)
      // What the server showed the gateway replaced the stale listing: the folder lists both now.
      const after = (await (await req('GET', '/api/v1/dirs/')).json()) as { entries: Array<{ name: string }> }
      expect(names(after).sort()).toEqual(['new.txt', 'newdir', 'old.txt'])
    })

    it('WebDAV: GET, PROPFIND, PUT into the new folder, MKCOL and COPY into it, PUT If-None-Match: *', async () => {
      const before = await req('PROPFIND', '/dav/', { depth: '1' })
      expect(before.status).toBe(207)
      expect(await before.text()).not.toContain('dav-new.txt')
      await otherClientCreates('dav-new.txt', 'davdir')

      const get = await req('GET', '/dav/dav-new.txt')
      expect(get.status).toBe(200)
      expect(await get.text()).toBe('from another client')
      expect((await req('PROPFIND', '/dav/davdir', { depth: '0' })).status).toBe(207)
      expect((await req('PUT', '/dav/davdir/inner.txt', {}, 'inner')).status).toBe(201)
      expect((await req('MKCOL', '/dav/davdir/sub')).status).toBe(201)
      const copy = await req('COPY', '/dav/old.txt', { destination: `${gw.url}/dav/davdir/copy.txt` })
      expect(copy.status).toBe(201)
      expect((await req('PUT', '/dav/dav-new.txt', { 'if-none-match': '*' }, 'mine')).status).toBe(412)
    })

    it('a file another client created under a name the listing lacks: HEAD and If-Match see it at once', async () => {
      await req('GET', '/api/v1/dirs/newdir')
      await otherClientCreates('newdir/later.txt', 'newdir/laterdir')
      const head = await req('HEAD', '/api/v1/files/newdir/later.txt')
      expect(head.status).toBe(200)
      const etag = head.headers.get('etag') as string
      const replace = await req('PUT', '/api/v1/files/newdir/later.txt', { 'if-match': etag }, 'replaced')
      expect(replace.status).toBe(204)
      expect((await req('DELETE', '/api/v1/dirs/newdir/laterdir')).status).toBe(204)
    })

    it('a file another client rewrote: If-Match with its new ETag is 200, not a 412 from the cache', async () => {
      const cached = (await (await req('GET', '/api/v1/stat/old.txt')).json()) as { etag: string }
      const base = `ftp://${srv.user}:${srv.password}@${srv.host}:${srv.port}`
      const put = await curl('-T', scratch, `${base}/old.txt`)
      expect(put.code, put.stderr).toBe(0)
      const disk = statSync(path.join(srv.root, 'old.txt'))
      const now = etagOf({
        type: 'file',
        size: disk.size,
        modified: new Date(Math.floor(disk.mtimeMs / 1000) * 1000),
      })
      expect(now).not.toBe(cached.etag)
      const get = await req('GET', '/api/v1/files/old.txt', { 'if-match': now })
      expect(get.status).toBe(200)
      expect(await get.text()).toBe('from another client')
      // The ETag the file no longer has fails, on the server's word.
      expect((await req('GET', '/api/v1/files/old.txt', { 'if-match': cached.etag })).status).toBe(412)
      expect((await req('GET', '/dav/old.txt', { 'if-match': now })).status).toBe(200)
    })

    it('WebDAV If: with the ETag another client gave the file passes (no 412 from a cached ETag)', async () => {
      const find = await req('PROPFIND', '/dav/dav-new.txt', { depth: '0' })
      const cached = /<D:getetag>([^<]+)<\/D:getetag>/.exec(await find.text())?.[1]
      writeFileSync(scratch, 'rewritten by another client, longer')
      const base = `ftp://${srv.user}:${srv.password}@${srv.host}:${srv.port}`
      const put = await curl('-T', scratch, `${base}/dav-new.txt`)
      expect(put.code, put.stderr).toBe(0)
      const disk = statSync(path.join(srv.root, 'dav-new.txt'))
      const now = etagOf({
        type: 'file',
        size: disk.size,
        modified: new Date(Math.floor(disk.mtimeMs / 1000) * 1000),
      })
      expect(now).not.toBe(cached?.replaceAll('&quot;', '"'))
      expect((await req('PUT', '/dav/dav-new.txt', { if: `([${now}])` }, 'mine')).status).toBe(204)
    })
  },
)
