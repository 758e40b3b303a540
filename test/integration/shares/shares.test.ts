/**
 * Share links and drop boxes (issue 20) over real vsftpd and the real Redis: the API's contract,
 * a file downloaded whole and by Range, revocation, passwords (Basic and the form's cookie),
 * expiry, `maxUses`, every traversal form refused with no FTP command, symbolic links out of the
 * share, a drop box that never lists, reads or overwrites, ownership between users (both sides),
 * a creator who loses access, and the store holding no password in clear.
 */
import { chown, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FtpCommandEvent, onFtpCommand } from '../../../src/ftp/index.js'
import { run } from '../../helpers/client-tools.js'
import {
  basicAuth,
  type GatewayHandle,
  SHARED_REDIS_URL,
  startGateway,
  testKeyPrefix,
} from '../../helpers/gateway.js'
import { type CapturedLogs, captureLogs } from '../../helpers/log-capture.js'
import { startVsftpd, type VsftpdHandle } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'
import { centralEntries } from '../../helpers/zip.js'

const OWNER = { name: 'ftpgw-share-owner', password: 'owner-pw-Q7x9' }
const OTHER = { name: 'ftpgw-share-other', password: 'other-pw-K3m5' }
const SHARE_PASSWORD = 'open-sesame-Z8v2'
const CONTENT = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251))

/** A raw GET (or other method) with the path sent exactly as written (fetch would normalise it). */
function raw(url: string, rawPath: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method }, (res) => {
      let body = ''
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('share links on vsftpd', () => {
  let server: VsftpdHandle
  let gw: GatewayHandle
  let prefix: string
  let owner: string
  let other: string
  let admin: string
  let ownerRoot: string
  const commands: FtpCommandEvent[] = []
  let unsubscribe: () => void
  let logs: CapturedLogs

  async function create(body: Record<string, unknown>, auth = owner) {
    const res = await fetch(`${gw.url}/api/v1/shares`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: res.status, json: (await res.json()) as Record<string, unknown> & { id: string } }
  }

  beforeAll(async () => {
    server = await startVsftpd({ users: [OWNER, OTHER] })
    prefix = testKeyPrefix('shares')
    logs = captureLogs('info')
    gw = await startGateway(
      server,
      {
        REDIS_KEY_PREFIX: prefix,
        GATEWAY_ADMINS: `user:${server.user}`,
        // Low enough to reach in a test: 61 requests span at most two windows, one has over 30.
        SHARE_RATE_LIMIT: '30',
        // The test client is the "proxy": X-Forwarded-For/-Proto are believed from loopback only.
        TRUST_PROXY: 'loopback',
      },
      { logger: logs.logger },
    )
    owner = basicAuth(OWNER.name, OWNER.password)
    other = basicAuth(OTHER.name, OTHER.password)
    admin = basicAuth(server.user, server.password)
    const u = server.users.find((x) => x.user === OWNER.name)!
    ownerRoot = u.root
    for (const dir of ['pub', 'pub/sub', 'secret', 'inbox']) {
      await mkdir(path.join(ownerRoot, dir))
      await chown(path.join(ownerRoot, dir), u.uid, u.gid)
    }
    await writeFile(path.join(ownerRoot, 'report.bin'), CONTENT)
    await writeFile(path.join(ownerRoot, 'pub/a.txt'), 'in the share')
    await writeFile(path.join(ownerRoot, 'pub/sub/b.txt'), 'deeper')
    await writeFile(path.join(ownerRoot, 'secret/s.txt'), 'not for you')
    await writeFile(path.join(ownerRoot, 'inbox/existing.txt'), 'already here')
    // A link inside the shared folder that points out of it (still inside the FTP root).
    await symlink('../secret/s.txt', path.join(ownerRoot, 'pub/link.txt'))
    unsubscribe = onFtpCommand((e) => commands.push(e))
  }, 60_000)
  afterAll(async () => {
    unsubscribe?.()
    await gw?.close()
    await server?.stop()
  })

  it('creates a read share of a file with the contract fields; downloads it whole and by Range; HEAD uses nothing', async () => {
    const { status, json } = await create({ path: '/report.bin', kind: 'read', maxUses: 5, label: 'Q3' })
    expect(status).toBe(201)
    expect(json.id).toMatch(/^[A-Za-z0-9_-]{24}$/)
    expect(Buffer.from(json.id, 'base64url')).toHaveLength(18)
    expect(json).toMatchObject({
      path: '/report.bin',
      kind: 'read',
      usesLeft: 5,
      label: 'Q3',
      hasPassword: false,
    })
    expect(json.url).toBe(`${gw.url}/s/${json.id}`)
    for (const key of ['expiresAt', 'createdAt', 'allowedAddresses']) expect(json).toHaveProperty(key)
    const head = await fetch(`${gw.url}/s/${json.id}/download`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    const whole = await fetch(`${gw.url}/s/${json.id}/download`)
    expect(whole.status).toBe(200)
    expect(Buffer.from(await whole.arrayBuffer()).equals(CONTENT)).toBe(true)
    expect(whole.headers.get('content-security-policy')).toContain('sandbox')
    const part = await fetch(`${gw.url}/s/${json.id}/download`, { headers: { range: 'bytes=1000-1999' } })
    expect(part.status).toBe(206)
    expect(Buffer.from(await part.arrayBuffer()).equals(CONTENT.subarray(1000, 2000))).toBe(true)
    const list = (await (
      await fetch(`${gw.url}/api/v1/shares`, { headers: { authorization: owner } })
    ).json()) as {
      shares: Array<{ id: string; usesLeft: number }>
    }
    // Two GETs used two; the HEAD none.
    expect(list.shares.find((s) => s.id === json.id)?.usesLeft).toBe(3)
    const page = await fetch(`${gw.url}/s/${json.id}`)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(page.headers.get('referrer-policy')).toBe('same-origin')
    expect(await page.text()).toContain('report.bin')
  })

  it('stops serving a revoked share on the next request (404)', async () => {
    const { json } = await create({ path: '/report.bin', kind: 'read' })
    expect((await fetch(`${gw.url}/s/${json.id}/download`)).status).toBe(200)
    const del = await fetch(`${gw.url}/api/v1/shares/${json.id}`, {
      method: 'DELETE',
      headers: { authorization: owner },
    })
    expect(del.status).toBe(204)
    expect((await fetch(`${gw.url}/s/${json.id}/download`)).status).toBe(404)
    expect((await fetch(`${gw.url}/s/${json.id}`)).status).toBe(404)
  })

  it('refuses a use beyond maxUses with 410, without serving it', async () => {
    const { json } = await create({ path: '/pub/a.txt', kind: 'read', maxUses: 2 })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${gw.url}/s/${json.id}/download`)).status)
    expect(statuses).toEqual([200, 200, 410, 410])
    const page = await fetch(`${gw.url}/s/${json.id}`, { headers: { accept: 'text/html' } })
    expect(page.status).toBe(410)
    expect(await page.text()).toContain('used up')
  })

  it('serves only the allowed addresses (403 otherwise) and refuses entries that are not addresses', async () => {
    const far = await create({
      path: '/pub/a.txt',
      kind: 'read',
      allowedAddresses: ['10.9.9.9', '192.0.2.0/24'],
    })
    expect(far.json.allowedAddresses).toEqual(['10.9.9.9', '192.0.2.0/24'])
    const refused = await fetch(`${gw.url}/s/${far.json.id}/download`)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { code: string }).code).toBe('GW_ERR_SHARE_ADDRESS')
    const near = await create({ path: '/pub/a.txt', kind: 'read', allowedAddresses: ['127.0.0.0/8'] })
    expect((await fetch(`${gw.url}/s/${near.json.id}/download`)).status).toBe(200)
    expect(
      (await create({ path: '/pub/a.txt', kind: 'read', allowedAddresses: ['example.com'] })).status,
    ).toBe(400)
    // The address is the client's as TRUST_PROXY makes it, like the rest of the app.
    const forwarded = (ip: string) =>
      fetch(`${gw.url}/s/${far.json.id}/download`, { headers: { 'x-forwarded-for': ip } })
    expect((await forwarded('192.0.2.44')).status).toBe(200)
    expect((await forwarded('198.51.100.1')).status).toBe(403)
  })

  it('takes the password as Basic (any user name) or through the form, whose cookie is scoped to the share', async () => {
    const { json } = await create({ path: '/pub/a.txt', kind: 'read', password: SHARE_PASSWORD })
    expect(json.hasPassword).toBe(true)
    const url = `${gw.url}/s/${json.id}/download`
    expect((await fetch(url)).status).toBe(401)
    expect((await fetch(url, { headers: { authorization: basicAuth('x', 'wrong') } })).status).toBe(401)
    const right = await fetch(url, { headers: { authorization: basicAuth('anyone', SHARE_PASSWORD) } })
    expect(right.status).toBe(200)
    expect(await right.text()).toBe('in the share')
    const form = (password: string, extra: Record<string, string> = {}) =>
      fetch(`${gw.url}/s/${json.id}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...extra },
        body: new URLSearchParams({ password }).toString(),
      })
    const wrong = await form('nope')
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toContain('not right')
    // Another site's page posting the form is refused before the password is looked at.
    expect((await form(SHARE_PASSWORD, { origin: 'https://evil.example' })).status).toBe(403)
    const ok = await form(SHARE_PASSWORD)
    expect(ok.status).toBe(303)
    const cookie = ok.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(
      new RegExp(`^ftpgw_share=[^;]+; Path=/s/${json.id}; Max-Age=\\d+; HttpOnly; SameSite=Lax$`),
    )
    // Secure when the request came over HTTPS (here: through a trusted proxy that says so).
    const overTls = await form(SHARE_PASSWORD, { 'x-forwarded-proto': 'https' })
    expect(overTls.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Lax; Secure$/)
    const withCookie = await fetch(url, { headers: { cookie: cookie.split(';')[0]! } })
    expect(withCookie.status).toBe(200)
    // The cookie of one share opens no other.
    const second = await create({ path: '/pub/a.txt', kind: 'read', password: SHARE_PASSWORD })
    const cross = await fetch(`${gw.url}/s/${second.json.id}/download`, {
      headers: { cookie: cookie.split(';')[0]! },
    })
    expect(cross.status).toBe(401)
  })

  it('answers 410 once a share has expired', async () => {
    const { json } = await create({ path: '/pub/a.txt', kind: 'read', expiresInSeconds: 1 })
    expect((await fetch(`${gw.url}/s/${json.id}/download`)).status).toBe(200)
    expect(
      // Polled gently: every request counts against SHARE_RATE_LIMIT (30 a minute here).
      await waitFor(async () => (await fetch(`${gw.url}/s/${json.id}/download`)).status === 410, 10_000, 250),
    ).toBe(true)
    const problem = (await (await fetch(`${gw.url}/s/${json.id}/download`)).json()) as { code: string }
    expect(problem.code).toBe('GW_ERR_SHARE_EXPIRED')
  })

  it('refuses every traversal form with 400/404 and sends no FTP command', async () => {
    const { json } = await create({ path: '/pub', kind: 'read' })
    const base = `/s/${json.id}/files`
    // A warm-up read, so nothing below is a first-time login.
    expect((await fetch(`${gw.url}${base}/a.txt`)).status).toBe(200)
    const attempts = [
      `${base}/../secret/s.txt`,
      `${base}/../../report.bin`,
      `${base}/%2e%2e/secret/s.txt`,
      `${base}/%2E%2E%2Fsecret%2Fs.txt`,
      `${base}/..%2fsecret/s.txt`,
      `${base}/sub/..%2F..%2Fsecret/s.txt`,
      `${base}/..\\secret\\s.txt`,
      `${base}/..%5csecret%5cs.txt`,
      `${base}//secret/s.txt`,
      `${base}/%2Fsecret/s.txt`,
      `${base}/a.txt%00.jpg`,
      `${base}/%252e%252e/../secret`,
      `/s/${json.id}/../../api/v1/files/secret/s.txt`,
    ]
    const before = commands.length
    for (const attempt of attempts) {
      const res = await raw(gw.url, attempt)
      expect([400, 404], `${attempt} → ${res.status}`).toContain(res.status)
      expect(res.body).not.toContain('not for you')
    }
    expect(commands.slice(before).map((c) => c.command)).toEqual([])
  })

  it('neither lists nor serves a symbolic link that points out of the shared folder', async () => {
    const { json } = await create({ path: '/pub', kind: 'read' })
    const page = await (await fetch(`${gw.url}/s/${json.id}`)).text()
    expect(page).toContain('a.txt')
    expect(page).not.toContain('link.txt')
    const res = await fetch(`${gw.url}/s/${json.id}/files/link.txt`)
    expect(res.status).toBe(404)
    expect(await res.text()).not.toContain('not for you')
    // Deeper files and folder pages inside the share work; breadcrumbs stay inside it.
    expect(await (await fetch(`${gw.url}/s/${json.id}/files/sub/b.txt`)).text()).toBe('deeper')
    const sub = await (
      await fetch(`${gw.url}/s/${json.id}/files/sub/`, { headers: { accept: 'text/html' } })
    ).text()
    expect(sub).toContain('b.txt')
    expect(sub).not.toContain('secret')
  })

  it('serves a shared folder as one zip (one use, the link out left out); file and drop shares have none', async () => {
    const { json } = await create({ path: '/pub', kind: 'read', maxUses: 1 })
    const page = await (await fetch(`${gw.url}/s/${json.id}`, { headers: { accept: 'text/html' } })).text()
    expect(page).toContain(`href="/s/${json.id}/zip"`)
    const res = await fetch(`${gw.url}/s/${json.id}/zip`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/zip')
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'ftpgw-share-zip-')), 'pub.zip')
    await writeFile(file, Buffer.from(await res.arrayBuffer()))
    expect((await centralEntries(file)).map((e) => e.name).sort()).toEqual(['a.txt', 'sub/', 'sub/b.txt'])
    const unzip = (name: string) => run('unzip', ['-p', file, name]).then((r) => r.stdout.toString())
    expect(await unzip('a.txt')).toBe('in the share')
    expect(await unzip('sub/b.txt')).toBe('deeper')
    // That was the one use: the zip and the files are gone for this link.
    expect((await fetch(`${gw.url}/s/${json.id}/zip`)).status).toBe(410)
    expect((await fetch(`${gw.url}/s/${json.id}/files/a.txt`)).status).toBe(410)
    // A share of a file and a drop box have no zip, and refusing uses nothing.
    const single = await create({ path: '/pub/a.txt', kind: 'read', maxUses: 1 })
    expect((await fetch(`${gw.url}/s/${single.json.id}/zip`)).status).toBe(403)
    expect((await fetch(`${gw.url}/s/${single.json.id}/download`)).status).toBe(200)
    const drop = await create({ path: '/inbox', kind: 'drop' })
    expect((await fetch(`${gw.url}/s/${drop.json.id}/zip`)).status).toBe(403)
  })

  it('a drop box takes new files and refuses to overwrite, list or read', async () => {
    const { status, json } = await create({ path: '/inbox', kind: 'drop' })
    expect(status).toBe(201)
    const put = (name: string, body: string) =>
      fetch(`${gw.url}/s/${json.id}/files/${name}`, { method: 'PUT', body })
    expect((await put('new.txt', 'dropped')).status).toBe(201)
    expect(await readFile(path.join(ownerRoot, 'inbox/new.txt'), 'utf8')).toBe('dropped')
    expect((await put('existing.txt', 'overwrite!')).status).toBe(412)
    expect((await put('new.txt', 'again')).status).toBe(412)
    expect(await readFile(path.join(ownerRoot, 'inbox/existing.txt'), 'utf8')).toBe('already here')
    expect((await put('sub%2Fx.txt', 'x')).status).toBe(400)
    // An empty body is an empty file.
    expect((await fetch(`${gw.url}/s/${json.id}/files/empty.txt`, { method: 'PUT' })).status).toBe(201)
    expect(await readFile(path.join(ownerRoot, 'inbox/empty.txt'), 'utf8')).toBe('')
    expect((await fetch(`${gw.url}/s/${json.id}/files/existing.txt`)).status).toBe(403)
    expect((await fetch(`${gw.url}/s/${json.id}/download`)).status).toBe(403)
    const page = await (await fetch(`${gw.url}/s/${json.id}`)).text()
    expect(page).toContain('drop-form')
    expect(page).not.toContain('existing.txt')
    expect(page).not.toContain('new.txt')
    // A read share takes no upload.
    const read = await create({ path: '/pub', kind: 'read' })
    expect(
      (await fetch(`${gw.url}/s/${read.json.id}/files/z.txt`, { method: 'PUT', body: 'z' })).status,
    ).toBe(403)
  })

  it('another user can neither list nor revoke your share, nor you theirs; an admin sees and revokes all', async () => {
    const mine = await create({ path: '/pub/a.txt', kind: 'read' })
    const theirs = await create({ path: '/', kind: 'read' }, other)
    expect(theirs.status).toBe(201)
    const ids = async (auth: string) =>
      (
        (await (await fetch(`${gw.url}/api/v1/shares`, { headers: { authorization: auth } })).json()) as {
          shares: Array<{ id: string }>
        }
      ).shares.map((s) => s.id)
    expect(await ids(other)).toContain(theirs.json.id)
    expect(await ids(other)).not.toContain(mine.json.id)
    expect(await ids(owner)).not.toContain(theirs.json.id)
    const del = (id: string, auth: string) =>
      fetch(`${gw.url}/api/v1/shares/${id}`, { method: 'DELETE', headers: { authorization: auth } })
    expect((await del(mine.json.id, other)).status).toBe(404)
    expect((await del(theirs.json.id, owner)).status).toBe(404)
    expect((await fetch(`${gw.url}/s/${mine.json.id}/download`)).status).toBe(200)
    expect((await fetch(`${gw.url}/s/${theirs.json.id}`)).status).toBe(200)
    const all = await ids(admin)
    expect(all).toEqual(expect.arrayContaining([mine.json.id, theirs.json.id]))
    expect((await del(theirs.json.id, admin)).status).toBe(204)
    expect((await fetch(`${gw.url}/s/${theirs.json.id}`)).status).toBe(404)
  })

  it('keeps no password in clear in the store', async () => {
    await create({ path: '/pub/a.txt', kind: 'read', password: SHARE_PASSWORD })
    const redis = new Redis(SHARED_REDIS_URL)
    try {
      const keys = await redis.keys(`${prefix}share*`)
      expect(keys.length).toBeGreaterThanOrEqual(2)
      let dump = ''
      for (const key of keys) {
        const type = await redis.type(key)
        if (type === 'string') dump += await redis.get(key)
        if (type === 'hash') dump += JSON.stringify(await redis.hgetall(key))
      }
      expect(dump).toContain('scrypt$')
      for (const secret of [OWNER.password, OTHER.password, SHARE_PASSWORD]) {
        expect(dump).not.toContain(secret)
        expect(dump).not.toContain(Buffer.from(secret).toString('base64'))
      }
    } finally {
      redis.disconnect()
    }
  })

  it('writes one audit line per use: id, address, path, bytes, outcome', async () => {
    const { json } = await create({ path: '/report.bin', kind: 'read', maxUses: 1 })
    const mark = logs.records.length
    expect((await fetch(`${gw.url}/s/${json.id}/download`)).status).toBe(200)
    expect((await fetch(`${gw.url}/s/${json.id}/download`)).status).toBe(410)
    expect(
      await waitFor(() => logs.since(mark).filter((r) => r.action === 'share-use').length === 2, 5000),
    ).toBe(true)
    const lines = logs.since(mark).filter((r) => r.action === 'share-use')
    expect(lines[0]).toMatchObject({
      audit: true,
      share: json.id,
      address: '127.0.0.1',
      path: '/report.bin',
      size: CONTENT.length,
      outcome: 'success',
      status: 200,
    })
    expect(lines[1]).toMatchObject({ share: json.id, outcome: 'failure', status: 410, size: 0 })
    expect(JSON.stringify(logs.records)).not.toContain(OWNER.password)
  })

  it('limits the requests of one share per minute through the store (429)', async () => {
    const { json } = await create({ path: '/pub/a.txt', kind: 'read' })
    const statuses: number[] = []
    for (let i = 0; i < 61; i++) statuses.push((await fetch(`${gw.url}/s/${json.id}`)).status)
    expect(statuses).toContain(429)
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(30)
    // Another share is not limited by this one's count.
    const fresh = await create({ path: '/pub/a.txt', kind: 'read' })
    expect((await fetch(`${gw.url}/s/${fresh.json.id}`)).status).toBe(200)
  })

  it('counts uses in /metrics', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text()
    const line = text
      .split('\n')
      .find((l) => l.startsWith('ftpgw_share_uses_total{kind="read",outcome="success"}'))
    expect(Number(line?.split(' ').pop())).toBeGreaterThan(5)
    expect(text).toMatch(/ftpgw_share_bytes_total\{kind="drop"\} \d+/)
  })
})
