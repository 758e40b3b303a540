import { describe, expect, it } from 'vitest'
import { buildTestApp, GOOD_AUTH } from '../../helpers/http-app.js'

const auth = { authorization: GOOD_AUTH }

async function setup() {
  const t = await buildTestApp()
  t.files.putFile('d/b.txt', 'bb')
  t.files.putFile('d/a.txt', 'a')
  t.files.putFile('d/c.txt', 'ccc')
  t.files.putDir('d/sub')
  t.files.calls.length = 0
  return t
}

const code = (body: string) => (JSON.parse(body) as { code: string }).code

describe('GET /api/v1/dirs/*', () => {
  it('lists a page with a cursor, then the rest', async () => {
    const { app, files } = await setup()
    const first = await app.inject({ url: '/api/v1/dirs/d?limit=2', headers: auth })
    expect(first.statusCode).toBe(200)
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8')
    const page = first.json()
    expect(page.path).toBe('/d')
    // Folders first, then names in natural order; the total counts the whole folder.
    expect(page.entries.map((e: { name: string }) => e.name)).toEqual(['sub', 'a.txt'])
    expect(page.total).toBe(4)
    expect(page.entries[1]).toMatchObject({
      type: 'file',
      size: 1,
      modified: expect.stringMatching(/Z$/),
      etag: expect.any(String),
    })
    expect(page.next).toEqual(expect.any(String))
    const second = await app.inject({ url: `/api/v1/dirs/d?limit=2&cursor=${page.next}`, headers: auth })
    expect(second.json()).toMatchObject({
      entries: [{ name: 'b.txt' }, { name: 'c.txt' }],
      next: null,
      total: 4,
    })
    expect(page.entries[0]).toMatchObject({ name: 'sub', type: 'dir', size: null })
    expect(files.callsOf('list').map((c) => c.args[0])).toEqual([
      { limit: 2 },
      { limit: 2, cursor: page.next },
    ])
  })

  it('the root with and without a trailing slash; default limit 1000', async () => {
    const { app, files } = await setup()
    for (const url of ['/api/v1/dirs', '/api/v1/dirs/']) {
      const r = await app.inject({ url, headers: auth })
      expect(r.statusCode).toBe(200)
      expect(r.json()).toMatchObject({ path: '/', entries: [{ name: 'd', type: 'dir' }], next: null })
    }
    expect(files.callsOf('list')[0]!.args[0]).toEqual({ limit: 1000 })
  })

  it('an empty directory is a valid JSON page', async () => {
    const { app } = await setup()
    const r = await app.inject({ url: '/api/v1/dirs/d/sub', headers: auth })
    expect(r.json()).toEqual({ path: '/d/sub', entries: [], next: null, total: 0 })
  })

  it('passes sort, order and filter through, and the cursor continues that view', async () => {
    const { app, files } = await setup()
    const first = await app.inject({
      url: '/api/v1/dirs/d?limit=1&sort=type&order=desc&q=.TXT',
      headers: auth,
    })
    expect(first.statusCode).toBe(200)
    const page = first.json()
    expect(page.entries.map((e: { name: string }) => e.name)).toEqual(['c.txt'])
    expect(page.total).toBe(3)
    const second = await app.inject({ url: `/api/v1/dirs/d?limit=5&cursor=${page.next}`, headers: auth })
    expect(second.json().entries.map((e: { name: string }) => e.name)).toEqual(['b.txt', 'a.txt'])
    const other = await app.inject({ url: `/api/v1/dirs/d?sort=size&cursor=${page.next}`, headers: auth })
    expect(other.statusCode).toBe(400)
    expect(files.callsOf('list')[0]!.args[0]).toEqual({ limit: 1, sort: 'type', order: 'desc', q: '.TXT' })
  })

  it.each([
    'limit=0',
    'limit=10001',
    'limit=abc',
    'limit=-1',
    'cursor=',
    'cursor=a%20b',
    'cursor=%0a',
    'sort=colour',
    'order=up',
    'q=a%0Ab',
    `q=${'x'.repeat(256)}`,
  ])('%s → 400 GW_ERR_VALIDATION, no file call', async (query) => {
    const { app, files } = await setup()
    const r = await app.inject({ url: `/api/v1/dirs/d?${query}`, headers: auth })
    expect(r.statusCode).toBe(400)
    expect(code(r.body)).toBe('GW_ERR_VALIDATION')
    expect(files.calls).toHaveLength(0)
  })

  it('a cursor the service does not know → 400 FILE_ERR_BAD_REQUEST', async () => {
    const { app } = await setup()
    const r = await app.inject({ url: '/api/v1/dirs/d?cursor=bogus', headers: auth })
    expect(r.statusCode).toBe(400)
    expect(code(r.body)).toBe('FILE_ERR_BAD_REQUEST')
  })

  it('missing → 404; a file → 409 not-a-directory, for GET and DELETE alike', async () => {
    const { app } = await setup()
    expect((await app.inject({ url: '/api/v1/dirs/nope', headers: auth })).statusCode).toBe(404)
    const list = await app.inject({ url: '/api/v1/dirs/d/a.txt', headers: auth })
    const remove = await app.inject({ method: 'DELETE', url: '/api/v1/dirs/d/a.txt', headers: auth })
    for (const r of [list, remove]) {
      expect(r.statusCode).toBe(409)
      expect(r.json()).toMatchObject({ code: 'FILE_ERR_CONFLICT', reason: 'not-a-directory' })
    }
  })

  it('a 10,000-entry page streams', async () => {
    const { app, files } = await setup()
    for (let i = 0; i < 10_000; i++) files.putFile(`big/f${String(i).padStart(5, '0')}`, '')
    const r = await app.inject({ url: '/api/v1/dirs/big?limit=10000', headers: auth })
    expect(r.statusCode).toBe(200)
    expect(r.headers['transfer-encoding']).toBe('chunked')
    expect(r.json().entries).toHaveLength(10_000)
  })
})

describe('POST/DELETE /api/v1/dirs/*', () => {
  it('mkdir 201 with Location; parents=1; exists → 409 FILE_ERR_EXISTS; missing parent → 409', async () => {
    const { app, files } = await setup()
    const r = await app.inject({ method: 'POST', url: '/api/v1/dirs/d/new', headers: auth })
    expect(r.statusCode).toBe(201)
    expect(r.headers.location).toBe('/api/v1/dirs/d/new')
    expect(r.json()).toMatchObject({ path: '/d/new', type: 'dir' })
    const deep = await app.inject({ method: 'POST', url: '/api/v1/dirs/x/y/z?parents=1', headers: auth })
    expect(deep.statusCode).toBe(201)
    expect(files.exists('x/y/z')).toBe(true)
    // Contract change (issue 21): an existing folder was 412; a target that exists is 409 everywhere.
    const again = await app.inject({ method: 'POST', url: '/api/v1/dirs/d/new', headers: auth })
    expect(again.statusCode).toBe(409)
    expect(code(again.body)).toBe('FILE_ERR_EXISTS')
    const root = await app.inject({ method: 'POST', url: '/api/v1/dirs/', headers: auth })
    expect(root.statusCode).toBe(409)
    expect((await app.inject({ method: 'POST', url: '/api/v1/dirs/q/r', headers: auth })).statusCode).toBe(
      409,
    )
    const bad = await app.inject({ method: 'POST', url: '/api/v1/dirs/q?parents=maybe', headers: auth })
    expect(bad.statusCode).toBe(400)
    expect(code(bad.body)).toBe('GW_ERR_VALIDATION')
  })

  it('rmdir 204; not empty → 409; recursive=1 removes everything; the root → 403', async () => {
    const { app, files } = await setup()
    const notEmpty = await app.inject({ method: 'DELETE', url: '/api/v1/dirs/d', headers: auth })
    expect(notEmpty.statusCode).toBe(409)
    expect(code(notEmpty.body)).toBe('FILE_ERR_NOT_EMPTY')
    expect(
      (await app.inject({ method: 'DELETE', url: '/api/v1/dirs/d/sub', headers: auth })).statusCode,
    ).toBe(204)
    expect(
      (await app.inject({ method: 'DELETE', url: '/api/v1/dirs/d?recursive=1', headers: auth })).statusCode,
    ).toBe(204)
    expect(files.exists('d/a.txt')).toBe(false)
    files.calls.length = 0
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/dirs/', headers: auth })).statusCode).toBe(403)
    expect(files.calls).toHaveLength(0)
  })
})

describe('GET /api/v1/stat/*', () => {
  it('file, directory, root, missing', async () => {
    const { app } = await setup()
    const f = await app.inject({ url: '/api/v1/stat/d/b.txt', headers: auth })
    expect(f.json()).toEqual({
      path: '/d/b.txt',
      name: 'b.txt',
      type: 'file',
      size: 2,
      modified: expect.any(String),
      etag: expect.any(String),
    })
    expect((await app.inject({ url: '/api/v1/stat/d', headers: auth })).json()).toMatchObject({
      type: 'dir',
      size: null,
    })
    expect((await app.inject({ url: '/api/v1/stat/', headers: auth })).json()).toMatchObject({
      path: '/',
      type: 'dir',
    })
    expect((await app.inject({ url: '/api/v1/stat/zz', headers: auth })).statusCode).toBe(404)
  })
})

describe('POST /api/v1/move and /api/v1/copy', () => {
  const post = (app: Awaited<ReturnType<typeof setup>>['app'], op: string, payload: unknown, headers = {}) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/${op}`,
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    })

  it('move 201, then 409 without overwrite, 200 with it: the same body and Location both times', async () => {
    const { app, files } = await setup()
    const r = await post(app, 'move', { from: '/d/a.txt', to: 'd/moved.txt' })
    expect(r.statusCode).toBe(201)
    expect(r.headers.location).toBe('/api/v1/files/d/moved.txt')
    expect(r.json()).toEqual({ from: '/d/a.txt', to: '/d/moved.txt', replaced: false })
    expect(files.exists('d/a.txt')).toBe(false)
    const clash = await post(app, 'move', { from: 'd/b.txt', to: 'd/moved.txt' })
    expect(clash.statusCode).toBe(409)
    expect(code(clash.body)).toBe('FILE_ERR_EXISTS')
    // Contract change (issue 21): a replacing move was 204 without a body.
    const over = await post(app, 'move', { from: 'd/b.txt', to: 'd/moved.txt', overwrite: true })
    expect(over.statusCode).toBe(200)
    expect(over.headers.location).toBe('/api/v1/files/d/moved.txt')
    expect(over.json()).toEqual({ from: '/d/b.txt', to: '/d/moved.txt', replaced: true })
    expect(files.content('d/moved.txt')?.toString()).toBe('bb')
    // overwrite: true onto a new name is a creation like any other.
    const fresh = await post(app, 'move', { from: 'd/moved.txt', to: 'd/fresh.txt', overwrite: true })
    expect(fresh.statusCode).toBe(201)
    expect(fresh.json()).toEqual({ from: '/d/moved.txt', to: '/d/fresh.txt', replaced: false })
  })

  it('copy keeps the source; missing source → 404; into itself → 403 FILE_ERR_OVERLAP', async () => {
    const { app, files } = await setup()
    const folder = await post(app, 'copy', { from: 'd', to: 'e' })
    expect(folder.statusCode).toBe(201)
    // A folder lives under /dirs/ (it was /api/v1/files/e before issue 21).
    expect(folder.headers.location).toBe('/api/v1/dirs/e')
    expect(files.content('e/c.txt')?.toString()).toBe('ccc')
    expect(files.exists('d/c.txt')).toBe(true)
    const missing = await post(app, 'copy', { from: 'nope', to: 'x' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toMatchObject({ code: 'FILE_ERR_NOT_FOUND', missing: 'from' })
    expect(missing.json().detail).toBe('The source "/nope" does not exist.')
    const noFolder = await post(app, 'move', { from: 'd/a.txt', to: 'gone/a.txt' })
    expect(noFolder.statusCode).toBe(409)
    expect(noFolder.json()).toMatchObject({
      code: 'FILE_ERR_CONFLICT',
      reason: 'parent-missing',
      missing: 'to',
    })
    const into = await post(app, 'copy', { from: 'd', to: 'd/sub/d' })
    expect(into.statusCode).toBe(403)
    expect(code(into.body)).toBe('FILE_ERR_OVERLAP')
  })

  it.each([
    ['{"from": "a",', 'GW_ERR_BAD_JSON'],
    ['', 'GW_ERR_BAD_JSON'],
    [{ from: 'd/a.txt' }, 'GW_ERR_VALIDATION'],
    [{ to: 'x' }, 'GW_ERR_VALIDATION'],
    [{ from: 1, to: 'x' }, 'GW_ERR_VALIDATION'],
    [{ from: 'd/a.txt', to: 'x', overwrite: 'yes' }, 'GW_ERR_VALIDATION'],
    [{ from: 'd/a.txt', to: 'x', overwrite: 'true' }, 'GW_ERR_VALIDATION'],
    [{ from: 'd/a.txt', to: 'x', extra: 1 }, 'GW_ERR_VALIDATION'],
    [[], 'GW_ERR_VALIDATION'],
    [{ from: 'd/a.txt', to: '../x' }, 'FILE_ERR_BAD_PATH'],
    [{ from: 'd/a.txt', to: 'x\r\nDELE y' }, 'FILE_ERR_BAD_PATH'],
    [{ from: 'd/a.txt', to: 'a\\b' }, 'FILE_ERR_BAD_PATH'],
    [{ from: '/', to: 'x' }, 'FILE_ERR_BAD_PATH'],
  ])('%j → 400 %s, no file call', async (payload, expected) => {
    const { app, files } = await setup()
    for (const op of ['move', 'copy']) {
      const r = await post(app, op, payload)
      expect(r.statusCode).toBe(400)
      expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8')
      expect(code(r.body)).toBe(expected)
    }
    expect(files.calls).toHaveLength(0)
  })

  it('a non-JSON body → 415 GW_ERR_MEDIA_TYPE', async () => {
    const { app, files } = await setup()
    const r = await post(app, 'move', 'from=a&to=b', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(r.statusCode).toBe(415)
    expect(code(r.body)).toBe('GW_ERR_MEDIA_TYPE')
    expect(files.calls).toHaveLength(0)
  })

  it('a body over 1 MiB → 413', async () => {
    const { app } = await setup()
    const r = await post(app, 'move', JSON.stringify({ from: 'a', to: 'b', pad: 'x'.repeat(1_100_000) }))
    expect(r.statusCode).toBe(413)
    expect(code(r.body)).toBe('GW_ERR_BODY_TOO_LARGE')
  })
})
