/**
 * The README's status rules (issue 21) on every kind of upstream: the embedded server and the
 * three real ones list a file differently (550, 501 "Not a directory", or the file's own line),
 * and every one of them must end as the same 409 `not-a-directory` for a listing and a removal,
 * with the problem in plain words (no FTP reply in `title`/`detail`).
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { startServer, type TestServer } from '../../helpers/local-server.js'
import { ftpServers } from '../../helpers/servers/index.js'

// FTP verbs and reply codes that must never reach people.
const JARGON = /\b(MLSD|MLST|LIST|NLST|SIZE|MDTM|CWD|RNFR|RNTO|DELE|RMD|MKD|STOR|RETR|[1-5]\d\d)\b/

interface Upstream {
  name: string
  start(): Promise<{
    host: string
    port: number
    root: string
    user: string
    password: string
    stop(): Promise<void>
  }>
}

const upstreams: Upstream[] = [
  {
    name: 'embedded',
    start: async () => {
      const s: TestServer = await startServer()
      return {
        host: '127.0.0.1',
        port: s.port,
        root: s.root,
        user: 'demo',
        password: 'demo',
        stop: () => s.stop(),
      }
    },
  },
  ...ftpServers.map((kind) => ({
    name: kind.name,
    start: async () => {
      const s = await kind.start()
      return {
        host: s.host,
        port: s.port,
        root: s.root,
        user: s.user,
        password: s.password,
        stop: () => s.stop(),
      }
    },
  })),
]

describe.each(upstreams)('status rules over $name', ({ start }) => {
  let server: Awaited<ReturnType<Upstream['start']>>
  let gw: GatewayHandle
  let auth: string

  beforeAll(async () => {
    server = await start()
    await writeFile(path.join(server.root, 'plain.txt'), 'plain\n')
    gw = await startGateway(server, { REDIS_URL: '' })
    auth = basicAuth(server.user, server.password)
  })

  afterAll(async () => {
    await gw?.close()
    await server?.stop()
  })

  const call = async (method: string, url: string, body?: string) => {
    const r = await fetch(gw.url + url, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    })
    const text = await r.text()
    return { status: r.status, headers: r.headers, json: () => JSON.parse(text) as Record<string, unknown> }
  }

  it('a file where a folder is expected: GET and DELETE /dirs/ are the same 409', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await call(method, '/api/v1/dirs/plain.txt')
      expect(r.status, method).toBe(409)
      const p = r.json()
      expect(p, method).toMatchObject({ code: 'FILE_ERR_CONFLICT', reason: 'not-a-directory' })
      expect(`${p.title} ${p.detail}`).not.toMatch(JARGON)
    }
  })

  it('mkdir of an existing folder is 409 FILE_ERR_EXISTS', async () => {
    expect((await call('POST', '/api/v1/dirs/made')).status).toBe(201)
    const again = await call('POST', '/api/v1/dirs/made')
    expect(again.status).toBe(409)
    expect(again.json().code).toBe('FILE_ERR_EXISTS')
  })

  it('a missing path: 404 in plain words, the reply only in upstreamReply', async () => {
    for (const url of ['/api/v1/files/absent.txt', '/api/v1/dirs/absent', '/api/v1/stat/absent']) {
      const r = await call('GET', url)
      expect(r.status, url).toBe(404)
      const p = r.json()
      expect(`${p.title} ${p.detail}`, url).not.toMatch(JARGON)
    }
    const move = await call('POST', '/api/v1/move', JSON.stringify({ from: 'absent.txt', to: 'x.txt' }))
    expect(move.status).toBe(404)
    expect(move.json()).toMatchObject({ missing: 'from', detail: 'The source "/absent.txt" does not exist.' })
  })

  it('move and copy answer one shape: 201 created, 200 replaced, Location by type', async () => {
    const copy = await call('POST', '/api/v1/copy', JSON.stringify({ from: 'made', to: 'made-copy' }))
    expect(copy.status).toBe(201)
    expect(copy.headers.get('location')).toBe('/api/v1/dirs/made-copy')
    const first = await call('POST', '/api/v1/copy', JSON.stringify({ from: 'plain.txt', to: 'two.txt' }))
    expect(first.status).toBe(201)
    expect(first.json()).toEqual({ from: '/plain.txt', to: '/two.txt', replaced: false })
    const over = await call(
      'POST',
      '/api/v1/move',
      JSON.stringify({ from: 'two.txt', to: 'plain.txt', overwrite: true }),
    )
    expect(over.status).toBe(200)
    expect(over.json()).toEqual({ from: '/two.txt', to: '/plain.txt', replaced: true })
    expect(over.headers.get('location')).toBe('/api/v1/files/plain.txt')
  })
})
