/**
 * One tree over an estate of real servers (issue 17): vsftpd over explicit FTPS with session reuse
 * required at `/` (Basic passthrough), Pure-FTPd and ProFTPD behind service accounts, a second
 * vsftpd that refuses one user. Who sees and changes what is decided by the mounts' rules before
 * any FTP command: counted per upstream through the engine's command channel.
 */
import { writeFileSync } from 'node:fs'
import { chown, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { onFtpCommand } from '../../../src/ftp/index.js'
import { basicAuth, type GatewayHandle } from '../../helpers/gateway.js'
import { captureLogs } from '../../helpers/log-capture.js'
import {
  type FtpServerHandle,
  startProftpd,
  startPureFtpd,
  startVsftpd,
  type VsftpdHandle,
} from '../../helpers/servers/index.js'
import { startTreeGateway } from '../../helpers/tree.js'

const PW = 'estate-pw-1'
const USERS = ['ftpgw-alice', 'ftpgw-bob', 'ftpgw-carol'] as const
const [ALICE, BOB, CAROL] = USERS

let web: VsftpdHandle
let ops: VsftpdHandle
let partners: FtpServerHandle
let archive: FtpServerHandle
let gw: GatewayHandle
const commands: Array<{ upstream: string | undefined; command: string }> = []
let stopListening: () => void
const logs = captureLogs('info')

const as = (user: string) => ({ authorization: basicAuth(user, PW) })

async function api(user: string, method: string, url: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, headers: { ...as(user) } }
  if (body instanceof Uint8Array || typeof body === 'string') {
    init.body = body
    init.headers = { ...as(user), 'content-type': 'application/octet-stream' }
  } else if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { ...as(user), 'content-type': 'application/json' }
  }
  return fetch(`${gw.url}${url}`, init)
}

async function names(user: string, dir: string): Promise<string[]> {
  const res = await api(user, 'GET', `/api/v1/dirs/${dir}`)
  expect(res.status, await res.clone().text()).toBe(200)
  const body = (await res.json()) as { entries: Array<{ name: string }> }
  return body.entries.map((e) => e.name).sort()
}

/** Runs `fn` and returns the FTP commands it sent, per upstream name. */
async function commandsDuring(fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const from = commands.length
  await fn()
  const out: Record<string, number> = {}
  for (const c of commands.slice(from)) out[c.upstream ?? '?'] = (out[c.upstream ?? '?'] ?? 0) + 1
  return out
}

function homeOf(server: VsftpdHandle, user: string) {
  const u = server.users.find((x) => x.user === user)
  if (!u) throw new Error(`no user ${user}`)
  return u
}

beforeAll(async () => {
  const users = USERS.map((name) => ({ name, password: PW }))
  const listDir = await mkdtemp(path.join(os.tmpdir(), 'ftpgw-estate-'))
  const denied = path.join(listDir, 'denied')
  writeFileSync(denied, `${BOB}\n`)
  ;[web, ops, partners, archive] = await Promise.all([
    startVsftpd({ tls: 'explicit', users }),
    startVsftpd({
      users,
      config: { userlist_enable: 'YES', userlist_deny: 'YES', userlist_file: denied },
    }),
    startPureFtpd(),
    startProftpd(),
  ])
  await mkdir(path.join(partners.root, 'finance'))
  await chown(path.join(partners.root, 'finance'), partners.uid, partners.gid)
  await writeFile(path.join(archive.root, 'old.txt'), 'archived')
  await writeFile(path.join(partners.root, 'finance', 'q1.txt'), 'numbers')
  await writeFile(path.join(homeOf(web, ALICE).root, 'mine.txt'), 'alice at home')
  await writeFile(path.join(homeOf(ops, ALICE).root, 'ops.txt'), 'ops file')
  stopListening = onFtpCommand((e) => commands.push({ upstream: e.upstream, command: e.command }))
  gw = await startTreeGateway(
    [
      { name: 'web', server: web },
      { name: 'ops', server: ops },
      { name: 'partners', server: partners, service: true },
      { name: 'archive', server: archive, service: true },
    ],
    [
      { path: '/', upstream: 'web' },
      { path: '/ops', upstream: 'ops' },
      {
        path: '/partners',
        upstream: 'partners',
        allow: [`user:${ALICE}`, `user:${CAROL}`],
        write: [`user:${ALICE}`],
      },
      { path: '/archive', upstream: 'archive', readOnly: true },
      { path: '/teams/finance', upstream: 'partners', root: 'finance', allow: [`!user:${BOB}`, '*'] },
    ],
    // Several files and folders above are made straight on the servers' disks: no stale cache.
    { CACHE_TTL_MS: '0' },
    { logger: logs.logger },
  )
}, 120_000)

afterAll(async () => {
  stopListening?.()
  await gw?.close()
  await Promise.all([web?.stop(), ops?.stop(), partners?.stop(), archive?.stop()])
})

describe('one tree over four servers', () => {
  it('lists each user the mounts they may see, merged with the folder at /', async () => {
    expect(await names(ALICE, '')).toEqual(['archive', 'mine.txt', 'ops', 'partners', 'teams'])
    // bob sees neither partners nor teams (its only mount excludes him): not even the name.
    expect(await names(BOB, '')).toEqual(['archive', 'ops'])
    expect(await names(ALICE, 'teams')).toEqual(['finance'])
    expect(await names(ALICE, 'teams/finance')).toEqual(['q1.txt'])
    expect(await names(CAROL, 'archive')).toEqual(['old.txt'])
  })

  it('says which server a folder lives on, in REST and on the page', async () => {
    const listing = async (dir: string) =>
      (await (await api(ALICE, 'GET', `/api/v1/dirs/${dir}`)).json()) as { upstream?: string }
    expect((await listing('teams/finance')).upstream).toBe('partners')
    expect((await listing('archive')).upstream).toBe('archive')
    expect((await listing('')).upstream).toBe('web')
    const page = await fetch(`${gw.url}/browse/archive/`, { headers: as(ALICE) })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('On server <strong>archive</strong>')
  })

  it('serves each mount from its own server, with its paths in the tree', async () => {
    const res = await api(ALICE, 'GET', '/api/v1/files/teams/finance/q1.txt')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('numbers')
    expect(await names(ALICE, 'partners')).toContain('finance')
    // A PROPFIND names the mount's entries by their place in the tree.
    const dav = await fetch(`${gw.url}/dav/teams/finance/`, {
      method: 'PROPFIND',
      headers: { ...as(ALICE), depth: '1' },
    })
    expect(await dav.text()).toContain('/dav/teams/finance/q1.txt')
  })

  it('answers 404 for a hidden mount, with no FTP command sent to it', async () => {
    const sent = await commandsDuring(async () => {
      for (const url of [
        '/api/v1/files/partners/finance/q1.txt',
        '/api/v1/dirs/partners',
        '/api/v1/dirs/teams/finance',
      ]) {
        const res = await api(BOB, 'GET', url)
        expect(res.status, url).toBe(404)
      }
      const put = await api(BOB, 'PUT', '/api/v1/files/partners/x.txt', 'nope')
      expect(put.status).toBe(404)
      const dav = await fetch(`${gw.url}/dav/partners/`, {
        method: 'PROPFIND',
        headers: { ...as(BOB), depth: '1' },
      })
      expect(dav.status).toBe(404)
    })
    expect(sent.partners ?? 0).toBe(0)
    // The WebDAV root lists no hidden mount either.
    const root = await fetch(`${gw.url}/dav/`, { method: 'PROPFIND', headers: { ...as(BOB), depth: '1' } })
    expect(root.status).toBe(207)
    const xml = await root.text()
    expect(xml).not.toContain('partners')
    expect(xml).toContain('archive')
  })

  it('answers 403 forbidden-read-only where the user may read but not write, with no FTP command', async () => {
    const sent = await commandsDuring(async () => {
      for (const [user, method, url] of [
        [CAROL, 'PUT', '/api/v1/files/partners/carol.txt'],
        [CAROL, 'DELETE', '/api/v1/files/partners/finance/q1.txt'],
        [ALICE, 'PUT', '/api/v1/files/archive/new.txt'],
        [ALICE, 'DELETE', '/api/v1/files/archive/old.txt'],
      ] as const) {
        const res = await api(user, method, url, method === 'PUT' ? 'data' : undefined)
        expect(res.status, `${user} ${method} ${url}`).toBe(403)
        const problem = (await res.json()) as { type: string; code: string }
        expect(problem.type).toMatch(/\/forbidden-read-only$/)
      }
      const mkcol = await fetch(`${gw.url}/dav/archive/newdir/`, { method: 'MKCOL', headers: as(ALICE) })
      expect(mkcol.status).toBe(403)
      const lock = await fetch(`${gw.url}/dav/archive/old.txt`, {
        method: 'LOCK',
        headers: { ...as(ALICE), 'content-type': 'application/xml' },
        body: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
      })
      expect(lock.status).toBe(403)
    })
    expect(sent.archive ?? 0).toBe(0)
    expect(sent.partners ?? 0).toBe(0)
    // Nothing changed on the servers' disks.
    expect(await readFile(path.join(archive.root, 'old.txt'), 'utf8')).toBe('archived')
    // And a user who may write does.
    const ok = await api(ALICE, 'PUT', '/api/v1/files/partners/alice.txt', 'from alice')
    expect(ok.status).toBe(201)
    expect(await readFile(path.join(partners.root, 'alice.txt'), 'utf8')).toBe('from alice')
  })

  it('refuses to remove or move a mount point', async () => {
    for (const [method, url, body] of [
      ['DELETE', '/api/v1/dirs/ops?recursive=true', undefined],
      ['POST', '/api/v1/move', { from: '/ops', to: '/ops2' }],
      ['POST', '/api/v1/move', { from: '/mine.txt', to: '/partners' }],
    ] as const) {
      const res = await api(ALICE, method, url, body)
      expect(res.status, `${method} ${url}`).toBe(403)
    }
  })

  it('keeps serving the others when one server refuses a login (403 there, not 401)', async () => {
    // bob is on ops's deny list: ops refuses him, web accepts him.
    const refused = await api(BOB, 'GET', '/api/v1/dirs/ops')
    expect(refused.status).toBe(403)
    expect(await names(BOB, '')).toContain('archive')
    const read = await api(ALICE, 'GET', '/api/v1/files/ops/ops.txt')
    expect(await read.text()).toBe('ops file')
  })

  it('copies and moves between servers through the tree (REST and WebDAV)', async () => {
    const copy = await api(ALICE, 'POST', '/api/v1/copy', { from: '/mine.txt', to: '/partners/copied.txt' })
    expect(copy.status).toBeLessThan(300)
    expect(await readFile(path.join(partners.root, 'copied.txt'), 'utf8')).toBe('alice at home')
    const move = await fetch(`${gw.url}/dav/partners/copied.txt`, {
      method: 'MOVE',
      headers: { ...as(ALICE), destination: `${gw.url}/dav/ops/moved.txt` },
    })
    expect(move.status).toBe(201)
    expect(await readFile(path.join(homeOf(ops, ALICE).root, 'moved.txt'), 'utf8')).toBe('alice at home')
    await expect(stat(path.join(partners.root, 'copied.txt'))).rejects.toThrow()
    // A copy onto an existing name without overwrite: 409 and the target untouched.
    const again = await api(ALICE, 'POST', '/api/v1/copy', { from: '/mine.txt', to: '/ops/moved.txt' })
    expect(again.status).toBe(409)
    // A folder, recursively, across servers.
    const dir = await api(ALICE, 'POST', '/api/v1/copy', { from: '/teams/finance', to: '/finance-copy' })
    expect(dir.status).toBeLessThan(300)
    // The audit lines name the servers on both sides, and the person.
    const audit = logs.records.filter((r) => r.audit === true && r.outcome === 'success')
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'copy', user: ALICE, upstream: 'web', toUpstream: 'partners' }),
    )
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'move', user: ALICE, upstream: 'partners', toUpstream: 'ops' }),
    )
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'copy',
        path: '/teams/finance',
        upstream: 'partners',
        toUpstream: 'web',
      }),
    )
    expect(await readFile(path.join(homeOf(web, ALICE).root, 'finance-copy', 'q1.txt'), 'utf8')).toBe(
      'numbers',
    )
  })

  it('names the upstream in /metrics and in /readyz', async () => {
    const metrics = await (await fetch(`${gw.url}/metrics`)).text()
    for (const name of ['web', 'ops', 'partners', 'archive'])
      expect(metrics).toContain(`ftpgw_pool_sessions_created_total{upstream="${name}"}`)
    expect(metrics).toMatch(/ftpgw_ftp_command_duration_seconds_count\{upstream="partners",command="RETR"/)
    const ready = (await (await fetch(`${gw.url}/readyz`)).json()) as { checks: Record<string, string> }
    expect(ready.checks).toMatchObject({ 'upstream:web': 'ok', 'upstream:archive': 'ok' })
  })

  it('keeps the other mounts serving while one server is down: 503 with Retry-After only there', async () => {
    archive.kill()
    // The pool finds out on the next use; the probe within 2 s.
    const down = await api(ALICE, 'GET', '/api/v1/dirs/archive')
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await api(ALICE, 'GET', '/api/v1/files/mine.txt')).status).toBe(200)
    expect((await api(ALICE, 'GET', '/api/v1/files/teams/finance/q1.txt')).status).toBe(200)
    const ready = await fetch(`${gw.url}/readyz`)
    expect(ready.status).toBe(200)
  })
})
