/**
 * Issue 17, "every name the server lists is usable, byte-exact": names in latin1, windows-1252 and
 * shift_jis are written straight to the disk of each real server (vsftpd sends names as the bytes it
 * finds; Pure-FTPd and ProFTPD do the same: docs/ftp-servers.md) and then used through the gateway, REST and WebDAV: listed, downloaded, renamed, moved,
 * deleted; new names are written in the upstream's encoding. Two set-ups:
 *
 * - a utf8 upstream (the default): those names are not UTF-8, so they come out with the reversible
 *   escape (docs/names.md): every byte that does not decode is U+EF00 + the byte;
 * - `FTP_ENCODING` latin1 / windows-1252 / shift_jis: the same names read as text.
 *
 * Before this change every such file was listed as `caf\uFFFD.txt` and every request for it was a 404.
 */
import { chown, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import iconv from 'iconv-lite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { onFtpCommand } from '../../../src/ftp/index.js'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { type FtpServerHandle, type FtpServerKind, ftpServers } from '../../helpers/servers/index.js'

/** The test names, as the bytes each encoding gives them on disk. */
const NAMES = {
  latin1: { text: 'café.txt', bytes: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]) },
  'windows-1252': {
    text: '“quote”€.txt',
    bytes: Buffer.from([0x93, 0x71, 0x75, 0x6f, 0x74, 0x65, 0x94, 0x80, 0x2e, 0x74, 0x78, 0x74]),
  },
  shift_jis: { text: '日本.txt', bytes: Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x2e, 0x74, 0x78, 0x74]) },
} as const
type Encoding = keyof typeof NAMES

/** How the gateway shows a byte string on a utf8 upstream: valid UTF-8 as is, every other byte escaped. */
function escaped(bytes: Buffer): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    out += b < 0x80 ? String.fromCharCode(b) : String.fromCharCode(0xef00 + b)
  }
  return out
}

/** A name's bytes as a path (Buffer) under `dir`, for fs calls that must not re-encode it. */
function diskPath(dir: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), name])
}

/** The names in a local directory as raw bytes, hex, so a failed comparison shows what is there. */
async function diskNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { encoding: 'buffer' })
  return entries.map((e) => e.toString('hex')).sort()
}

const hex = (b: Buffer) => b.toString('hex')
const enc = (p: string) => p.split('/').map(encodeURIComponent).join('/')

interface Ctx {
  server: FtpServerHandle
  gw: GatewayHandle
  auth: string
}

// Every FTP command the in-process gateway's engine completes, whatever the server logs.
let ftpCommands = 0
/** `OPTS` commands (the gateway sends only `OPTS UTF8 ON` here). */
let optsCommands = 0
const unsubscribe = onFtpCommand((event) => {
  ftpCommands++
  if (event.command === 'OPTS') optsCommands++
})
afterAll(() => unsubscribe())

async function setUp(kind: FtpServerKind, env: Record<string, string>): Promise<Ctx> {
  const server = await kind.start()
  for (const [i, { bytes }] of Object.values(NAMES).entries()) {
    const file = diskPath(server.root, bytes)
    await writeFile(file, `content ${i}`)
    await chown(file, server.uid, server.gid)
  }
  const sub = path.join(server.root, 'sub')
  await mkdir(sub)
  await chown(sub, server.uid, server.gid)
  const gw = await startGateway(server, env)
  return { server, gw, auth: basicAuth(server.user, server.password) }
}

function client(ctx: () => Ctx) {
  const req = (method: string, url: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
    fetch(ctx().gw.url + url, {
      method,
      headers: { authorization: ctx().auth, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    })
  const commands = async () => ftpCommands
  const listNames = async (dir = '') => {
    const r = await req('GET', `/api/v1/dirs/${enc(dir)}`)
    expect(r.status).toBe(200)
    const body = (await r.json()) as { entries: Array<{ name: string }> }
    return body.entries.map((e) => e.name).sort()
  }
  const davNames = async (dir = '') => {
    const r = await req('PROPFIND', `/dav/${enc(dir)}`, { headers: { depth: '1' } })
    expect(r.status).toBe(207)
    const body = await r.text()
    return [...body.matchAll(/<D:href>([^<]*)<\/D:href>/g)]
      .map((m) => decodeURIComponent(m[1] as string).replace(/^\/dav\//, ''))
      .filter((h) => h !== '' && h !== `${dir}/`)
      .map((h) => h.slice(dir === '' ? 0 : dir.length + 1).replace(/\/$/, ''))
      .sort()
  }
  const move = (from: string, to: string) =>
    req('POST', '/api/v1/move', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from, to }),
    })
  return { req, commands, listNames, davNames, move }
}

describe.each(ftpServers)('non-UTF-8 names on a utf8 upstream ($name): escaped, usable', (kind) => {
  let ctx: Ctx
  const c = client(() => ctx)
  beforeAll(async () => {
    ctx = await setUp(kind, { CACHE_TTL_MS: '0' })
  })
  afterAll(async () => {
    await ctx?.gw.close()
    await ctx?.server.stop()
  })

  const shown = Object.fromEntries(Object.entries(NAMES).map(([k, v]) => [k, escaped(v.bytes)])) as Record<
    Encoding,
    string
  >

  it('lists every name, escaped, never as U+FFFD (REST and WebDAV)', async () => {
    const opts = optsCommands
    const rest = await c.listNames()
    // The first request logged in; all three servers list UTF8 in FEAT, so it asked for UTF-8.
    expect(optsCommands).toBeGreaterThan(opts)
    expect(rest.join('|')).not.toContain('\uFFFD')
    expect(rest).toEqual([...Object.values(shown), 'sub'].sort())
    expect(await c.davNames()).toEqual(rest)
    // How such a name looks in a URL: the escape's UTF-8, percent-encoded.
    expect(encodeURIComponent(shown.latin1)).toBe('caf%EE%BF%A9.txt')
  })

  it('downloads each file with its bytes (REST and WebDAV)', async () => {
    for (const [i, name] of Object.values(shown).entries()) {
      const rest = await c.req('GET', `/api/v1/files/${enc(name)}`)
      expect(rest.status, name).toBe(200)
      expect(await rest.text()).toBe(`content ${i}`)
      const dav = await c.req('GET', `/dav/${enc(name)}`)
      expect(dav.status, name).toBe(200)
      expect(await dav.text()).toBe(`content ${i}`)
    }
  })

  it('renames and moves them (REST move, WebDAV MOVE), byte-exact on disk', async () => {
    const root = ctx.server.root
    // REST: the latin1 name into sub/ under a new escaped name.
    const target = `sub/${escaped(Buffer.from([0x6e, 0xe9, 0x2e, 0x74]))}` // "n\xE9.t"
    expect((await c.move(shown.latin1, target)).status).toBe(201)
    expect(await diskNames(path.join(root, 'sub'))).toContain('6ee92e74')
    expect(await diskNames(root)).not.toContain(hex(NAMES.latin1.bytes))
    // WebDAV: the windows-1252 name renamed in place to a name with a real € (UTF-8).
    const r = await c.req('MOVE', `/dav/${enc(shown['windows-1252'])}`, {
      headers: { destination: `${ctx.gw.url}/dav/${enc(`${shown['windows-1252']}€`)}` },
    })
    expect(r.status).toBe(201)
    const moved = Buffer.concat([NAMES['windows-1252'].bytes, Buffer.from('€')])
    expect(await diskNames(root)).toContain(hex(moved))
    expect(await readFile(diskPath(root, moved), 'utf8')).toBe('content 1')
  })

  it('copies one (REST copy) and shows it on the browse page with a working link', async () => {
    const copy = escaped(Buffer.from([0x63, 0x6f, 0x70, 0x79, 0xe9])) // "copy\xE9"
    const r = await c.req('POST', '/api/v1/copy', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: shown.shift_jis, to: copy }),
    })
    expect(r.status).toBe(201)
    expect(await readFile(diskPath(ctx.server.root, Buffer.from('636f7079e9', 'hex')), 'utf8')).toBe(
      'content 2',
    )
    const page = await (await c.req('GET', '/browse/')).text()
    expect(page).toContain(encodeURIComponent(copy))
    const linked = await c.req('GET', `/api/v1/files/${encodeURIComponent(copy)}`)
    expect(await linked.text()).toBe('content 2')
    expect((await c.req('DELETE', `/api/v1/files/${enc(copy)}`)).status).toBe(204)
  })

  it('locks one (WebDAV LOCK, PUT with the token, UNLOCK)', async () => {
    const url = `/dav/${enc(shown.shift_jis)}`
    const lock = await c.req('LOCK', url, {
      headers: { 'content-type': 'application/xml', timeout: 'Second-60' },
      body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
    })
    expect(lock.status).toBe(200)
    const token = lock.headers.get('lock-token') ?? ''
    expect(token).toMatch(/^<.+>$/)
    expect((await c.req('PUT', url, { body: 'no token' })).status).toBe(423)
    expect((await c.req('PUT', url, { body: 'content 2', headers: { if: `(${token})` } })).status).toBe(204)
    expect((await c.req('UNLOCK', url, { headers: { 'lock-token': token } })).status).toBe(204)
    expect(await readFile(diskPath(ctx.server.root, NAMES.shift_jis.bytes), 'utf8')).toBe('content 2')
  })

  it('serves names holding 0xFF before Telnet command bytes (ProFTPD reads Telnet in commands)', async () => {
    // latin1 "yÿÿz", "yÿôz", "yÿþz": FF FF, FF F4 (Telnet IP), FF FE (Telnet DONT) on disk.
    const names = [
      [0x79, 0xff, 0xff, 0x7a],
      [0x79, 0xff, 0xf4, 0x7a],
      [0x79, 0xff, 0xfe, 0x7a],
    ].map((b) => Buffer.from(b))
    for (const b of names) {
      await writeFile(diskPath(ctx.server.root, b), b.toString('hex'))
      await chown(diskPath(ctx.server.root, b), ctx.server.uid, ctx.server.gid)
    }
    const listed = await c.listNames()
    for (const b of names) {
      const name = escaped(b)
      expect(listed).toContain(name)
      const got = await c.req('GET', `/api/v1/files/${enc(name)}`)
      expect(got.status, b.toString('hex')).toBe(200)
      expect(await got.text()).toBe(b.toString('hex'))
      expect((await c.move(name, `sub/${name}`)).status).toBe(201)
      expect(await diskNames(path.join(ctx.server.root, 'sub'))).toContain(b.toString('hex'))
      expect((await c.req('DELETE', `/api/v1/files/${enc(`sub/${name}`)}`)).status).toBe(204)
    }
    const put = await c.req('PUT', `/api/v1/files/${enc(escaped(names[1] as Buffer))}`, { body: 'again' })
    expect(put.status).toBe(201)
    expect(await readFile(diskPath(ctx.server.root, names[1] as Buffer), 'utf8')).toBe('again')
  })

  it('uploads to a new escaped name: the bytes it stands for land on disk', async () => {
    const name = escaped(Buffer.from([0x75, 0x70, 0xfc, 0xff, 0x80])) // "up\xFC\xFF\x80"
    const put = await c.req('PUT', `/api/v1/files/${enc(name)}`, { body: 'uploaded' })
    expect(put.status).toBe(201)
    expect(await diskNames(ctx.server.root)).toContain('7570fcff80')
    expect(await c.listNames()).toContain(name)
    const dav = await c.req('PUT', `/dav/sub/${enc(name)}`, { body: 'via dav' })
    expect(dav.status).toBe(201)
    expect(
      await readFile(diskPath(path.join(ctx.server.root, 'sub'), Buffer.from('7570fcff80', 'hex')), 'utf8'),
    ).toBe('via dav')
  })

  it('deletes them (REST and WebDAV)', async () => {
    expect((await c.req('DELETE', `/api/v1/files/${enc(shown.shift_jis)}`)).status).toBe(204)
    const moved = escaped(Buffer.concat([NAMES['windows-1252'].bytes, Buffer.from('€')]))
    // escaped() keeps ASCII only; the real € of the moved name is valid UTF-8 and shows as itself.
    const shownMoved = `${shown['windows-1252']}€`
    expect(moved).not.toBe(shownMoved)
    // webdav-server answers a DELETE with 200.
    expect((await c.req('DELETE', `/dav/${enc(shownMoved)}`)).status).toBe(200)
    const left = await diskNames(ctx.server.root)
    expect(left).not.toContain(hex(NAMES.shift_jis.bytes))
    expect(left.some((n) => n.startsWith(hex(NAMES['windows-1252'].bytes)))).toBe(false)
  })

  it('refuses an escape that does not stand for its own bytes (400, no FTP command)', async () => {
    // U+EFC3 U+EFA9 would be the bytes C3 A9, which are "é": only "é" names that file.
    // Logged in first: authentication may log in, the path check never sends anything.
    expect((await c.req('GET', '/api/v1/dirs/')).status).toBe(200)
    const before = await c.commands()
    const r = await c.req('GET', `/api/v1/files/${enc('\uEFC3\uEFA9.txt')}`)
    expect(r.status).toBe(400)
    expect(((await r.json()) as { code: string }).code).toBe('FILE_ERR_BAD_PATH')
    expect(await c.commands()).toBe(before)
    // The counter is live: the process still serves, and a listing costs commands.
    expect((await c.req('GET', '/api/v1/dirs/')).status).toBe(200)
    expect(await c.commands()).toBeGreaterThan(before)
  })
})

const perEncoding = ftpServers.flatMap((kind) =>
  (Object.keys(NAMES) as Encoding[]).map((encoding) => ({ kind, encoding, server: kind.name })),
)

describe.each(perEncoding)('FTP_ENCODING=$encoding on $server: names read as text', ({ kind, encoding }) => {
  let ctx: Ctx
  const c = client(() => ctx)
  const own = NAMES[encoding]
  // A second name in the same encoding for renames and uploads.
  const fresh = { latin1: 'été ÿ.txt', 'windows-1252': '€uro‰.txt', shift_jis: '東京ファイル.txt' }[encoding]
  beforeAll(async () => {
    ctx = await setUp(kind, { CACHE_TTL_MS: '0', FTP_ENCODING: encoding })
  })
  afterAll(async () => {
    await ctx?.gw.close()
    await ctx?.server.stop()
  })

  it('lists its own name as text (REST and WebDAV), never sending OPTS UTF8 ON', async () => {
    const opts = optsCommands
    const names = await c.listNames()
    // The first request logged in (USER, PASS, FEAT, TYPE, PWD) without OPTS UTF8 ON.
    expect(await c.commands()).toBeGreaterThan(0)
    expect(optsCommands).toBe(opts)
    expect(names).toContain(own.text)
    expect(names.join('|')).not.toContain('\uFFFD')
    expect(await c.davNames()).toContain(own.text)
  })

  it('downloads, renames, moves and deletes it, byte-exact on disk', async () => {
    const i = Object.keys(NAMES).indexOf(encoding)
    const got = await c.req('GET', `/api/v1/files/${enc(own.text)}`)
    expect(got.status).toBe(200)
    expect(await got.text()).toBe(`content ${i}`)
    const dav = await c.req('GET', `/dav/${enc(own.text)}`)
    expect(await dav.text()).toBe(`content ${i}`)

    expect((await c.move(own.text, fresh)).status).toBe(201)
    const renamed = iconv.encode(fresh, encoding)
    expect(await diskNames(ctx.server.root)).toContain(hex(renamed))
    const r = await c.req('MOVE', `/dav/${enc(fresh)}`, {
      headers: { destination: `${ctx.gw.url}/dav/sub/${enc(fresh)}` },
    })
    expect(r.status).toBe(201)
    expect(await diskNames(path.join(ctx.server.root, 'sub'))).toContain(hex(renamed))
    expect(await c.listNames('sub')).toEqual([fresh])
    expect((await c.req('DELETE', `/dav/sub/${enc(fresh)}`)).status).toBe(200)
    expect(await diskNames(path.join(ctx.server.root, 'sub'))).toEqual([])
  })

  it('writes the name of a new file (and folder) in the encoding', async () => {
    const put = await c.req('PUT', `/api/v1/files/${enc(fresh)}`, { body: 'new' })
    expect(put.status).toBe(201)
    expect(await readFile(diskPath(ctx.server.root, iconv.encode(fresh, encoding)), 'utf8')).toBe('new')
    const dir = fresh.replace('.txt', '')
    expect((await c.req('MKCOL', `/dav/${enc(dir)}`)).status).toBe(201)
    expect(await diskNames(ctx.server.root)).toContain(hex(iconv.encode(dir, encoding)))
    expect((await c.req('DELETE', `/api/v1/files/${enc(fresh)}`)).status).toBe(204)
  })

  it('refuses a name the encoding cannot hold with 400 before any FTP command', async () => {
    const impossible = encoding === 'shift_jis' ? 'ümlaut€.txt' : '日本.txt'
    // Logged in first: authentication may log in, the path check never sends anything.
    expect((await c.req('GET', '/api/v1/dirs/')).status).toBe(200)
    const before = await c.commands()
    const r = await c.req('PUT', `/api/v1/files/${enc(impossible)}`, { body: 'x' })
    expect(r.status).toBe(400)
    expect(((await r.json()) as { code: string }).code).toBe('FILE_ERR_BAD_PATH')
    // WebDAV answers any name the file service refuses with 403 (src/http/webdav/context.ts).
    const dav = await c.req('PUT', `/dav/${enc(impossible)}`, { body: 'x' })
    expect(dav.status).toBe(403)
    expect(await c.commands()).toBe(before)
    expect((await c.req('GET', '/api/v1/dirs/')).status).toBe(200)
    expect(await c.commands()).toBeGreaterThan(before)
  })
})
