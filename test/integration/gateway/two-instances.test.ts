/**
 * Two gateway PROCESSES behind an imaginary load balancer: same vsftpd, same Redis, same key
 * prefix and SESSION_SECRET, nothing else shared. A token made on A works on B; a revoke on B is
 * refused on A at once; a listing cached on B (60 s TTL) is invalidated by an upload through A,
 * so B lists the new file right after A's 201.
 */
import { chown, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, deleteRedisKeys, SHARED_REDIS_URL, testKeyPrefix } from '../../helpers/gateway.js'
import { type ProcessGateway, spawnGateway } from '../../helpers/process-gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

let server: FtpServerHandle
let a: ProcessGateway
let b: ProcessGateway
const prefix = testKeyPrefix('two')

beforeAll(async () => {
  server = await startVsftpd()
  const env = {
    FTP_URL: `ftp://127.0.0.1:${server.port}`,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_SECRET: 'two-instances-shared-secret-0123456789',
    CACHE_TTL_MS: '60000',
  }
  const started = Date.now()
  ;[a, b] = await Promise.all([spawnGateway({ env }), spawnGateway({ env })])
  console.info(
    `two-instances: A ready after ${a.readyAfterMs} ms, B after ${b.readyAfterMs} ms (both in ${Date.now() - started} ms)`,
  )
})

afterAll(async () => {
  const ends = await Promise.all([a?.stop(), b?.stop()])
  // SIGTERM is a graceful shutdown: both must exit 0.
  expect(ends.map((e) => e?.code)).toEqual([0, 0])
  await deleteRedisKeys(SHARED_REDIS_URL, prefix)
  await server?.stop()
})

async function newToken(on: ProcessGateway): Promise<string> {
  const r = await fetch(`${on.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: server.user, password: server.password }),
  })
  expect(r.status).toBe(201)
  return ((await r.json()) as { token: string }).token
}

async function names(on: ProcessGateway, dir: string, auth: string): Promise<string[]> {
  const r = await fetch(`${on.url}/api/v1/dirs/${dir}`, { headers: { authorization: auth } })
  expect(r.status).toBe(200)
  return ((await r.json()) as { entries: Array<{ name: string }> }).entries.map((e) => e.name).sort()
}

describe('two gateway processes sharing Redis', () => {
  it('a token made on A works on B; revoked on B, A refuses it', async () => {
    const token = await newToken(a)
    const bearer = `Bearer ${token}`
    const onB = await fetch(`${b.url}/api/v1/sessions/current`, { headers: { authorization: bearer } })
    expect(onB.status).toBe(200)
    expect(((await onB.json()) as { username: string }).username).toBe(server.user)
    const listB = await fetch(`${b.url}/api/v1/dirs/`, { headers: { authorization: bearer } })
    expect(listB.status).toBe(200)

    const revoke = await fetch(`${b.url}/api/v1/sessions/current`, {
      method: 'DELETE',
      headers: { authorization: bearer },
    })
    expect(revoke.status).toBe(204)
    const onA = await fetch(`${a.url}/api/v1/dirs/`, { headers: { authorization: bearer } })
    expect(onA.status).toBe(401)
    expect(((await onA.json()) as { code: string }).code).toBe('AUTH_ERR_INVALID')
  })

  it("an upload through A invalidates B's cached listing at once", async () => {
    const bearer = `Bearer ${await newToken(b)}`
    const basic = basicAuth(server.user, server.password)
    const mk = await fetch(`${a.url}/api/v1/dirs/shared`, {
      method: 'POST',
      headers: { authorization: basic },
    })
    expect(mk.status).toBe(201)
    await fetch(`${a.url}/api/v1/files/shared/one.txt`, {
      method: 'PUT',
      headers: { authorization: basic },
      body: 'one',
    })

    // B caches the listing (for 60 s). A file written behind the gateway's back stays invisible to
    // B: proof that B answers from its cache, so what follows tests invalidation, not a cache miss.
    expect(await names(b, 'shared', bearer)).toEqual(['one.txt'])
    const sneaky = path.join(server.root, 'shared', 'sneaky.txt')
    await writeFile(sneaky, 'behind the back')
    await chown(sneaky, server.uid, server.gid)
    expect(await names(b, 'shared', bearer)).toEqual(['one.txt'])

    const put = await fetch(`${a.url}/api/v1/files/shared/two.txt`, {
      method: 'PUT',
      headers: { authorization: basic },
      body: 'two',
    })
    expect(put.status).toBe(201)
    const uploadedAt = Date.now()
    const after = await names(b, 'shared', bearer)
    console.info(
      `two-instances: B listed ${JSON.stringify(after)} ${Date.now() - uploadedAt} ms after A's 201`,
    )
    expect(after).toEqual(['one.txt', 'sneaky.txt', 'two.txt'])

    // The same holds the other way round, and for deletes.
    expect(await names(a, 'shared', basic)).toEqual(['one.txt', 'sneaky.txt', 'two.txt'])
    const del = await fetch(`${b.url}/api/v1/files/shared/one.txt`, {
      method: 'DELETE',
      headers: { authorization: bearer },
    })
    expect(del.status).toBe(204)
    expect(await names(a, 'shared', basic)).toEqual(['sneaky.txt', 'two.txt'])
  })
})
