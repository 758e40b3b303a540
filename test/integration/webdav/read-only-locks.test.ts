/**
 * Issue 15 item 3: nobody locks what they cannot write. ProFTPD gives MLSx `perm` facts for the
 * logged-in user: a file or folder the user may not change (owned by root here) gets 403 on LOCK
 * with no lock made and, for a new resource, no STOR sent. Pure-FTPd gives no `perm` facts (only
 * `unix.mode`): there a lock-null resource the server refuses to create is still 403, with
 * nothing left behind (no file, no lock).
 */
import { chown, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway, testKeyPrefix } from '../../helpers/gateway.js'
import { type FtpServerHandle, ftpServers } from '../../helpers/servers/index.js'

const LOCKINFO =
  '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>' +
  '<D:locktype><D:write/></D:locktype></D:lockinfo>'

describe.each(ftpServers.filter((s) => s.supports.mlsd))('LOCK of read-only resources on $name', (kind) => {
  let server: FtpServerHandle
  let gw: GatewayHandle
  let auth: string

  beforeAll(async () => {
    server = await kind.start()
    auth = basicAuth(server.user, server.password)
    // Root's, readable by all, writable by nobody else.
    await writeFile(path.join(server.root, 'fixed.txt'), 'fixed', { mode: 0o644 })
    await mkdir(path.join(server.root, 'sealed'), { mode: 0o755 })
    const mine = path.join(server.root, 'mine.txt')
    await writeFile(mine, 'mine')
    await chown(mine, server.uid, server.gid)
    gw = await startGateway(server, { REDIS_KEY_PREFIX: testKeyPrefix('rolocks'), CACHE_TTL_MS: '0' })
  })
  afterAll(async () => {
    await gw?.close()
    await server?.stop()
  })

  const lock = (url: string) =>
    fetch(`${gw.url}/dav/${url}`, {
      method: 'LOCK',
      headers: { authorization: auth, depth: '0', 'content-type': 'application/xml' },
      body: LOCKINFO,
    })
  const lockdiscovery = async (url: string) => {
    const r = await fetch(`${gw.url}/dav/${url}`, {
      method: 'PROPFIND',
      headers: { authorization: auth, depth: '0' },
    })
    return /<D:lockdiscovery>(.*?)<\/D:lockdiscovery>/s.exec(await r.text())?.[1]
  }
  const stores = async () => (await server.commandLog()).filter((l) => /\bSTOR\b/i.test(l)).length

  const permFacts = kind.name === 'proftpd'

  it('refuses a lock on a file the user may not write where the server says so', async () => {
    const r = await lock('fixed.txt')
    if (!permFacts) {
      // Pure-FTPd says nothing about the user's rights: the lock is granted, and the server
      // refuses the write itself when it comes. Documented limit; the lock is the caller's only.
      expect(r.status).toBe(200)
      const token = /<([^>]+)>/.exec(r.headers.get('lock-token') ?? '')?.[1] ?? ''
      const unlock = await fetch(`${gw.url}/dav/fixed.txt`, {
        method: 'UNLOCK',
        headers: { authorization: auth, 'lock-token': `<${token}>` },
      })
      expect(unlock.status).toBe(204)
      return
    }
    expect(r.status).toBe(403)
    expect(await lockdiscovery('fixed.txt')).toBe('')
  })

  it('refuses a lock-null resource in a folder the user may not write, leaving nothing', async () => {
    const before = await stores()
    const r = await lock('sealed/new.txt')
    expect(r.status).toBe(403)
    // With perm facts the gateway knows before trying: no STOR at all.
    if (permFacts) expect(await stores()).toBe(before)
    const gone = await fetch(`${gw.url}/dav/sealed/new.txt`, { headers: { authorization: auth } })
    expect(gone.status).toBe(404)
    // No lock was left behind: the same LOCK is refused for the same reason, not 423.
    expect((await lock('sealed/new.txt')).status).toBe(403)
  })

  it("still locks the user's own file", async () => {
    const r = await lock('mine.txt')
    expect(r.status).toBe(200)
    expect(await lockdiscovery('mine.txt')).toContain('<D:activelock>')
  })
})
