/**
 * MOVE and COPY that would destroy what they move (issue 15 item 4). Against real vsftpd, every
 * face × operation × kind × relation: a destination that is the source itself, inside it or above
 * it answers 403 FILE_ERR_OVERLAP, vsftpd's own log shows no command that changes anything, and the
 * tree on disk is byte-for-byte what it was. Then, on the embedded server with fault injection, an
 * overwrite of an unrelated existing target whose replacement fails midway (the rename into place,
 * or an upload of the copy) leaves the old target intact and no hidden leftovers; and on vsftpd the
 * same overwrites succeed and leave nothing behind.
 */
import { chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { record } from './support/counters.js'
import { expectBaseline, quietProbe, rejectionCounter, request, startEmbedded } from './support/harness.js'

type Face = 'rest' | 'dav'
type Op = 'move' | 'copy'
type Kind = 'file' | 'folder'

const rejections = rejectionCounter()
const faces: Face[] = ['rest', 'dav']
const ops: Op[] = ['move', 'copy']
const kinds: Kind[] = ['file', 'folder']

/** Every file and folder under `dir` (relative path → content, or '<dir>'), sorted. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) {
        out[`${r}/`] = '<dir>'
        await walk(r)
      } else out[r] = await readFile(path.join(dir, r), 'utf8')
    }
  }
  await walk('')
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** Writes `files` (relative path → content; a trailing '/' makes a folder) under `dir`. */
async function makeTree(dir: string, files: Record<string, string>, owner?: { uid: number; gid: number }) {
  const own = async (p: string) => (owner ? chown(p, owner.uid, owner.gid) : undefined)
  await mkdir(dir, { recursive: true })
  await own(dir)
  for (const [rel, content] of Object.entries(files)) {
    const parts = rel.replace(/\/$/, '').split('/')
    for (let i = 1; i <= parts.length - (rel.endsWith('/') ? 0 : 1); i++) {
      const d = path.join(dir, ...parts.slice(0, i))
      await mkdir(d, { recursive: true })
      await own(d)
    }
    if (!rel.endsWith('/')) {
      await writeFile(path.join(dir, rel), content)
      await own(path.join(dir, rel))
    }
  }
}

/** Sends a move or copy through one face; overwrite is always on (the dangerous case). */
function transfer(url: string, auth: string, face: Face, op: Op, from: string, to: string) {
  if (face === 'rest') {
    return request(`${url}/api/v1/${op}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ from, to, overwrite: true }),
    })
  }
  return request(`${url}/dav/${from}`, {
    method: op.toUpperCase(),
    headers: { authorization: auth, destination: `${url}/dav/${to}`, overwrite: 'T' },
  })
}

const TREE = { 'sub/f.txt': 'f bytes', 'sub/deep/g.txt': 'g bytes', 'top.txt': 'top bytes' }
/** Source and overlapping destinations, relative to the case's own folder `base`. */
const SOURCES: Record<Kind, { from: string; ancestor: string; descendant: string }> = {
  // A file onto its grandparent (the case folder itself), and "inside" a file.
  file: { from: 'sub/f.txt', ancestor: '', descendant: 'sub/f.txt/x' },
  folder: { from: 'sub/deep', ancestor: 'sub', descendant: 'sub/deep/x/y' },
}
const relations = ['ancestor', 'descendant', 'self'] as const

/** FTP commands that change the server's files. */
const CHANGING = /"(RNFR|RNTO|DELE|RMD|XRMD|MKD|XMKD|STOR|APPE|STOU|MFMT|SITE)\b/i

describe('move/copy onto the source, into it or above it (real vsftpd)', () => {
  let server: FtpServerHandle
  let gw: GatewayHandle
  let auth: string
  let n = 0

  beforeAll(async () => {
    server = await startVsftpd()
    gw = await startGateway(server, { CACHE_TTL_MS: '0' })
    auth = basicAuth(server.user, server.password)
  })
  afterAll(async () => {
    await gw?.close()
    await server?.stop()
  })
  afterEach(() => {
    expect(rejections()).toEqual([])
  })

  const table = faces.flatMap((face) =>
    ops.flatMap((op) => kinds.flatMap((kind) => relations.map((relation) => ({ face, op, kind, relation })))),
  )

  it.each(table)('$face $op of a $kind onto its $relation → 403, nothing sent, nothing lost', async (c) => {
    const base = `case${++n}`
    const dir = path.join(server.root, base)
    await makeTree(dir, TREE, server)
    const before = await snapshot(dir)
    const logBefore = (await server.commandLog()).length
    const src = SOURCES[c.kind]
    const target = c.relation === 'self' ? src.from : src[c.relation]
    const res = await transfer(
      gw.url,
      auth,
      c.face,
      c.op,
      `${base}/${src.from}`,
      target === '' ? base : `${base}/${target}`,
    )
    expect(res.status).toBe(403)
    if (c.face === 'rest') expect(JSON.parse(res.body.toString()).code).toBe('FILE_ERR_OVERLAP')
    expect(await snapshot(dir)).toEqual(before)
    const sent = (await server.commandLog()).slice(logBefore).filter((l) => CHANGING.test(l))
    expect(sent).toEqual([])
    record({ cases: 1, filesCompared: Object.keys(before).length })
  })

  it.each(
    faces.flatMap((face) =>
      ops.flatMap((op) =>
        kinds.flatMap((kind) =>
          (['file', 'folder'] as const).map((existing) => ({ face, op, kind, existing })),
        ),
      ),
    ),
  )('$face $op of a $kind over an existing $existing replaces it and leaves nothing hidden', async (c) => {
    const base = `over${++n}`
    const dir = path.join(server.root, base)
    const source: Record<string, string> =
      c.kind === 'file' ? { 'src.txt': 'new bytes' } : { 'src/a.txt': 'a', 'src/in/b.txt': 'b' }
    const existing: Record<string, string> =
      c.existing === 'file' ? { 'dst.txt': 'old' } : { 'dst.txt/': '', 'dst.txt/old.txt': 'old' }
    await makeTree(dir, { ...source, ...existing }, server)
    const from = c.kind === 'file' ? 'src.txt' : 'src'
    const res = await transfer(gw.url, auth, c.face, c.op, `${base}/${from}`, `${base}/dst.txt`)
    // REST answers a replacement 200 with its body (issue 21); WebDAV 204 (RFC 4918).
    expect(res.status).toBe(c.face === 'rest' ? 200 : 204)
    const after = await snapshot(dir)
    if (c.kind === 'file') expect(after['dst.txt']).toBe('new bytes')
    else {
      expect(after['dst.txt/a.txt']).toBe('a')
      expect(after['dst.txt/in/b.txt']).toBe('b')
      expect(after['dst.txt/old.txt']).toBeUndefined()
    }
    expect(Object.keys(after).filter((k) => k.includes('.ftpgw-'))).toEqual([])
    // A move leaves no source; a copy leaves it as it was.
    const sourceLeft = Object.keys(after).filter((k) => k === from || k.startsWith(`${from}/`))
    expect(sourceLeft.length > 0).toBe(c.op === 'copy')
    record({ cases: 1 })
  })
})

describe('an overwrite whose replacement fails midway keeps the old target (embedded server faults)', () => {
  let up: Awaited<ReturnType<typeof startEmbedded>>
  let gw: GatewayHandle
  let n = 0
  const auth = basicAuth('mc', 'pw')

  beforeAll(async () => {
    up = await startEmbedded()
    gw = await startGateway({ host: '127.0.0.1', port: up.port }, { REDIS_URL: '', CACHE_TTL_MS: '0' })
    quietProbe(gw)
  })
  afterEach(async (ctx) => {
    up.server.clearIntercepts()
    await expectBaseline(gw, () => up.server.connectionCount, ctx.task.name)
    expect(rejections()).toEqual([])
  })
  afterAll(async () => {
    await gw?.close()
    await up?.stop()
  })

  /** Fails every rename onto `target` except putting back what was renamed aside from it. */
  function failRenameOnto(target: string) {
    let renaming = ''
    const asides = new Set<string>()
    up.server.intercept('RNFR', (ctx) => {
      renaming = ctx.arg
      return ctx.fallthrough()
    })
    up.server.intercept('RNTO', (ctx) => {
      if (renaming === target) asides.add(ctx.arg)
      if (ctx.arg === target && !asides.has(renaming)) return ctx.reply(550, 'Rename refused (injected)')
      return ctx.fallthrough()
    })
  }

  /** Fails the `nth` upload (1-based) with 552; earlier ones go through. */
  function failUpload(nth: number) {
    let seen = 0
    up.server.intercept('STOR', (ctx) =>
      ++seen === nth ? ctx.reply(552, 'Disk full (injected)') : ctx.fallthrough(),
    )
  }

  const table = faces.flatMap((face) =>
    ops.flatMap((op) =>
      kinds.flatMap((kind) =>
        (['file', 'folder'] as const).flatMap((existing) =>
          (op === 'move' ? (['rename'] as const) : (['rename', 'upload'] as const)).map((fault) => ({
            face,
            op,
            kind,
            existing,
            fault,
          })),
        ),
      ),
    ),
  )

  it.each(table)(
    '$face $op of a $kind over an existing $existing, $fault fails → error, old target intact',
    async (c) => {
      const base = `f${++n}`
      const dir = path.join(up.root, base)
      const source: Record<string, string> =
        c.kind === 'file' ? { 'src.txt': 'new bytes' } : { 'src/a.txt': 'a', 'src/in/b.txt': 'b' }
      const existing: Record<string, string> =
        c.existing === 'file'
          ? { 'dst.txt': 'old target' }
          : { 'dst.txt/': '', 'dst.txt/old.txt': 'old target' }
      await makeTree(dir, { ...source, ...existing })
      const before = await snapshot(dir)
      if (c.fault === 'rename') failRenameOnto(`/${base}/dst.txt`)
      // A folder's second file fails: the copy is half done when it stops.
      else failUpload(c.kind === 'file' ? 1 : 2)
      record({ faults: 1 })
      const from = c.kind === 'file' ? 'src.txt' : 'src'
      const res = await transfer(gw.url, auth, c.face, c.op, `${base}/${from}`, `${base}/dst.txt`)
      // 552 → 507; the injected 550 on RNTO reads as "not found" (the engine's one mapping) → 404.
      expect(res.status).toBe(c.fault === 'upload' ? 507 : 404)
      // Source and target exactly as before, and no hidden temporary left behind.
      expect(await snapshot(dir)).toEqual(before)
      expect((await stat(path.join(dir, 'dst.txt'))).isDirectory()).toBe(c.existing === 'folder')
      record({ cases: 1, filesCompared: Object.keys(before).length })
      await rm(dir, { recursive: true, force: true })
    },
  )
})
