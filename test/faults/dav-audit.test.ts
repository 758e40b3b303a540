/**
 * Every WebDAV write is audited (issue 15 item 8): against real vsftpd, in service-account mode so
 * the person (the htpasswd user) and the FTP account differ, each of PUT, MKCOL, COPY, MOVE,
 * PROPPATCH, LOCK, UNLOCK and DELETE, once succeeding and once failing, gives exactly one audit line
 * with the action, the person as `user`, the FTP account as `ftpUser`, the path (`from`/`to` for
 * moves and copies), the status and the outcome. Reads give none.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import bcrypt from 'bcryptjs'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { requestIdMixin } from '../../src/http/request-context.js'
import { basicAuth, SHARED_REDIS_URL, testKeyPrefix } from '../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { waitFor } from '../helpers/wait-for.js'

const LOCKINFO =
  '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>'
const PROPSET =
  '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:audit"><D:set><D:prop><Z:colour>blue</Z:colour></D:prop></D:set></D:propertyupdate>'

describe('WebDAV writes are audited', () => {
  let server: FtpServerHandle
  let gateway: Gateway
  let url: string
  let dir: string
  const lines: Record<string, unknown>[] = []
  const auth = basicAuth('dave', 'dave-pw')
  let n = 0

  beforeAll(async () => {
    server = await startVsftpd()
    dir = mkdtempSync(path.join(os.tmpdir(), 'ftpgw-dav-audit-'))
    const htpasswd = path.join(dir, 'htpasswd')
    writeFileSync(htpasswd, `dave:${bcrypt.hashSync('dave-pw', 4)}\n`)
    const memory = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l))
        done()
      },
    })
    const config = loadConfig({
      FTP_URL: `ftp://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}`,
      GATEWAY_HTPASSWD: htpasswd,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: testKeyPrefix('dav-audit'),
      SESSION_SECRET: 'dav-audit-secret-'.padEnd(32, 'x'),
      CACHE_TTL_MS: '0',
      LOG_LEVEL: 'info',
    })
    gateway = await createGateway(config, pino({ level: 'info', mixin: requestIdMixin }, memory))
    url = await gateway.app.listen({ host: '127.0.0.1', port: 0 })
  })

  afterAll(async () => {
    await gateway?.close(1000)
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Sends one DAV request with its own request id; returns the status, headers and that id. */
  async function dav(method: string, p: string, o: { headers?: Record<string, string>; body?: string } = {}) {
    const id = `dav-audit-${++n}`
    const res = await fetch(`${url}/dav/${p}`, {
      method,
      headers: { authorization: auth, 'x-request-id': id, ...o.headers },
      ...(o.body === undefined ? {} : { body: o.body }),
    })
    await res.arrayBuffer()
    return { status: res.status, headers: res.headers, id }
  }

  /** The audit lines of one request, once its response-close hook has run. */
  async function auditsOf(id: string, expected = 1) {
    const of = () => lines.filter((l) => l.audit === true && l.reqId === id)
    await waitFor(() => of().length >= expected, 5000, 10)
    // Anything after the first would be a second line for the same request.
    await new Promise((r) => setImmediate(r))
    return of()
  }

  const person = () => ({ user: 'dave', ftpUser: server.user })

  it.each([
    // [method, path, options, status, fields]
    ['MKCOL', 'd', {}, 201, { action: 'mkdir', path: '/d', outcome: 'success' }],
    ['MKCOL', 'd', {}, 405, { action: 'mkdir', path: '/d', outcome: 'failure' }],
    [
      'PUT',
      'd/a.txt',
      { body: 'hello' },
      201,
      { action: 'upload', path: '/d/a.txt', size: 5, outcome: 'success' },
    ],
    ['PUT', 'none/a.txt', { body: 'x' }, 409, { action: 'upload', path: '/none/a.txt', outcome: 'failure' }],
    [
      'COPY',
      'd/a.txt',
      { headers: { destination: '/dav/d/b.txt' } },
      201,
      { action: 'copy', path: '/d/a.txt', from: '/d/a.txt', to: '/d/b.txt', outcome: 'success' },
    ],
    [
      'COPY',
      'd',
      { headers: { destination: '/dav/d/inner' } },
      403,
      { action: 'copy', from: '/d', to: '/d/inner', outcome: 'failure' },
    ],
    [
      'MOVE',
      'd/b.txt',
      { headers: { destination: '/dav/d/c.txt' } },
      201,
      { action: 'move', from: '/d/b.txt', to: '/d/c.txt', outcome: 'success' },
    ],
    [
      'MOVE',
      'nope.txt',
      { headers: { destination: '/dav/d/x.txt' } },
      404,
      { action: 'move', from: '/nope.txt', to: '/d/x.txt', outcome: 'failure' },
    ],
    [
      'PROPPATCH',
      'd/a.txt',
      { body: PROPSET },
      207,
      { action: 'proppatch', path: '/d/a.txt', outcome: 'success' },
    ],
    [
      'PROPPATCH',
      'nope.txt',
      { body: PROPSET },
      404,
      { action: 'proppatch', path: '/nope.txt', outcome: 'failure' },
    ],
    ['DELETE', 'd/c.txt', {}, 200, { action: 'delete', path: '/d/c.txt', outcome: 'success' }],
    ['DELETE', 'nope.txt', {}, 404, { action: 'delete', path: '/nope.txt', outcome: 'failure' }],
  ] as const)('%s /%s (case %#): one audit line', async (method, p, o, status, fields) => {
    const res = await dav(method, p, o as { headers?: Record<string, string>; body?: string })
    expect(res.status).toBe(status)
    const audits = await auditsOf(res.id)
    expect(audits).toHaveLength(1)
    expect(audits[0]).toMatchObject({ ...fields, ...person(), status, msg: 'audit' })
  })

  it('LOCK and UNLOCK, and a write refused by the lock, each give one line', async () => {
    const lock = await dav('LOCK', 'd/a.txt', { body: LOCKINFO })
    expect(lock.status).toBe(200)
    expect(await auditsOf(lock.id)).toEqual([
      expect.objectContaining({
        action: 'lock',
        path: '/d/a.txt',
        outcome: 'success',
        status: 200,
        ...person(),
      }),
    ])
    const refused = await dav('PUT', 'd/a.txt', { body: 'no' })
    expect(refused.status).toBe(423)
    expect(await auditsOf(refused.id)).toEqual([
      expect.objectContaining({ action: 'upload', outcome: 'failure', status: 423, ...person() }),
    ])
    const again = await dav('LOCK', 'd/a.txt', { body: LOCKINFO })
    expect(again.status).toBe(423)
    expect(await auditsOf(again.id)).toEqual([
      expect.objectContaining({ action: 'lock', outcome: 'failure', status: 423 }),
    ])
    const token = lock.headers.get('lock-token') as string
    const wrong = await dav('UNLOCK', 'd/a.txt', { headers: { 'lock-token': '<urn:uuid:not-a-lock>' } })
    expect(wrong.status).toBeGreaterThanOrEqual(400)
    expect(await auditsOf(wrong.id)).toEqual([
      expect.objectContaining({ action: 'unlock', outcome: 'failure', status: wrong.status }),
    ])
    const unlock = await dav('UNLOCK', 'd/a.txt', { headers: { 'lock-token': token } })
    expect(unlock.status).toBe(204)
    expect(await auditsOf(unlock.id)).toEqual([
      expect.objectContaining({
        action: 'unlock',
        path: '/d/a.txt',
        outcome: 'success',
        status: 204,
        ...person(),
      }),
    ])
  })

  it('an unauthenticated write is audited as a failure without a user; reads are not audited', async () => {
    const id = 'dav-audit-anon'
    const res = await fetch(`${url}/dav/d/anon.txt`, {
      method: 'PUT',
      headers: { 'x-request-id': id },
      body: 'x',
    })
    expect(res.status).toBe(401)
    const [line] = await auditsOf(id)
    expect(line).toMatchObject({ action: 'upload', path: '/d/anon.txt', outcome: 'failure', status: 401 })
    expect(line?.user).toBeUndefined()
    const get = await dav('GET', 'd/a.txt')
    const propfind = await dav('PROPFIND', 'd', { headers: { depth: '1' } })
    expect([get.status, propfind.status]).toEqual([200, 207])
    const probe = await dav('MKCOL', 'after')
    await auditsOf(probe.id)
    // The reads finished before the MKCOL whose line is already there.
    expect(lines.filter((l) => l.audit === true && (l.reqId === get.id || l.reqId === propfind.id))).toEqual(
      [],
    )
  })

  it('REST moves name the person, the FTP account, from and to (the same hook)', async () => {
    const id = 'dav-audit-rest-move'
    const res = await fetch(`${url}/api/v1/move`, {
      method: 'POST',
      headers: { authorization: auth, 'x-request-id': id, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '/d/a.txt', to: '/d/moved.txt' }),
    })
    expect(res.status).toBe(201)
    expect(await auditsOf(id)).toEqual([
      expect.objectContaining({
        action: 'move',
        from: '/d/a.txt',
        to: '/d/moved.txt',
        outcome: 'success',
        status: 201,
        ...person(),
      }),
    ])
  })
})
