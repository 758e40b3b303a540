/**
 * Every REST route end to end: real HTTP into an in-process gateway, real vsftpd behind it, real
 * Redis for tokens and cache invalidation. Each route runs once with Basic auth (the FTP login) and
 * once with a Bearer token, and every response is checked against openapi/openapi.yaml: a status
 * or body the contract does not declare fails the test, whatever the test itself expected.
 */
import { randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { OpenApiValidator } from '../../helpers/openapi-validator.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

const contract = new OpenApiValidator()

interface Res {
  status: number
  headers: Headers
  body: Buffer
  text: string
  json: () => Record<string, unknown>
}

let server: FtpServerHandle
let gw: GatewayHandle
let basic: string
let token: string

/** One request; the response is held to the contract before the test looks at it. */
async function call(
  method: string,
  url: string,
  init: { auth?: string | null; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...init.headers }
  if (init.auth !== null) headers.authorization = init.auth ?? basic
  const r = await fetch(gw.url + url, {
    method,
    headers,
    redirect: 'manual',
    ...(init.body === undefined ? {} : { body: init.body }),
  })
  const body = Buffer.from(await r.arrayBuffer())
  const text = body.toString('utf8')
  // Downloads are binary: only their status and content type are checked, never parsed.
  const isJson = (r.headers.get('content-type') ?? '').includes('json')
  const problems = contract.check({
    method,
    url,
    status: r.status,
    contentType: r.headers.get('content-type'),
    body: isJson || body.length === 0 ? text : '',
  })
  expect(problems, `${method} ${url} → ${r.status} ${text.slice(0, 300)}`).toEqual([])
  return { status: r.status, headers: r.headers, body, text, json: () => JSON.parse(text) }
}

beforeAll(async () => {
  server = await startVsftpd()
  gw = await startGateway(server)
  basic = basicAuth(server.user, server.password)
  const created = await call('POST', '/api/v1/sessions', {
    auth: null,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: server.user, password: server.password }),
  })
  expect(created.status).toBe(201)
  expect(created.headers.get('cache-control')).toBe('no-store')
  token = String(created.json().token)
})

afterAll(async () => {
  await gw?.close()
  await server?.stop()
})

describe('contract basics', () => {
  it('refuses requests without credentials with a problem the contract declares', async () => {
    const r = await call('GET', '/api/v1/dirs/', { auth: null })
    expect(r.status).toBe(401)
    expect(r.json().code).toBe('AUTH_ERR_MISSING')
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic /)
  })

  it('refuses a wrong password with 401 AUTH_ERR_INVALID', async () => {
    const r = await call('GET', '/api/v1/dirs/', { auth: basicAuth(server.user, 'wrong-password') })
    expect(r.status).toBe(401)
    expect(r.json().code).toBe('AUTH_ERR_INVALID')
  })

  it('describes the bearer token', async () => {
    const r = await call('GET', '/api/v1/sessions/current', { auth: `Bearer ${token}` })
    expect(r.status).toBe(200)
    expect(r.json().username).toBe(server.user)
  })
})

describe.each([
  ['basic', () => basic],
  ['bearer', () => `Bearer ${token}`],
])('REST routes with %s auth', (mode, authOf) => {
  const dir = `e2e-${mode}`
  const content = randomBytes(10_000)
  const onDisk = (rel: string) => path.join(server.root, dir, rel)
  const req = (method: string, url: string, init: Parameters<typeof call>[2] = {}) =>
    call(method, url, { auth: authOf(), ...init })
  let etag = ''

  it('mkdir: 201, then 409 when it exists, 409 for a missing parent, 201 with parents=1', async () => {
    const made = await req('POST', `/api/v1/dirs/${dir}`)
    expect(made.status).toBe(201)
    expect(made.json()).toMatchObject({ path: `/${dir}`, name: dir, type: 'dir' })
    expect(made.headers.get('location')).toBe(`/api/v1/dirs/${dir}`)
    expect((await stat(path.join(server.root, dir))).isDirectory()).toBe(true)

    const again = await req('POST', `/api/v1/dirs/${dir}`)
    // Contract change (issue 21): was 412; an existing target is 409 on every route.
    expect(again.status).toBe(409)
    expect(again.json().code).toBe('FILE_ERR_EXISTS')

    const orphan = await req('POST', `/api/v1/dirs/${dir}/p/q/r`)
    // A missing parent is a conflict (as WebDAV's MKCOL has it), not a missing target.
    expect(orphan.status).toBe(409)
    expect(orphan.json().code).toBe('FILE_ERR_CONFLICT')

    const deep = await req('POST', `/api/v1/dirs/${dir}/p/q/r?parents=1`)
    expect(deep.status).toBe(201)
    expect((await stat(onDisk('p/q/r'))).isDirectory()).toBe(true)
  })

  it('upload: 201 with Location and ETag, then 204 on replace; bytes land on the server', async () => {
    const created = await req('PUT', `/api/v1/files/${dir}/data.bin`, { body: content })
    expect(created.status).toBe(201)
    expect(created.headers.get('location')).toBe(`/api/v1/files/${dir}/data.bin`)
    expect(created.json()).toMatchObject({ path: `/${dir}/data.bin`, type: 'file', size: content.length })
    expect(await readFile(onDisk('data.bin'))).toEqual(content)

    const replaced = await req('PUT', `/api/v1/files/${dir}/data.bin`, { body: content })
    expect(replaced.status).toBe(204)
    expect(replaced.body.length).toBe(0)
    etag = replaced.headers.get('etag') ?? ''
    expect(etag).toMatch(/^(W\/)?".+"$/)
  })

  it('download: 200 with validators, byte-identical', async () => {
    const r = await req('GET', `/api/v1/files/${dir}/data.bin`)
    expect(r.status).toBe(200)
    expect(r.body.equals(content)).toBe(true)
    expect(r.headers.get('content-length')).toBe(String(content.length))
    expect(r.headers.get('accept-ranges')).toBe('bytes')
    expect(r.headers.get('etag')).toBe(etag)
    expect(r.headers.get('last-modified')).toMatch(/GMT$/)
  })

  it('Range: 206 with Content-Range and total, suffix ranges, 416 past the end', async () => {
    const r = await req('GET', `/api/v1/files/${dir}/data.bin`, { headers: { range: 'bytes=100-1123' } })
    expect(r.status).toBe(206)
    expect(r.headers.get('content-range')).toBe(`bytes 100-1123/${content.length}`)
    expect(r.headers.get('content-length')).toBe('1024')
    expect(r.body.equals(content.subarray(100, 1124))).toBe(true)

    const tail = await req('GET', `/api/v1/files/${dir}/data.bin`, { headers: { range: 'bytes=-10' } })
    expect(tail.status).toBe(206)
    expect(tail.headers.get('content-range')).toBe(
      `bytes ${content.length - 10}-${content.length - 1}/${content.length}`,
    )
    expect(tail.body.equals(content.subarray(content.length - 10))).toBe(true)

    const open = await req('GET', `/api/v1/files/${dir}/data.bin`, { headers: { range: 'bytes=9990-' } })
    expect(open.status).toBe(206)
    expect(open.body.equals(content.subarray(9990))).toBe(true)

    const past = await req('GET', `/api/v1/files/${dir}/data.bin`, {
      headers: { range: `bytes=${content.length}-` },
    })
    expect(past.status).toBe(416)
    expect(past.headers.get('content-range')).toBe(`bytes */${content.length}`)
    expect(past.json().code).toBe('FILE_ERR_RANGE')

    const bad = await req('GET', `/api/v1/files/${dir}/data.bin`, { headers: { range: 'bytes=9-2' } })
    expect(bad.status).toBe(400)
    expect(bad.json().code).toBe('GW_ERR_BAD_RANGE')
  })

  it('conditional GET: 304 on If-None-Match, 412 on an If-Match mismatch, If-Range falls back to 200', async () => {
    const nm = await req('GET', `/api/v1/files/${dir}/data.bin`, { headers: { 'if-none-match': etag } })
    expect(nm.status).toBe(304)
    expect(nm.body.length).toBe(0)
    expect(nm.headers.get('etag')).toBe(etag)

    const im = await req('GET', `/api/v1/files/${dir}/data.bin`, { headers: { 'if-match': '"not-it"' } })
    expect(im.status).toBe(412)
    expect(im.json().code).toBe('FILE_ERR_PRECONDITION')

    const ok = await req('GET', `/api/v1/files/${dir}/data.bin`, { headers: { 'if-match': etag } })
    expect(ok.status).toBe(200)

    const staleRange = await req('GET', `/api/v1/files/${dir}/data.bin`, {
      headers: { range: 'bytes=0-9', 'if-range': '"stale"' },
    })
    expect(staleRange.status).toBe(200)
    expect(staleRange.body.equals(content)).toBe(true)
  })

  it('conditional PUT: If-Match mismatch and If-None-Match: * on an existing file are 412, file untouched', async () => {
    const other = randomBytes(100)
    const im = await req('PUT', `/api/v1/files/${dir}/data.bin`, {
      body: other,
      headers: { 'if-match': '"not-it"' },
    })
    expect(im.status).toBe(412)
    const inm = await req('PUT', `/api/v1/files/${dir}/data.bin`, {
      body: other,
      headers: { 'if-none-match': '*' },
    })
    expect(inm.status).toBe(412)
    expect(await readFile(onDisk('data.bin'))).toEqual(content)
  })

  it('HEAD: the GET headers without a body', async () => {
    const r = await req('HEAD', `/api/v1/files/${dir}/data.bin`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-length')).toBe(String(content.length))
    expect(r.headers.get('etag')).toBe(etag)
    expect(r.body.length).toBe(0)
    const missing = await req('HEAD', `/api/v1/files/${dir}/nope.bin`)
    expect(missing.status).toBe(404)
  })

  it('?download=1 adds an attachment Content-Disposition', async () => {
    const r = await req('GET', `/api/v1/files/${dir}/data.bin?download=1`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-disposition')).toMatch(/^attachment;.*filename="?data\.bin"?/)
    expect(r.body.equals(content)).toBe(true)
  })

  it('list with pagination: pages of `limit`, a cursor, null on the last page, every entry once', async () => {
    // A PUT into a missing folder is a conflict (409), as in WebDAV: folders are made explicitly.
    const orphan = await req('PUT', `/api/v1/files/${dir}/page/f0.txt`, { body: 'x' })
    expect(orphan.status).toBe(409)
    expect((await req('POST', `/api/v1/dirs/${dir}/page`)).status).toBe(201)
    for (let i = 0; i < 5; i++) {
      const r = await req('PUT', `/api/v1/files/${dir}/page/f${i}.txt`, { body: `file ${i}` })
      expect(r.status).toBe(201)
    }
    await req('POST', `/api/v1/dirs/${dir}/page/sub`)
    const names: string[] = []
    let url = `/api/v1/dirs/${dir}/page?limit=2`
    let pages = 0
    for (;;) {
      const r = await req('GET', url)
      expect(r.status).toBe(200)
      const page = r.json() as { path: string; entries: Array<{ name: string }>; next: string | null }
      expect(page.path).toBe(`/${dir}/page`)
      expect(page.entries.length).toBeLessThanOrEqual(2)
      names.push(...page.entries.map((e) => e.name))
      pages++
      if (page.next === null) break
      url = `/api/v1/dirs/${dir}/page?limit=2&cursor=${encodeURIComponent(page.next)}`
    }
    expect(pages).toBe(3)
    expect(names.sort()).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'sub'])

    const root = await req('GET', '/api/v1/dirs/')
    expect(root.status).toBe(200)
    expect((root.json().entries as Array<{ name: string }>).map((e) => e.name)).toContain(dir)

    const bad = await req('GET', `/api/v1/dirs/${dir}/page?limit=0`)
    expect(bad.status).toBe(400)
    const missing = await req('GET', `/api/v1/dirs/${dir}/nowhere`)
    expect(missing.status).toBe(404)
    expect(missing.json().code).toBe('FILE_ERR_NOT_FOUND')
  })

  it('stat: a file and a directory', async () => {
    const f = await req('GET', `/api/v1/stat/${dir}/data.bin`)
    expect(f.status).toBe(200)
    expect(f.json()).toMatchObject({ path: `/${dir}/data.bin`, type: 'file', size: content.length, etag })
    const d = await req('GET', `/api/v1/stat/${dir}/page`)
    expect(d.status).toBe(200)
    expect(d.json()).toMatchObject({ type: 'dir', name: 'page' })
    const missing = await req('GET', `/api/v1/stat/${dir}/none`)
    expect(missing.status).toBe(404)
  })

  it('copy and move: 201 to a new name, 409 onto an existing one without overwrite, 200 with it', async () => {
    const json = { 'content-type': 'application/json' }
    const body = (o: object) => JSON.stringify(o)
    const copied = await req('POST', '/api/v1/copy', {
      headers: json,
      body: body({ from: `/${dir}/data.bin`, to: `/${dir}/copy.bin` }),
    })
    expect(copied.status).toBe(201)
    expect(copied.json()).toEqual({ from: `/${dir}/data.bin`, to: `/${dir}/copy.bin`, replaced: false })
    expect(await readFile(onDisk('copy.bin'))).toEqual(content)

    await req('PUT', `/api/v1/files/${dir}/other.bin`, { body: 'other' })
    const refused = await req('POST', '/api/v1/copy', {
      headers: json,
      body: body({ from: `/${dir}/other.bin`, to: `/${dir}/copy.bin` }),
    })
    expect(refused.status).toBe(409)
    expect(refused.json().code).toBe('FILE_ERR_EXISTS')
    expect(await readFile(onDisk('copy.bin'))).toEqual(content)
    const over = await req('POST', '/api/v1/copy', {
      headers: json,
      body: body({ from: `/${dir}/other.bin`, to: `/${dir}/copy.bin`, overwrite: true }),
    })
    // Contract change (issue 21): was 204 without a body; now the same body as a creation.
    expect(over.status).toBe(200)
    expect(over.json()).toEqual({ from: `/${dir}/other.bin`, to: `/${dir}/copy.bin`, replaced: true })
    expect(over.headers.get('location')).toBe(`/api/v1/files/${dir}/copy.bin`)
    expect((await readFile(onDisk('copy.bin'))).toString()).toBe('other')

    const moved = await req('POST', '/api/v1/move', {
      headers: json,
      body: body({ from: `/${dir}/copy.bin`, to: `/${dir}/p/moved.bin` }),
    })
    expect(moved.status).toBe(201)
    await expect(stat(onDisk('copy.bin'))).rejects.toThrow()
    expect((await readFile(onDisk('p/moved.bin'))).toString()).toBe('other')

    const moveRefused = await req('POST', '/api/v1/move', {
      headers: json,
      body: body({ from: `/${dir}/other.bin`, to: `/${dir}/p/moved.bin` }),
    })
    expect(moveRefused.status).toBe(409)
    const moveOver = await req('POST', '/api/v1/move', {
      headers: json,
      body: body({ from: `/${dir}/data.bin`, to: `/${dir}/p/moved.bin`, overwrite: true }),
    })
    expect(moveOver.status).toBe(200)
    expect(moveOver.json().replaced).toBe(true)
    expect(await readFile(onDisk('p/moved.bin'))).toEqual(content)

    const dirCopy = await req('POST', '/api/v1/copy', {
      headers: json,
      body: body({ from: `/${dir}/page`, to: `/${dir}/page-copy` }),
    })
    expect(dirCopy.status).toBe(201)
    // A folder is located under /dirs/ (it was /api/v1/files/… before issue 21).
    expect(dirCopy.headers.get('location')).toBe(`/api/v1/dirs/${dir}/page-copy`)
    expect((await readFile(onDisk('page-copy/f3.txt'))).toString()).toBe('file 3')

    const missing = await req('POST', '/api/v1/move', {
      headers: json,
      body: body({ from: `/${dir}/none`, to: `/${dir}/x` }),
    })
    expect(missing.status).toBe(404)
    // Says which argument, in plain words; the FTP reply only in upstreamReply.
    expect(missing.json()).toMatchObject({
      missing: 'from',
      detail: `The source "/${dir}/none" does not exist.`,
    })
    expect(`${missing.json().title} ${missing.json().detail}`).not.toMatch(/\b(550|SIZE|MLST|MDTM)\b/)
    expect(missing.json().upstreamReply).toEqual(expect.any(String))
    const noFolder = await req('POST', '/api/v1/copy', {
      headers: json,
      body: body({ from: `/${dir}/other.bin`, to: `/${dir}/absent/x.bin` }),
    })
    expect(noFolder.status).toBe(409)
    expect(noFolder.json()).toMatchObject({ reason: 'parent-missing', missing: 'to' })
    const invalid = await req('POST', '/api/v1/move', { headers: json, body: body({ from: 'a' }) })
    expect(invalid.status).toBe(400)
    expect(invalid.json().code).toBe('GW_ERR_VALIDATION')
  })

  it('delete: 204, then 404; rmdir of a non-empty folder is 409 and recursive=1 removes it', async () => {
    const del = await req('DELETE', `/api/v1/files/${dir}/other.bin`)
    expect(del.status).toBe(204)
    await expect(stat(onDisk('other.bin'))).rejects.toThrow()
    const gone = await req('GET', `/api/v1/files/${dir}/other.bin`)
    expect(gone.status).toBe(404)
    expect(gone.json().code).toBe('FILE_ERR_NOT_FOUND')
    expect((await req('DELETE', `/api/v1/files/${dir}/other.bin`)).status).toBe(404)

    // A file where a folder is expected: the listing and the removal answer alike (issue 21: the
    // listing said 400 "MLSD: 501" on servers that refuse to list a file).
    const asFolder = [
      await req('GET', `/api/v1/dirs/${dir}/p/moved.bin`),
      await req('DELETE', `/api/v1/dirs/${dir}/p/moved.bin`),
    ]
    for (const r of asFolder) {
      expect(r.status, r.text).toBe(409)
      expect(r.json()).toMatchObject({ code: 'FILE_ERR_CONFLICT', reason: 'not-a-directory' })
    }
    const asFile = await req('DELETE', `/api/v1/files/${dir}/p`)
    expect(asFile.status).toBe(409)
    expect(asFile.json()).toMatchObject({ code: 'FILE_ERR_CONFLICT', reason: 'is-directory' })

    const empty = await req('DELETE', `/api/v1/dirs/${dir}/p/q/r`)
    expect(empty.status).toBe(204)
    const full = await req('DELETE', `/api/v1/dirs/${dir}/page`)
    expect(full.status).toBe(409)
    expect(full.json().code).toBe('FILE_ERR_NOT_EMPTY')
    const rec = await req('DELETE', `/api/v1/dirs/${dir}?recursive=1`)
    expect(rec.status).toBe(204)
    await expect(stat(path.join(server.root, dir))).rejects.toThrow()
    const listing = await req('GET', '/api/v1/dirs/')
    expect((listing.json().entries as Array<{ name: string }>).map((e) => e.name)).not.toContain(dir)
  })
})

describe('sessions end', () => {
  it('revoking the token makes it useless', async () => {
    const bearer = `Bearer ${token}`
    expect((await call('DELETE', '/api/v1/sessions/current', { auth: bearer })).status).toBe(204)
    const after = await call('GET', '/api/v1/dirs/', { auth: bearer })
    expect(after.status).toBe(401)
    expect(after.json().code).toBe('AUTH_ERR_INVALID')
    expect((await call('DELETE', '/api/v1/sessions/current', { auth: bearer })).status).toBe(401)
  })
})
