/**
 * /dav/ over real vsftpd, request by request: one listing per Depth 1 PROPFIND (counted in vsftpd's
 * own command log), Depth rules, Range and conditionals, Windows' write sequence, macOS probes,
 * hrefs behind a TLS-terminating proxy, and requests that used to crash webdav-server.
 */
import { createHash, randomBytes } from 'node:crypto'
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { type RunningGateway, startGateway } from './harness.js'

const ENTRIES = 2000

describe('WebDAV protocol over vsftpd', () => {
  let ftp: FtpServerHandle
  let gw: RunningGateway
  let auth: string

  const dav = (p: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`http://127.0.0.1:${gw.port}${p}`, {
      ...init,
      headers: { authorization: auth, ...(init.headers ?? {}) },
    })
  const listings = async () =>
    (await ftp.commandLog()).filter((l) => /FTP command: .*"(LIST|MLSD|NLST)\b/.test(l)).length
  const commands = async () => (await ftp.commandLog()).filter((l) => /FTP command:/.test(l)).length

  beforeAll(async () => {
    ftp = await startVsftpd()
    gw = await startGateway(ftp, { CACHE_TTL_MS: '60000' })
    auth = `Basic ${Buffer.from(`${ftp.user}:${ftp.password}`).toString('base64')}`
    const big = path.join(ftp.root, 'big')
    await mkdir(big)
    await chown(big, ftp.uid, ftp.gid)
    for (let i = 0; i < ENTRIES; i++)
      await writeFile(path.join(big, `f${String(i).padStart(4, '0')}.txt`), 'x')
  })
  afterAll(async () => {
    await gw?.gateway.close(100)
    await ftp?.stop()
  })

  it('answers OPTIONS on / and /dav/ without credentials, announcing class 1 and 2', async () => {
    for (const p of ['/', '/dav/', '/dav']) {
      const r = await fetch(`http://127.0.0.1:${gw.port}${p}`, { method: 'OPTIONS' })
      expect(r.status, p).toBe(200)
      expect(r.headers.get('dav')).toBe('1, 2')
      expect(r.headers.get('ms-author-via')).toBe('DAV')
    }
  })

  it('lists a 2,000-entry directory with ONE listing command, and none when repeated', async () => {
    const before = await listings()
    const t0 = performance.now()
    const r = await dav('/dav/big/', { method: 'PROPFIND', headers: { depth: '1' } })
    const body = await r.text()
    const cold = performance.now() - t0
    expect(r.status).toBe(207)
    expect(body.match(/<D:response>/g)).toHaveLength(ENTRIES + 1)
    expect((await listings()) - before).toBe(1)

    const t1 = performance.now()
    const again = await dav('/dav/big/', { method: 'PROPFIND', headers: { depth: '1' } })
    expect(again.status).toBe(207)
    await again.text()
    const warm = performance.now() - t1
    expect((await listings()) - before).toBe(1)
    // Compared with rclone in the bench (docs/performance.md); printed here, not asserted.
    console.info(
      `PROPFIND Depth 1 of ${ENTRIES} entries: ${cold.toFixed(0)} ms cold, ${warm.toFixed(0)} ms cached`,
    )
  })

  it('lists a folder again byte for byte, and shows a new file, a property and a lock at once', async () => {
    const dir = path.join(ftp.root, 'shown')
    await mkdir(dir)
    await chown(dir, ftp.uid, ftp.gid)
    for (const n of ['a.txt', 'b.txt']) await writeFile(path.join(dir, n), n)
    const list = async () => {
      const r = await dav('/dav/shown/', { method: 'PROPFIND', headers: { depth: '1' } })
      expect(r.status).toBe(207)
      return r.text()
    }
    const first = await list()
    expect(await list()).toBe(first)
    expect((await dav('/dav/shown/c.txt', { method: 'PUT', body: 'c' })).status).toBe(201)
    const grown = await list()
    expect(grown).toContain('<D:href>/dav/shown/c.txt</D:href>')
    expect(grown.match(/<D:response>/g)).toHaveLength(4)
    const set = (op: 'set' | 'remove', value = '') =>
      dav('/dav/shown/a.txt', {
        method: 'PROPPATCH',
        body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x"><D:${op}><D:prop><Z:color>${value}</Z:color></D:prop></D:${op}></D:propertyupdate>`,
      })
    expect((await set('set', 'blue')).status).toBe(207)
    expect(await list()).toContain('>blue</color>')
    expect((await set('remove')).status).toBe(207)
    expect(await list()).toBe(grown)
    const lock = await dav('/dav/shown/b.txt', {
      method: 'LOCK',
      headers: { timeout: 'Second-60', 'content-type': 'text/xml' },
      body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
    })
    expect(lock.status).toBe(200) // an existing resource: 200, not 201
    const locked = await list()
    expect(locked).toContain('<D:activelock>')
    const token = lock.headers.get('lock-token') as string
    expect(
      (await dav('/dav/shown/b.txt', { method: 'UNLOCK', headers: { 'lock-token': token } })).status,
    ).toBe(204)
    expect(await list()).toBe(grown)
  })

  it('answers macOS probe names from the cached listing without asking the server', async () => {
    await dav('/dav/big/', { method: 'PROPFIND', headers: { depth: '1' } }).then((r) => r.text())
    const before = await commands()
    for (const name of ['._f0001.txt', '.DS_Store', '._big']) {
      const r = await dav(`/dav/big/${name}`, { method: 'PROPFIND', headers: { depth: '0' } })
      expect(r.status, name).toBe(404)
    }
    expect(await commands()).toBe(before)
  })

  it('treats a missing Depth as 1 and refuses Depth: infinity with propfind-finite-depth', async () => {
    const r = await dav('/dav/', { method: 'PROPFIND' })
    expect(r.status).toBe(207)
    expect(await r.text()).toContain('<D:href>/dav/big/</D:href>')
    const inf = await dav('/dav/', { method: 'PROPFIND', headers: { depth: 'infinity' } })
    expect(inf.status).toBe(403)
    expect(await inf.text()).toContain('<D:propfind-finite-depth/>')
    const bad = await dav('/dav/', { method: 'PROPFIND', headers: { depth: '0' }, body: '<propfind' })
    expect(bad.status).toBe(400)
  })

  it('serves real ranges, 416, ETag, Last-Modified and conditionals', async () => {
    const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251))
    expect((await dav('/dav/r.bin', { method: 'PUT', body: content })).status).toBe(201)
    const part = await dav('/dav/r.bin', { headers: { range: 'bytes=10-19' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 10-19/1000')
    expect(Buffer.from(await part.arrayBuffer()).equals(content.subarray(10, 20))).toBe(true)
    const tail = await dav('/dav/r.bin', { headers: { range: 'bytes=-5' } })
    expect(tail.headers.get('content-range')).toBe('bytes 995-999/1000')
    await tail.arrayBuffer()
    const none = await dav('/dav/r.bin', { headers: { range: 'bytes=5000-' } })
    expect(none.status).toBe(416)
    expect(none.headers.get('content-range')).toBe('bytes */1000')
    const head = await dav('/dav/r.bin', { method: 'HEAD' })
    expect(head.headers.get('content-length')).toBe('1000')
    const etag = head.headers.get('etag') as string
    expect(etag).toMatch(/^"/)
    expect(head.headers.get('last-modified')).toBeTruthy()
    expect((await dav('/dav/r.bin', { headers: { 'if-none-match': etag } })).status).toBe(304)
    expect(
      (await dav('/dav/r.bin', { method: 'PUT', body: 'x', headers: { 'if-match': '"nope"' } })).status,
    ).toBe(412)
  })

  it('stores large bodies byte for byte through both faces while their chunks are freed as they go', async () => {
    // Request bodies' chunks are freed once on the data connection (src/ftp/memory/chunk-release.ts): a
    // chunk freed too early would show here as wrong bytes in the file on the server.
    const body = randomBytes(24 * 1024 * 1024 + 12_345)
    const digest = createHash('sha256').update(body).digest('hex')
    expect((await dav('/dav/large-dav.bin', { method: 'PUT', body })).status).toBe(201)
    expect((await dav('/api/v1/files/large-rest.bin', { method: 'PUT', body })).status).toBe(201)
    for (const name of ['large-dav.bin', 'large-rest.bin']) {
      const onDisk = await readFile(path.join(ftp.root, name))
      expect(onDisk.length, name).toBe(body.length)
      expect(createHash('sha256').update(onDisk).digest('hex'), name).toBe(digest)
    }
  })

  it("runs Windows' LOCK, empty PUT, PUT, PROPPATCH Win32LastModifiedTime, UNLOCK", async () => {
    const lock = await dav('/dav/win.txt', {
      method: 'LOCK',
      headers: { timeout: 'Second-120', 'content-type': 'text/xml' },
      body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>WIN</D:owner></D:lockinfo>',
    })
    expect(lock.status).toBe(201)
    const token = lock.headers.get('lock-token') as string
    expect(token).toMatch(/^<urn:uuid:[0-9a-f-]+>$/)
    expect(await lock.text()).toMatch(/<D:timeout>Second-1[12]\d<\/D:timeout>/)
    const ifh = { if: `(${token})` }
    expect((await dav('/dav/win.txt', { method: 'PUT', body: '' })).status).toBe(423)
    expect((await dav('/dav/win.txt', { method: 'PUT', body: '', headers: ifh })).status).toBe(204)
    expect((await dav('/dav/win.txt', { method: 'PUT', body: 'windows data', headers: ifh })).status).toBe(
      204,
    )
    const when = new Date('2021-03-04T05:06:07Z')
    const patch = await dav('/dav/win.txt', {
      method: 'PROPPATCH',
      headers: ifh,
      body: `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop><Z:Win32LastModifiedTime>${when.toUTCString()}</Z:Win32LastModifiedTime></D:prop></D:set></D:propertyupdate>`,
    })
    expect(patch.status).toBe(207)
    expect(await patch.text()).toContain('HTTP/1.1 200 OK')
    // vsftpd keeps the time (its MDTM write form), and the property is kept as sent.
    const props = await dav('/dav/win.txt', { method: 'PROPFIND', headers: { depth: '0' } })
    const propsText = await props.text()
    expect(propsText).toContain(`${when.toUTCString()}</Win32LastModifiedTime>`)
    expect(propsText).toContain(`<D:getlastmodified>${when.toUTCString()}</D:getlastmodified>`)
    expect((await dav('/dav/win.txt', { method: 'UNLOCK', headers: { 'lock-token': token } })).status).toBe(
      204,
    )
    expect(await readFile(path.join(ftp.root, 'win.txt'), 'utf8')).toBe('windows data')
  })

  it('keeps hrefs right behind a TLS-terminating proxy', async () => {
    const headers = { depth: '1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'files.example.com' }
    const body = await (await dav('/dav/', { method: 'PROPFIND', headers })).text()
    const hrefs = [...body.matchAll(/<D:href>([^<]*)<\/D:href>/g)]
      .map((m) => m[1])
      .filter((h) => !h?.startsWith('urn:'))
    expect(hrefs.length).toBeGreaterThan(1)
    for (const h of hrefs) expect(h).toMatch(/^\/dav\//)
    const moved = await dav('/dav/r.bin', {
      method: 'MOVE',
      headers: { destination: 'https://files.example.com/dav/r2.bin' },
    })
    expect(moved.status).toBe(201)
  })

  it('survives the requests that crashed stock webdav-server', async () => {
    const nullNs = await dav('/dav/r2.bin', {
      method: 'PROPPATCH',
      body: '<?xml version="1.0"?><propertyupdate xmlns="DAV:"><set><prop><nonamespace xmlns="">randomvalue</nonamespace></prop></set></propertyupdate>',
    })
    expect(nullNs.status).toBe(207)
    const tagged = await dav('/dav/r2.bin', {
      method: 'PUT',
      body: 'y',
      headers: { if: `<http://127.0.0.1:${gw.port}/dav/r2.bin> (Not <DAV:no-lock>)` },
    })
    expect(tagged.status).toBe(204)
    const malformed = await dav('/dav/r2.bin', {
      method: 'PUT',
      body: 'y',
      headers: { if: '(<unterminated' },
    })
    expect(malformed.status).toBe(400)
    expect((await dav('/dav/%E0%A4%A', { method: 'PROPFIND' })).status).toBe(400)
    expect((await dav('/dav/', { method: 'PROPFIND', headers: { depth: '0' } })).status).toBe(207)
  })

  it('answers 401 for bad credentials and 403 (not 401) when the FTP server refuses', async () => {
    const bad = await fetch(`http://127.0.0.1:${gw.port}/dav/`, {
      method: 'PROPFIND',
      headers: { authorization: `Basic ${Buffer.from(`${ftp.user}:wrong`).toString('base64')}` },
    })
    expect(bad.status).toBe(401)
    expect(bad.headers.get('www-authenticate')).toMatch(/^Basic /)
    const ro = path.join(ftp.root, 'readonly')
    await mkdir(ro)
    await chown(ro, 0, 0)
    await chmod(ro, 0o755)
    const denied = await dav('/dav/readonly/new.txt', { method: 'PUT', body: 'no' })
    expect(denied.status).toBe(403)
  })
})
