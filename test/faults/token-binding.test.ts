/**
 * Service-account mode against real vsftpd and Redis: API tokens are bound to the user's htpasswd
 * entry. A user removed from the file, or given a new password, loses every token at the next use
 * after the file is reloaded (no sliding, revoked for good); other users keep theirs.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import bcrypt from 'bcryptjs'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, SHARED_REDIS_URL, startGateway } from '../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { waitFor } from '../helpers/wait-for.js'
import { record } from './support/counters.js'
import { rejectionCounter } from './support/harness.js'

const rejections = rejectionCounter()
const PASSWORDS: Record<string, string> = { bob: 'bob-pw', alice: 'alice-pw', carol: 'carol-pw' }

let server: FtpServerHandle
let gw: GatewayHandle
let dir: string
let file: string
let redis: Redis

// Hashed once: an entry that is rewritten (new salt) is a changed entry, as `htpasswd -B` makes it.
const hashes = new Map<string, string>()

/** Writes the file; entries whose password did not change keep their hash, as with `htpasswd`. */
async function writeUsers(passwords: Record<string, string>): Promise<void> {
  const lines = Object.entries(passwords).map(([u, p]) => {
    const key = `${u}:${p}`
    if (!hashes.has(key)) hashes.set(key, bcrypt.hashSync(p, 4))
    return `${u}:${hashes.get(key)}`
  })
  await writeFile(file, `${lines.join('\n')}\n`)
}

async function newToken(user: string, password: string): Promise<string> {
  const r = await fetch(`${gw.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
  })
  expect(r.status).toBe(201)
  return ((await r.json()) as { token: string }).token
}

async function status(auth: string, route = '/api/v1/dirs/'): Promise<number> {
  const r = await fetch(`${gw.url}${route}`, { headers: { authorization: auth } })
  await r.arrayBuffer()
  return r.status
}

/** The token's stored record (null once revoked). */
function storedRecord(token: string): Promise<string | null> {
  return redis.get(`${gw.keyPrefix}session:${createHash('sha256').update(token).digest('hex')}`)
}

beforeAll(async () => {
  server = await startVsftpd()
  dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-token-binding-'))
  file = path.join(dir, 'htpasswd')
  await writeUsers(PASSWORDS)
  gw = await startGateway(server, {
    FTP_URL: `ftp://${server.user}:${server.password}@127.0.0.1:${server.port}`,
    GATEWAY_HTPASSWD: file,
  })
  redis = new Redis(SHARED_REDIS_URL)
})

afterAll(async () => {
  redis?.disconnect()
  await gw?.close()
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('service-account tokens follow the htpasswd file', () => {
  it('a user removed from the file: Basic and every token refused, the token no longer slides', async () => {
    const bob = await newToken('bob', PASSWORDS.bob as string)
    const alice = await newToken('alice', PASSWORDS.alice as string)
    expect(await status(`Bearer ${bob}`)).toBe(200)
    const { bob: _removed, ...rest } = PASSWORDS
    await writeUsers(rest)
    // The file is re-read at most every few seconds: poll until the change is seen.
    expect(await waitFor(async () => (await status(`Bearer ${bob}`)) === 401, 15_000, 200)).toBe(true)
    expect(await status(basicAuth('bob', PASSWORDS.bob as string))).toBe(401)
    // Revoked for good: no record to slide, /sessions/current refuses it too.
    expect(await storedRecord(bob)).toBeNull()
    expect(await status(`Bearer ${bob}`, '/api/v1/sessions/current')).toBe(401)
    expect(await status(`Bearer ${alice}`)).toBe(200)
    expect(await status(basicAuth('alice', PASSWORDS.alice as string))).toBe(200)
    // Putting bob back does not bring the old token back. (Polled once a second: each refused
    // Basic login until the reload counts against LOGIN_FAIL_LIMIT.)
    await writeUsers(PASSWORDS)
    const back = await waitFor(async () => (await status(basicAuth('bob', 'bob-pw'))) === 200, 15_000, 1000)
    expect(back).toBe(true)
    expect(await status(`Bearer ${bob}`)).toBe(401)
  })

  it('a new password ends the tokens issued with the old one; a new token works', async () => {
    const carol = await newToken('carol', PASSWORDS.carol as string)
    const alice = await newToken('alice', PASSWORDS.alice as string)
    expect(await status(`Bearer ${carol}`)).toBe(200)
    await writeUsers({ ...PASSWORDS, carol: 'carol-new' })
    expect(await waitFor(async () => (await status(`Bearer ${carol}`)) === 401, 15_000, 200)).toBe(true)
    expect(await storedRecord(carol)).toBeNull()
    expect(await status(basicAuth('carol', 'carol-pw'))).toBe(401)
    expect(await status(`Bearer ${await newToken('carol', 'carol-new')}`)).toBe(200)
    expect(await status(`Bearer ${alice}`)).toBe(200)
    expect(rejections()).toEqual([])
    record({ cases: 2 })
  })
})
