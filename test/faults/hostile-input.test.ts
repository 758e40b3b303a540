/**
 * A corpus of hostile requests against every REST route and the WebDAV face, end to end through
 * an in-process gateway to a real vsftpd. Every payload carries a marker; each request gets its
 * documented 4xx (status and problem `code` on REST routes, RFC 4918 statuses on /dav), vsftpd's
 * own protocol log proves that no command carrying the marker was ever sent, a victim file outside
 * the tree keeps its bytes, and the gateway keeps serving afterwards.
 */
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { record } from './support/counters.js'
import { rejectionCounter, request } from './support/harness.js'

const MARK = 'ZQXMARK'
const rejections = rejectionCounter()
let server: FtpServerHandle
let gw: GatewayHandle
let auth: string
let tried = 0

beforeAll(async () => {
  server = await startVsftpd()
  gw = await startGateway(server, { CACHE_TTL_MS: '0' })
  auth = basicAuth(server.user, server.password)
  await mkdir(path.join(server.root, 'sub'))
  await writeFile(path.join(server.root, 'victim.txt'), 'victim bytes')
  await writeFile(path.join(server.root, 'sub', 'f.txt'), 'sub file')
  for (const f of ['sub', 'victim.txt', 'sub/f.txt'])
    await chown(path.join(server.root, f), server.uid, server.gid)
})

afterAll(async () => {
  record({ badInputs: tried })
  await gw?.close()
  await server?.stop()
})

/** Percent-encoded path payloads (each becomes the tail after a route prefix). */
const encodedPaths: string[] = [
  `sub/%0d%0aDELE%20victim.txt${MARK}`,
  `sub/a%0a${MARK}`,
  `sub/a%00${MARK}`,
  `sub/a%ff${MARK}`,
  `sub/%c3%28${MARK}`, // invalid UTF-8 sequence
  `sub/%e2%82${MARK}`, // truncated UTF-8
  `sub/${MARK}%`, // lone percent
  `sub/${MARK}%zz`,
  `../${MARK}`,
  `sub/../../${MARK}`,
  `%2e%2e/${MARK}`,
  `%2E%2e/${MARK}`,
  `..%2f${MARK}`,
  `%2e%2e%2f${MARK}`,
  `..%5c${MARK}`,
  `sub/..%5c..%5c${MARK}`,
  `%c0%ae%c0%ae/${MARK}`, // overlong UTF-8 '.' (invalid UTF-8 to a strict decoder)
  `%e0%80%ae%e0%80%ae/${MARK}`,
  `sub/./${MARK}`,
  `sub/${'n'.repeat(256)}${MARK}`, // a name over 255 bytes
  `${`${'d'.repeat(200)}/`.repeat(21)}${MARK}`, // a path over 4096 bytes
  `sub\\${MARK}`,
]

/** Raw request-target bytes no conforming client sends (written on a raw socket). */
const rawTargets: Buffer[] = [
  Buffer.from(`/api/v1/files/sub/a\r${MARK}`),
  Buffer.from(`/api/v1/files/sub/a\0${MARK}`),
  Buffer.concat([Buffer.from('/api/v1/files/sub/a'), Buffer.from([0xff, 0xfe]), Buffer.from(MARK)]),
  Buffer.concat([Buffer.from('/dav/sub/a'), Buffer.from([0xc0, 0xae]), Buffer.from(MARK)]),
  Buffer.from(`/dav/sub/a\0${MARK}`),
]

/** REST routes taking a path from the URL, with the body they need. */
const restRoutes: Array<{ method: string; prefix: string; body?: string }> = [
  { method: 'GET', prefix: '/api/v1/files/' },
  { method: 'HEAD', prefix: '/api/v1/files/' },
  { method: 'PUT', prefix: '/api/v1/files/', body: 'x' },
  { method: 'DELETE', prefix: '/api/v1/files/' },
  { method: 'GET', prefix: '/api/v1/dirs/' },
  { method: 'POST', prefix: '/api/v1/dirs/' },
  { method: 'DELETE', prefix: '/api/v1/dirs/' },
  { method: 'GET', prefix: '/api/v1/stat/' },
  { method: 'GET', prefix: '/browse/' },
]

const davRoutes: Array<{ method: string; headers?: Record<string, string>; body?: string }> = [
  { method: 'PROPFIND', headers: { depth: '1' } },
  { method: 'PUT', body: 'x' },
  { method: 'MOVE', headers: { destination: '/dav/sub/moved.txt' } },
  { method: 'LOCK', headers: { 'content-type': 'application/xml' }, body: lockBody() },
]

function lockBody(): string {
  return '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>'
}

async function send(method: string, url: string, headers: Record<string, string> = {}, body?: string) {
  tried++
  return request(`${gw.url}${url}`, {
    method,
    headers: {
      authorization: auth,
      ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
      ...headers,
    },
    body,
  })
}

/** Writes one raw request and returns the status code of the answer (0 when the socket just closed). */
function rawRequest(method: string, target: Buffer, extraHeaders = ''): Promise<number> {
  tried++
  return new Promise((resolve) => {
    const sock = net.connect(new URL(gw.url).port as unknown as number, '127.0.0.1')
    let text = ''
    sock.on('data', (d: Buffer) => {
      text += d.toString('latin1')
    })
    sock.on('error', () => {})
    sock.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)))
    sock.setTimeout(5000, () => sock.destroy())
    sock.write(
      Buffer.concat([
        Buffer.from(`${method} `),
        target,
        Buffer.from(
          ` HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nConnection: close\r\n${extraHeaders}\r\n`,
        ),
      ]),
    )
  })
}

describe('hostile input never reaches the FTP server', () => {
  it('percent-encoded bad paths on every REST route → 400 FILE_ERR_BAD_PATH', async () => {
    for (const route of restRoutes) {
      for (const p of encodedPaths) {
        const r = await send(route.method, route.prefix + p, {}, route.body)
        expect(r.status, `${route.method} ${route.prefix}${p.slice(0, 60)}`).toBe(400)
        if (route.method !== 'HEAD' && route.prefix !== '/browse/')
          expect(JSON.parse(r.body.toString()).code).toBe('FILE_ERR_BAD_PATH')
      }
    }
  })

  it('bad paths in move/copy bodies and WebDAV Destination headers → 400', async () => {
    const bodyPaths = [
      `sub/a\r\nDELE victim.txt${MARK}`,
      `../${MARK}`,
      `sub/../../${MARK}`,
      `a\0${MARK}`,
      `sub\\..\\${MARK}`,
      `${'x'.repeat(300)}${MARK}`,
    ]
    for (const route of ['/api/v1/move', '/api/v1/copy']) {
      for (const p of bodyPaths) {
        for (const body of [
          { from: 'sub/f.txt', to: p },
          { from: p, to: 'sub/g.txt' },
        ]) {
          const r = await send('POST', route, { 'content-type': 'application/json' }, JSON.stringify(body))
          expect(r.status, `${route} ${JSON.stringify(body).slice(0, 60)}`).toBe(400)
          expect(JSON.parse(r.body.toString()).code).toBe('FILE_ERR_BAD_PATH')
        }
      }
    }
    for (const dest of [
      `/dav/%2e%2e/${MARK}`,
      `/dav/sub/a%00${MARK}`,
      `/dav/..%2f${MARK}`,
      `/dav/sub/a%0d%0a${MARK}`,
      `/dav/%c0%ae%c0%ae/${MARK}`,
    ]) {
      // A Destination is a URI: `%2e%2e` resolves as `..` (RFC 3986 §6.2.2), which lands outside
      // /dav, i.e. "another server": 502 (RFC 4918 §9.9.4). Everything else is a bad path: 400.
      const r = await send('MOVE', '/dav/sub/f.txt', { destination: dest })
      expect([400, 502], `MOVE Destination ${dest} → ${r.status}`).toContain(r.status)
      const c = await send('COPY', '/dav/sub/f.txt', { destination: `http://127.0.0.1${dest}` })
      expect([400, 502], `COPY Destination ${dest} → ${c.status}`).toContain(c.status)
    }
  })

  it('bad paths on the WebDAV face → 400 for PROPFIND, PUT, MOVE, LOCK', async () => {
    for (const route of davRoutes) {
      for (const p of encodedPaths) {
        const r = await send(route.method, `/dav/${p}`, route.headers, route.body)
        expect(r.status, `${route.method} /dav/${p.slice(0, 60)}`).toBe(400)
      }
    }
  })

  it('raw CR, NUL and 0xFF bytes in the request line → 400 from the parser or the path rules', async () => {
    for (const target of rawTargets) {
      for (const method of ['GET', 'PROPFIND', 'DELETE']) {
        const status = await rawRequest(method, target)
        // Node's HTTP parser answers 400 itself for CR/NUL; 0xFF reaches the path rules (400).
        expect([400], `${method} ${JSON.stringify(target.toString('latin1'))}`).toContain(status)
      }
    }
  })

  it('huge or malformed Range and If headers → 400 (or 431 when over the header limit)', async () => {
    const bad = ['bytes=abc', 'bytes=5-2', 'bytes=', 'bytes', 'bytes=-', 'bytes=0-1-2', 'bytes=0x10-']
    for (const range of bad) {
      const r = await send('GET', '/api/v1/files/victim.txt', { range })
      expect(r.status, range.slice(0, 40)).toBe(400)
      expect(JSON.parse(r.body.toString()).code).toBe('GW_ERR_BAD_RANGE')
    }
    // Valid syntax, absurd position: past every file → 416 (RFC 9110 §15.5.17), not a 500.
    const far = await send('GET', '/api/v1/files/victim.txt', { range: `bytes=${'9'.repeat(5000)}-` })
    expect(far.status).toBe(416)
    const huge = await send('GET', '/api/v1/files/victim.txt', { range: `bytes=${'0-1,'.repeat(6000)}0-1` })
    expect([400, 431]).toContain(huge.status)
    for (const ifh of [
      '(',
      '(<urn:x>',
      '<http://x/dav/a>',
      '([W/"x"',
      '(Not)',
      `(<${MARK} x>)`,
      '()',
      `(${'['.repeat(3000)})`,
    ]) {
      for (const method of ['PUT', 'PROPFIND', 'DELETE', 'LOCK']) {
        const r = await send(method, '/dav/sub/f.txt', { if: ifh }, method === 'PUT' ? `${MARK}` : undefined)
        expect(r.status, `${method} If: ${ifh.slice(0, 30)}`).toBe(400)
      }
    }
    // Unknown-but-valid conditional values are not errors: they just do not match (RFC 9110).
    const im = await send('GET', '/api/v1/files/victim.txt', { 'if-match': `"${MARK}"` })
    expect(im.status).toBe(412)
  })

  it('malformed, oversized and entity-expanding XML bodies → 400 / 413, never a crash', async () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><D:propfind xmlns:D="DAV:"><D:prop><D:${MARK}>&lol3;</D:${MARK}></D:prop></D:propfind>`
    const external = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><D:propfind xmlns:D="DAV:"><D:prop><D:x>&xxe;</D:x></D:prop></D:propfind>`
    const bodies: Array<[string, number[]]> = [
      [laughs, [400]],
      [external, [400]],
      ['<D:propfind xmlns:D="DAV:"><D:prop>', [400]],
      ['not xml at all', [400]],
      [`<D:propfind xmlns:D="DAV:">${'<D:prop>'.repeat(5000)}`, [400]],
      [
        `<D:propfind xmlns:D="DAV:"><D:prop><D:x>${'a'.repeat(2 * 1024 * 1024)}</D:x></D:prop></D:propfind>`,
        [413],
      ],
    ]
    for (const method of ['PROPFIND', 'PROPPATCH', 'LOCK']) {
      for (const [body, statuses] of bodies) {
        const r = await send(
          method,
          '/dav/sub/f.txt',
          { 'content-type': 'application/xml', depth: '0' },
          body,
        )
        expect(statuses, `${method} ${body.slice(0, 50)} → ${r.status}`).toContain(r.status)
      }
    }
  })

  it('bad Basic headers, forged and expired tokens → 400 / 401 without a login carrying them', async () => {
    const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64')
    const headers: Array<[string, number]> = [
      [`Basic ${b64(`${MARK}\r\nDELE victim.txt:x`)}`, 400],
      [`Basic ${b64(`${MARK}:p\0w`)}`, 400],
      [`Basic ${b64(`${MARK}`)}`, 400], // no colon
      [`Basic ${b64('\xff\xfe:x')}`, 400], // invalid UTF-8
      ['Basic !!!notbase64', 400],
      [`Basic ${'A'.repeat(5000)}`, 400],
      [`Digest ${MARK}`, 400],
      ['Basic', 400],
      [`Bearer ${MARK}.forged.token`, 401],
      [`Bearer ${MARK} spaces`, 400],
    ]
    for (const [h, status] of headers) {
      for (const url of ['/api/v1/files/victim.txt', '/api/v1/dirs/', '/dav/']) {
        const r = await send(url === '/dav/' ? 'PROPFIND' : 'GET', url, { authorization: h, depth: '0' })
        expect(r.status, `${h.slice(0, 40)} ${url}`).toBe(status)
      }
    }
    // An expired token: made with a real login, then aged past its TTL in the store.
    const made = await send(
      'POST',
      '/api/v1/sessions',
      { 'content-type': 'application/json' },
      JSON.stringify({ username: server.user, password: server.password }),
    )
    expect(made.status).toBe(201)
    const { token } = JSON.parse(made.body.toString()) as { token: string }
    const ok = await send('GET', '/api/v1/sessions/current', { authorization: `Bearer ${token}` })
    expect(ok.status).toBe(200)
    // Flip one character: a forged token (same shape, wrong MAC / id) is refused.
    const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA')
    expect((await send('GET', '/api/v1/dirs/', { authorization: `Bearer ${forged}` })).status).toBe(401)
    // Expire it: delete every session key of this gateway's prefix (what the TTL would do).
    const { Redis } = await import('ioredis')
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    try {
      const keys = await redis.keys(`${gw.keyPrefix}*sess*`)
      expect(keys.length).toBeGreaterThan(0)
      for (const k of keys) await redis.pexpire(k, 1)
    } finally {
      redis.disconnect()
    }
    await new Promise((r) => setTimeout(r, 50))
    const expired = await send('GET', '/api/v1/dirs/', { authorization: `Bearer ${token}` })
    expect(expired.status).toBe(401)
  })

  it('vsftpd never saw the marker, the victim is intact, and the gateway still serves', async () => {
    const log = (await server.commandLog()).join('\n')
    expect(log).toMatch(/USER|PASS|LIST|MLSD|SIZE|STAT/) // the log is real and captured commands
    expect(log.includes(MARK)).toBe(false)
    expect(log.includes('ZQX')).toBe(false)
    expect(await readFile(path.join(server.root, 'victim.txt'), 'utf8')).toBe('victim bytes')
    expect(await readFile(path.join(server.root, 'sub', 'f.txt'), 'utf8')).toBe('sub file')
    const ok = await send('GET', '/api/v1/files/sub/f.txt')
    expect(ok.status).toBe(200)
    expect(ok.body.toString()).toBe('sub file')
    expect(rejections()).toEqual([])
    record({ cases: 8, filesCompared: 2 })
    console.info(`hostile-input: ${tried} bad requests`)
  })
})
