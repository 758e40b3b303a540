/**
 * Hostile content and hostile requests of issue 15 (items 2, 12, 13) against an in-process gateway
 * over a real vsftpd with sessions in the shared Redis:
 *
 * - user files are served sandboxed (CSP `sandbox`, nosniff) through REST and WebDAV, GET and HEAD,
 *   and active types (HTML, SVG, XML, JavaScript, unknown) as attachments;
 * - unsafe requests a browser marks as cross-site are refused before any FTP command, and form-typed
 *   POSTs to the JSON API too, while clients without those headers keep working;
 * - upload headers FTP cannot honour (a modification time past the year 9999, a malformed digest or
 *   precondition) are refused with 400 before any write: the old file keeps its bytes;
 * - a sign-in whose return URL is not ASCII lands under /browse/ with exactly one session in the
 *   store, never a 500 with an orphaned session.
 */
import { chown, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, SHARED_REDIS_URL, startGateway } from '../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { record } from './support/counters.js'
import { request } from './support/harness.js'

const OLD = 'old bytes, must survive'
// FTP commands that change something (or log in) on the server.
const WRITES = /"(STOR|APPE|DELE|RNFR|RNTO|MKD|RMD|MFMT|SITE)\b/i

let server: FtpServerHandle
let gw: GatewayHandle
let auth: string
let tried = 0

async function seed(rel: string, content: string): Promise<void> {
  const file = path.join(server.root, rel)
  await writeFile(file, content)
  await chown(file, server.uid, server.gid)
}

async function send(method: string, url: string, headers: Record<string, string> = {}, body?: string) {
  tried++
  const all: Record<string, string | number> = {
    authorization: auth,
    ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
    ...headers,
  }
  // An empty authorization in `headers` means "send none" (a browser's form post).
  if (all.authorization === '') delete all.authorization
  return request(`${gw.url}${url}`, { method, headers: all, body })
}

/** Runs `act` and returns the vsftpd log lines it caused that write (or would write) anything. */
async function writesDuring(act: () => Promise<void>): Promise<string[]> {
  const before = (await server.commandLog()).length
  await act()
  return (await server.commandLog()).slice(before).filter((l) => WRITES.test(l))
}

beforeAll(async () => {
  server = await startVsftpd()
  gw = await startGateway(server, { CACHE_TTL_MS: '0' })
  auth = basicAuth(server.user, server.password)
  await mkdir(path.join(server.root, 'shared'))
  await chown(path.join(server.root, 'shared'), server.uid, server.gid)
  await seed('shared/report.html', '<script>alert(1)</script>')
  await seed('shared/pic.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
  await seed('shared/data.xml', '<x/>')
  await seed('shared/app.js', 'alert(1)')
  await seed('shared/blob.bin', 'bytes')
  await seed('shared/noext', '<html>')
  await seed('shared/photo.png', 'png')
  await seed('shared/notes.txt', 'text')
  await seed('shared/film.mp4', 'mp4')
  await seed('shared/doc.pdf', '%PDF')
  await seed('victim.txt', OLD)
})

afterAll(async () => {
  record({ badInputs: tried })
  await gw?.close()
  await server?.stop()
})

describe('user files are served so they cannot script the origin', () => {
  const active = ['report.html', 'pic.svg', 'data.xml', 'app.js', 'blob.bin', 'noext']
  const passive = ['photo.png', 'notes.txt', 'film.mp4', 'doc.pdf']

  it('REST and WebDAV, GET and HEAD: sandbox CSP, nosniff, attachment for active types only', async () => {
    for (const name of [...active, ...passive]) {
      for (const url of [`/api/v1/files/shared/${name}`, `/dav/shared/${name}`]) {
        for (const method of ['GET', 'HEAD']) {
          const r = await send(method, url)
          const what = `${method} ${url}`
          expect(r.status, what).toBe(200)
          const csp = String(r.headers['content-security-policy'])
          expect(csp, what).toMatch(/^sandbox;/)
          expect(csp, what).toContain("default-src 'none'")
          expect(csp, what).not.toMatch(/allow-scripts|allow-same-origin|script-src/)
          expect(r.headers['x-content-type-options'], what).toBe('nosniff')
          const disposition = r.headers['content-disposition']
          if (active.includes(name)) expect(disposition, what).toMatch(/^attachment; filename="/)
          else expect(disposition, what).toBeUndefined()
        }
      }
    }
    // The types themselves are unchanged (WebDAV clients rely on them): only the disposition differs.
    const svg = await send('GET', '/api/v1/files/shared/pic.svg')
    expect(svg.headers['content-type']).toBe('image/svg+xml')
    // ?download=1 is an attachment whatever the type; a 206 carries the same headers.
    const dl = await send('GET', '/api/v1/files/shared/photo.png?download=1')
    expect(dl.headers['content-disposition']).toMatch(/^attachment; filename="photo.png"/)
    const part = await send('GET', '/dav/shared/report.html', { range: 'bytes=0-3' })
    expect(part.status).toBe(206)
    expect(part.headers['content-disposition']).toMatch(/^attachment/)
    expect(String(part.headers['content-security-policy'])).toMatch(/^sandbox;/)
  })

  it('the WebDAV folder index (user names in HTML) is sandboxed too', async () => {
    await seed('shared/<img src=x onerror=alert(1)>.txt', 'x')
    const r = await send('GET', '/dav/shared/')
    expect(r.status).toBe(200)
    expect(r.body.toString()).not.toContain('<img')
    expect(String(r.headers['content-security-policy'])).toMatch(/^sandbox;/)
    expect(r.headers['x-content-type-options']).toBe('nosniff')
  })
})

describe('cross-site writes with cached Basic credentials', () => {
  it('refuses unsafe requests a browser marks as another site, before any FTP command', async () => {
    const evil: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: gw.url.replace('http:', 'https:') }, // another scheme is another origin
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: gw.url },
    ]
    const writes = await writesDuring(async () => {
      for (const headers of evil) {
        const what = JSON.stringify(headers)
        const dir = await send('POST', '/api/v1/dirs/cross-made', headers)
        expect(dir.status, what).toBe(403)
        expect(JSON.parse(dir.body.toString()).code, what).toBe('GW_ERR_CROSS_SITE')
        const put = await send('PUT', '/api/v1/files/victim.txt', headers, 'evil')
        expect(put.status, what).toBe(403)
        const del = await send('DELETE', '/api/v1/files/victim.txt', headers)
        expect(del.status, what).toBe(403)
        for (const [method, extra] of [
          ['PUT', {}],
          ['DELETE', {}],
          ['MKCOL', {}],
          ['MOVE', { destination: '/dav/moved.txt' }],
          ['COPY', { destination: '/dav/copied.txt' }],
          ['PROPPATCH', {}],
          ['LOCK', {}],
        ] as const) {
          const target = method === 'MKCOL' ? '/dav/cross-made' : '/dav/victim.txt'
          const r = await send(
            method,
            target,
            { ...headers, ...extra },
            method === 'PUT' ? 'evil' : undefined,
          )
          expect(r.status, `${method} ${what}`).toBe(403)
        }
        // The sign-in form is a write too.
        const login = await send(
          'POST',
          '/_browse/login',
          { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          `username=${server.user}&password=${server.password}`,
        )
        expect(login.status, what).toBe(403)
        expect(login.headers['set-cookie'], what).toBeUndefined()
      }
    })
    expect(writes).toEqual([])
    expect(await readdir(server.root)).not.toContain('cross-made')
    expect(await readFile(path.join(server.root, 'victim.txt'), 'utf8')).toBe(OLD)
  })

  it('refuses form-typed POSTs to the JSON API (no preflight protects them) → 415', async () => {
    const writes = await writesDuring(async () => {
      for (const type of [
        'text/plain',
        'text/plain;charset=UTF-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        for (const url of ['/api/v1/dirs/form-made', '/api/v1/move', '/api/v1/copy']) {
          const body = JSON.stringify({ from: 'victim.txt', to: 'form-moved.txt' })
          const r = await send('POST', url, { 'content-type': type }, body)
          expect(r.status, `${type} ${url}`).toBe(415)
          expect(JSON.parse(r.body.toString()).code).toBe('GW_ERR_MEDIA_TYPE')
        }
      }
    })
    expect(writes).toEqual([])
    expect(await readdir(server.root)).not.toContain('form-made')
    expect(await readFile(path.join(server.root, 'victim.txt'), 'utf8')).toBe(OLD)
  })

  it('same-origin browsers and clients without Origin / Sec-Fetch-* keep working', async () => {
    // curl, rclone, cadaver: no Origin, no Sec-Fetch-*.
    expect((await send('POST', '/api/v1/dirs/plain-client')).status).toBe(201)
    // (The log check above is real: the same kind of request, allowed, shows up as MKD.)
    const made = await writesDuring(async () => {
      expect((await send('MKCOL', '/dav/plain-dav')).status).toBe(201)
    })
    expect(made.join('\n')).toMatch(/"MKD /)
    // A page of the gateway itself.
    const own = { origin: gw.url, 'sec-fetch-site': 'same-origin' }
    expect((await send('POST', '/api/v1/dirs/same-origin', own)).status).toBe(201)
    expect((await send('PUT', '/dav/same-origin.txt', own, 'x')).status).toBe(201)
    // Reading is never refused, whoever asks (the response is not theirs to read anyway).
    const read = await send('GET', '/api/v1/files/victim.txt', { origin: 'http://evil.example' })
    expect(read.status).toBe(200)
    const find = await send('PROPFIND', '/dav/', { origin: 'http://evil.example', depth: '0' })
    expect(find.status).toBe(207)
    expect(await readdir(server.root)).toEqual(
      expect.arrayContaining(['plain-client', 'plain-dav', 'same-origin', 'same-origin.txt']),
    )
  })
})

describe('upload headers are validated before anything is written', () => {
  it('an mtime FTP cannot carry, or a malformed digest or precondition → 400, the old file untouched', async () => {
    const cases: Array<{ url: string; headers: Record<string, string>; code: string | undefined }> = [
      {
        url: '/api/v1/files/victim.txt',
        headers: { 'x-oc-mtime': '999999999999' },
        code: 'GW_ERR_BAD_HEADER',
      },
      { url: '/api/v1/files/victim.txt?mtime=999999999999', headers: {}, code: 'GW_ERR_VALIDATION' },
      { url: '/api/v1/files/victim.txt?mtime=253402300800', headers: {}, code: 'GW_ERR_VALIDATION' },
      { url: '/api/v1/files/victim.txt', headers: { 'content-md5': 'nope' }, code: 'GW_ERR_BAD_HEADER' },
      {
        url: '/api/v1/files/victim.txt',
        headers: { 'repr-digest': 'sha-256=:x:' },
        code: 'GW_ERR_BAD_HEADER',
      },
      { url: '/api/v1/files/victim.txt', headers: { 'if-match': '"a", "b"' }, code: 'GW_ERR_BAD_HEADER' },
      { url: '/dav/victim.txt', headers: { 'x-oc-mtime': '999999999999' }, code: undefined },
      { url: '/dav/victim.txt', headers: { 'x-oc-mtime': 'yesterday' }, code: undefined },
      { url: '/dav/victim.txt', headers: { 'content-md5': 'nope' }, code: undefined },
      { url: '/dav/victim.txt', headers: { 'if-none-match': '"x"' }, code: undefined },
    ]
    const writes = await writesDuring(async () => {
      for (const c of cases) {
        const r = await send('PUT', c.url, c.headers, 'NEW BYTES')
        const what = `${c.url} ${JSON.stringify(c.headers)}`
        expect(r.status, what).toBe(400)
        if (c.code !== undefined) expect(JSON.parse(r.body.toString()).code, what).toBe(c.code)
      }
    })
    expect(writes).toEqual([])
    expect(await readFile(path.join(server.root, 'victim.txt'), 'utf8')).toBe(OLD)
    // The last representable second is no bad input: vsftpd takes it (MDTM write form), but ext4
    // stores nothing past 2446, so the server shows another time and the header says nothing.
    await seed('late.txt', OLD)
    const ok = await send('PUT', '/dav/late.txt', { 'x-oc-mtime': '253402300799' }, 'late')
    expect(ok.status).toBe(204)
    expect(ok.headers['x-oc-mtime']).toBeUndefined()
    // A time the disk can hold is kept and said so.
    const kept = await send('PUT', '/dav/late.txt', { 'x-oc-mtime': '1614834367' }, 'late')
    expect(kept.status).toBe(204)
    expect(kept.headers['x-oc-mtime']).toBe('accepted')
  })

  it('PROPPATCH Win32LastModifiedTime past the year 9999 stays a dead property, not a 500', async () => {
    const body =
      '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:">' +
      '<D:set><D:prop><Z:Win32LastModifiedTime>+010000-01-01T00:00:00.000Z</Z:Win32LastModifiedTime>' +
      '</D:prop></D:set></D:propertyupdate>'
    const r = await send('PROPPATCH', '/dav/victim.txt', { 'content-type': 'application/xml' }, body)
    expect(r.status).toBe(207)
    expect(r.body.toString()).toContain('HTTP/1.1 200 OK')
    expect(await readFile(path.join(server.root, 'victim.txt'), 'utf8')).toBe(OLD)
  })
})

describe('sign-in return URLs', () => {
  async function sessionKeys(): Promise<number> {
    const redis = new Redis(SHARED_REDIS_URL)
    try {
      return (await redis.keys(`${gw.keyPrefix}*session:*`)).length
    } finally {
      redis.disconnect()
    }
  }

  async function signIn(next: string) {
    return send(
      'POST',
      '/_browse/login',
      { authorization: '', 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ username: server.user, password: server.password, next }).toString(),
    )
  }

  it('a non-ASCII next is percent-encoded: 303, one session for one cookie, never a 500', async () => {
    const before = await sessionKeys()
    const r = await signIn('/browse/Ā/')
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/browse/%C4%80/')
    expect(String(r.headers['set-cookie'])).toMatch(/^ftpgw_session=/)
    expect(await sessionKeys()).toBe(before + 1)
  })

  it('the red-team URL never leaves /browse/', async () => {
    const page = await send('GET', '/_browse/login?next=/browse/../api/v1/files/shared/report.html', {
      authorization: '',
    })
    expect(page.status).toBe(200)
    expect(page.body.toString()).not.toContain('report.html')
    for (const next of ['/browse/../api/v1/files/shared/report.html', '/browse/%2e%2e/api/v1/files/x']) {
      const r = await signIn(next)
      expect(r.status, next).toBe(303)
      expect(r.headers.location, next).toBe('/browse/')
    }
  })
})
