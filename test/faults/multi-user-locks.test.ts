/**
 * Issue 15 item 3: WebDAV locks and dead properties belong to the tree the caller's session sees.
 * Real vsftpd with two FTP accounts chrooted to homes of their own, and two gateway instances
 * sharing one Redis (key prefix per gateway group). With Basic passthrough, ftpu1's
 * `LOCK /dav/` Depth infinity must not touch ftpu2's home, ftpu2 can neither use nor UNLOCK
 * ftpu1's token, and properties do not leak; in service-account mode (htpasswd users alice and
 * bob over one FTP account) the lock IS shared for conflicts, but only alice may use or remove it.
 */
import { existsSync } from 'node:fs'
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import bcrypt from 'bcryptjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway, testKeyPrefix } from '../helpers/gateway.js'
import { startVsftpd, type VsftpdHandle } from '../helpers/servers/index.js'

const LOCKINFO =
  '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  '<D:locktype><D:write/></D:locktype><D:owner>OWNER</D:owner></D:lockinfo>'
const PROPPATCH =
  '<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:red-team">' +
  '<D:set><D:prop><Z:secret>VALUE</Z:secret></D:prop></D:set></D:propertyupdate>'
const PROPFIND_SECRET =
  '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:Z="urn:red-team">' +
  '<D:prop><Z:secret/><D:lockdiscovery/></D:prop></D:propfind>'

interface Dav {
  status: number
  body: string
  headers: Headers
}

async function dav(
  gw: GatewayHandle,
  method: string,
  url: string,
  auth: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Dav> {
  const r = await fetch(`${gw.url}/dav/${url}`, {
    method,
    headers: { authorization: auth, ...headers },
    ...(body === undefined ? {} : { body }),
  })
  return { status: r.status, body: await r.text(), headers: r.headers }
}

async function lockOf(gw: GatewayHandle, url: string, auth: string, owner: string, depth = 'infinity') {
  const r = await dav(
    gw,
    'LOCK',
    url,
    auth,
    { depth, timeout: 'Infinite', 'content-type': 'application/xml' },
    LOCKINFO.replace('OWNER', owner),
  )
  const token = /<([^>]+)>/.exec(r.headers.get('lock-token') ?? '')?.[1] ?? ''
  return { ...r, token }
}

/** Tokens the lockdiscovery of `url` shows this caller. */
async function discovered(gw: GatewayHandle, url: string, auth: string): Promise<string[]> {
  const r = await dav(gw, 'PROPFIND', url, auth, { depth: '0' }, PROPFIND_SECRET)
  expect(r.status).toBe(207)
  return [...r.body.matchAll(/<D:locktoken><D:href>([^<]+)<\/D:href>/g)].map((m) => m[1] as string)
}

describe('WebDAV locks and properties with Basic passthrough (two FTP users, two instances)', () => {
  let server: VsftpdHandle
  let a: GatewayHandle
  let b: GatewayHandle
  let u1: string
  let u2: string
  let root1: string
  let root2: string

  beforeAll(async () => {
    server = await startVsftpd({
      users: [
        { name: 'ftpgw-ftpu1', password: 'ftpu1-pw' },
        { name: 'ftpgw-ftpu2', password: 'ftpu2-pw' },
      ],
    })
    const [one, two] = server.users as [VsftpdHandle['users'][0], VsftpdHandle['users'][0]]
    u1 = basicAuth(one.user, one.password)
    u2 = basicAuth(two.user, two.password)
    root1 = one.root
    root2 = two.root
    const env = { REDIS_KEY_PREFIX: testKeyPrefix('mulocks'), CACHE_TTL_MS: '2000' }
    ;[a, b] = await Promise.all([startGateway(server, env), startGateway(server, env)])
  })
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()])
    await server?.stop()
  })

  it("ftpu1's depth-infinity lock on / leaves ftpu2's home alone, on both instances", async () => {
    const held = await lockOf(a, '', u1, 'ftpu1')
    expect(held.status).toBe(200)
    // Timeout: Infinite is granted as the one-hour cap, not a week.
    expect(held.body).toContain('<D:timeout>Second-3600</D:timeout>')

    for (const gw of [a, b]) {
      // ftpu2 writes, makes folders and deletes in its own home without any token.
      const put = await dav(gw, 'PUT', 'u2.txt', u2, {}, 'two')
      expect(put.status).toBeLessThan(300)
      expect((await dav(gw, 'MKCOL', 'u2dir', u2)).status).toBe(201)
      expect((await dav(gw, 'DELETE', 'u2dir', u2)).status).toBeLessThan(300)
      // ftpu2's lockdiscovery shows nothing of ftpu1's lock.
      const mine = await discovered(gw, '', u2)
      expect(mine).toEqual([])
      // ftpu1 still holds its lock, seen from either instance, and a write without it is refused.
      expect(await discovered(gw, '', u1)).toEqual([held.token])
      expect((await dav(gw, 'PUT', 'u1.txt', u1, {}, 'one')).status).toBe(423)
    }
    expect(await readFile(path.join(root2, 'u2.txt'), 'utf8')).toBe('two')
    expect(existsSync(path.join(root1, 'u1.txt'))).toBe(false)

    // ftpu2 cannot write with ftpu1's token: the If header does not hold for it; nothing written.
    const forged = await dav(b, 'PUT', 'forged.txt', u2, { if: `(<${held.token}>)` }, 'x')
    expect(forged.status).toBe(412)
    expect(existsSync(path.join(root2, 'forged.txt'))).toBe(false)
    // ... nor UNLOCK it, on its own URL or ftpu1's.
    expect((await dav(b, 'UNLOCK', '', u2, { 'lock-token': `<${held.token}>` })).status).toBe(409)
    expect(await discovered(a, '', u1)).toEqual([held.token])

    // ftpu1 uses, refreshes and removes its lock, across instances.
    const write = await dav(b, 'PUT', 'u1.txt', u1, { if: `(<${held.token}>)` }, 'one')
    expect(write.status).toBe(201)
    const refresh = await dav(a, 'LOCK', '', u1, { if: `(<${held.token}>)`, timeout: 'Second-600' })
    expect(refresh.status).toBe(200)
    expect(refresh.body).toContain('<D:timeout>Second-600</D:timeout>')
    expect((await dav(b, 'UNLOCK', '', u1, { 'lock-token': `<${held.token}>` })).status).toBe(204)
    expect(await discovered(a, '', u1)).toEqual([])
    expect((await dav(a, 'PUT', 'u1.txt', u1, {}, 'one again')).status).toBe(204)
  })

  it("a property ftpu1 sets is not on ftpu2's file of the same name", async () => {
    await writeFile(path.join(root1, 'same.txt'), 'one')
    await writeFile(path.join(root2, 'same.txt'), 'two')
    const set = await dav(a, 'PROPPATCH', 'same.txt', u1, {}, PROPPATCH.replace('VALUE', 'ftpu1-only'))
    expect(set.status).toBe(207)
    expect(set.body).toContain('200 OK')
    for (const gw of [a, b]) {
      const own = await dav(gw, 'PROPFIND', 'same.txt', u1, { depth: '0' }, PROPFIND_SECRET)
      expect(own.body).toContain('ftpu1-only')
      const other = await dav(gw, 'PROPFIND', 'same.txt', u2, { depth: '0' }, PROPFIND_SECRET)
      expect(other.status).toBe(207)
      expect(other.body).not.toContain('ftpu1-only')
      // Depth 1 of the folder (one MGET for the children) does not show it either.
      const listing = await dav(gw, 'PROPFIND', '', u2, { depth: '1' })
      expect(listing.body).not.toContain('ftpu1-only')
    }
    // The caches are per login: each user reads its own bytes and listing through one instance,
    // however quickly they alternate (content cache, shared reads, rendered listing bodies).
    for (let i = 0; i < 2; i++) {
      const [g1, g2] = await Promise.all([dav(a, 'GET', 'same.txt', u1), dav(a, 'GET', 'same.txt', u2)])
      expect([g1.body, g2.body]).toEqual(['one', 'two'])
      const [l1, l2] = await Promise.all([
        dav(a, 'PROPFIND', '', u1, { depth: '1' }),
        dav(a, 'PROPFIND', '', u2, { depth: '1' }),
      ])
      expect(l1.body).toContain('/dav/u1.txt<')
      expect(l1.body).not.toContain('/dav/u2.txt<')
      expect(l2.body).toContain('/dav/u2.txt<')
      expect(l2.body).not.toContain('/dav/u1.txt<')
    }
    // ftpu2 setting its own value leaves ftpu1's alone.
    await dav(b, 'PROPPATCH', 'same.txt', u2, {}, PROPPATCH.replace('VALUE', 'ftpu2-own'))
    const own = await dav(a, 'PROPFIND', 'same.txt', u1, { depth: '0' }, PROPFIND_SECRET)
    expect(own.body).toContain('ftpu1-only')
    expect(own.body).not.toContain('ftpu2-own')
  })

  it('a lock on a resource the FTP server will not create for the user is refused, leaving nothing', async () => {
    // vsftpd refuses STOR in a folder the user cannot write: the lock-null resource cannot be made.
    const readonlyDir = path.join(root2, 'ro')
    await rm(readonlyDir, { recursive: true, force: true })
    await mkdir(readonlyDir, { mode: 0o755 })
    const refused = await lockOf(a, 'ro/new.txt', u2, 'ftpu2', '0')
    expect(refused.status).toBe(403)
    expect(existsSync(path.join(readonlyDir, 'new.txt'))).toBe(false)
    // No lock was left behind: the same LOCK is refused again for the same reason (not 423).
    expect((await lockOf(b, 'ro/new.txt', u2, 'ftpu2', '0')).status).toBe(403)
  })
})

describe('WebDAV locks in service-account mode (htpasswd alice and bob over one FTP account)', () => {
  let server: VsftpdHandle
  let a: GatewayHandle
  let b: GatewayHandle
  let htpasswd: string
  const alice = basicAuth('alice', 'alice-pw')
  const bob = basicAuth('bob', 'bob-pw')

  beforeAll(async () => {
    server = await startVsftpd()
    htpasswd = path.join(tmpdir(), `ftpgw-mulocks-${process.pid}.htpasswd`)
    await writeFile(
      htpasswd,
      `alice:${bcrypt.hashSync('alice-pw', 4)}\nbob:${bcrypt.hashSync('bob-pw', 4)}\n`,
    )
    const env = {
      FTP_URL: `ftp://${server.user}:${server.password}@127.0.0.1:${server.port}`,
      GATEWAY_HTPASSWD: htpasswd,
      REDIS_KEY_PREFIX: testKeyPrefix('mulocks-svc'),
    }
    ;[a, b] = await Promise.all([startGateway(server, env), startGateway(server, env)])
  })
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()])
    await server?.stop()
    await rm(htpasswd, { force: true })
  })

  it("bob is blocked by alice's lock, cannot use or UNLOCK her token; alice can", async () => {
    await writeFile(path.join(server.root, 'doc.txt'), 'v1')
    await chown(path.join(server.root, 'doc.txt'), server.uid, server.gid)
    const held = await lockOf(a, 'doc.txt', alice, 'alice', '0')
    expect(held.status).toBe(200)

    // One tree: the lock is shared for conflicts, and bob sees it in lockdiscovery.
    expect((await dav(b, 'PUT', 'doc.txt', bob, {}, 'bob')).status).toBe(423)
    expect((await lockOf(b, 'doc.txt', bob, 'bob', '0')).status).toBe(423)
    expect(await discovered(b, 'doc.txt', bob)).toEqual([held.token])
    // Bob submitting alice's token gets 423: the token is not his to use.
    const forged = await dav(b, 'PUT', 'doc.txt', bob, { if: `(<${held.token}>)` }, 'bob')
    expect(forged.status).toBe(423)
    const refresh = await dav(a, 'LOCK', 'doc.txt', bob, { if: `(<${held.token}>)`, timeout: 'Second-60' })
    expect(refresh.status).toBe(423)
    // ... and his UNLOCK is forbidden, the lock untouched.
    expect((await dav(a, 'UNLOCK', 'doc.txt', bob, { 'lock-token': `<${held.token}>` })).status).toBe(403)
    expect(await readFile(path.join(server.root, 'doc.txt'), 'utf8')).toBe('v1')
    expect(await discovered(a, 'doc.txt', alice)).toEqual([held.token])

    // Alice writes with her token on the other instance, then unlocks.
    expect((await dav(b, 'PUT', 'doc.txt', alice, { if: `(<${held.token}>)` }, 'v2')).status).toBe(204)
    expect((await dav(b, 'UNLOCK', 'doc.txt', alice, { 'lock-token': `<${held.token}>` })).status).toBe(204)
    expect((await dav(a, 'PUT', 'doc.txt', bob, {}, 'bob')).status).toBe(204)
  })

  it('dead properties are shared: one tree, one set of properties', async () => {
    await writeFile(path.join(server.root, 'shared.txt'), 'x')
    await chown(path.join(server.root, 'shared.txt'), server.uid, server.gid)
    const set = await dav(a, 'PROPPATCH', 'shared.txt', alice, {}, PROPPATCH.replace('VALUE', 'by-alice'))
    expect(set.status).toBe(207)
    const seen = await dav(b, 'PROPFIND', 'shared.txt', bob, { depth: '0' }, PROPFIND_SECRET)
    expect(seen.body).toContain('by-alice')
  })
})
