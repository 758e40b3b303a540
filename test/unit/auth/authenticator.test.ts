import { createHash, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AuthLogger, createAuth } from '../../../src/auth/authenticator.js'
import { AuthError, type AuthErrorCode } from '../../../src/auth/errors.js'
import { identityOf } from '../../../src/auth/types.js'
import type { GatewayConfig } from '../../../src/config.js'
import { FileError } from '../../../src/files/errors.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { basic, type FakeFiles, fakeFiles, serviceConfig, testConfig } from './auth-fixtures.js'

const IP = '192.0.2.1'

async function codeOf(p: Promise<unknown>): Promise<AuthErrorCode | string | undefined> {
  try {
    await p
  } catch (err) {
    return err instanceof AuthError ? err.code : `not an AuthError: ${String(err)}`
  }
  return undefined
}

function memoryLogger(): AuthLogger & { lines: string[] } {
  const lines: string[] = []
  const log = (level: string) => (obj: object, msg?: string) =>
    lines.push(JSON.stringify({ level, msg, ...obj }))
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

describe('identityOf', () => {
  it('keys by user and a hash of user and password', () => {
    const id = identityOf('alice', 'pw')
    expect(id.user).toBe('alice')
    expect(id.password).toBe('pw')
    expect(id.key).toMatch(/^alice:[0-9a-f]{64}$/)
    expect(id.key).not.toContain('pw')
    expect(identityOf('alice', 'pw').key).toBe(id.key)
    expect(identityOf('alice', 'pw2').key).not.toBe(id.key)
    expect(identityOf('bob', 'pw').key.split(':')[1]).not.toBe(id.key.split(':')[1])
  })
})

describe('createAuth in passthrough mode', () => {
  let store: MemoryStore
  let files: FakeFiles
  let config: GatewayConfig
  const make = (logger?: AuthLogger) => createAuth({ config, store, files, ...(logger ? { logger } : {}) })

  beforeEach(() => {
    store = new MemoryStore()
    files = fakeFiles({ alice: 'a:l+i/c€', bob: 'bob-pw' })
    config = testConfig({ loginFailLimit: 3 })
  })
  afterEach(() => store.close())

  it('passes Basic credentials to verifyLogin and returns their identity', async () => {
    const { authenticator } = make()
    const who = await authenticator.authenticate(basic('alice', 'a:l+i/c€'), IP)
    expect(who).toEqual({ ...identityOf('alice', 'a:l+i/c€'), method: 'basic' })
    expect(files.calls).toEqual([identityOf('alice', 'a:l+i/c€')])
  })

  it('missing, malformed and wrong credentials', async () => {
    const { authenticator } = make()
    expect(await codeOf(authenticator.authenticate(undefined, IP))).toBe('AUTH_ERR_MISSING')
    expect(await codeOf(authenticator.authenticate('', IP))).toBe('AUTH_ERR_MISSING')
    expect(await codeOf(authenticator.authenticate('Basic !!!', IP))).toBe('AUTH_ERR_BAD_HEADER')
    expect(await codeOf(authenticator.authenticate(basic('alice', 'x\r\nDELE y'), IP))).toBe(
      'AUTH_ERR_BAD_HEADER',
    )
    expect(files.calls).toHaveLength(0)
    expect(await codeOf(authenticator.authenticate(basic('alice', 'wrong'), IP))).toBe('AUTH_ERR_INVALID')
    expect(await codeOf(authenticator.authenticate(basic('mallory', 'x'), IP))).toBe('AUTH_ERR_INVALID')
  })

  it('lets upstream failures through unchanged and does not count them', async () => {
    const { authenticator } = make()
    files.down = true
    for (let i = 0; i < 5; i++) {
      const err = await authenticator.authenticate(basic('alice', 'a:l+i/c€'), IP).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(FileError)
      expect((err as FileError).code).toBe('FILE_ERR_UNAVAILABLE')
    }
    files.down = false
    expect(await authenticator.authenticate(basic('alice', 'a:l+i/c€'), IP)).toBeDefined()
  })

  it('locks out after the limit without calling verifyLogin again', async () => {
    const { authenticator, sessions } = make()
    for (let i = 0; i < 3; i++) {
      expect(await codeOf(authenticator.authenticate(basic('alice', `guess${i}`), IP))).toBe(
        'AUTH_ERR_INVALID',
      )
    }
    expect(files.calls).toHaveLength(3)
    const err = await authenticator.authenticate(basic('alice', 'a:l+i/c€'), IP).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthError)
    // Reaching the limit bans the address (BAN_BASE_SECONDS, 600 by default): Retry-After says until when.
    expect((err as AuthError).code).toBe('AUTH_ERR_BANNED')
    expect((err as AuthError).retryAfterSeconds).toBeGreaterThan(0)
    expect((err as AuthError).retryAfterSeconds).toBeLessThanOrEqual(600)
    expect(await codeOf(sessions.create('alice', 'a:l+i/c€', IP))).toBe('AUTH_ERR_BANNED')
    expect(files.calls).toHaveLength(3)
    // Another address is not locked out; the ban is the address's, so another user from it is.
    expect(await authenticator.authenticate(basic('alice', 'a:l+i/c€'), '192.0.2.2')).toBeDefined()
    expect(await codeOf(authenticator.authenticate(basic('bob', 'bob-pw'), IP))).toBe('AUTH_ERR_BANNED')
    expect(files.calls).toHaveLength(4)
    // Bearer tokens are not affected by the Basic lockout (a token proves an earlier login).
    const { token } = await sessions.create('bob', 'bob-pw', '192.0.2.2')
    expect(await authenticator.authenticate(`Bearer ${token}`, IP)).toEqual({
      ...identityOf('bob', 'bob-pw'),
      method: 'token',
    })
  })

  it('a success resets the address count', async () => {
    const { authenticator } = make()
    for (let round = 0; round < 3; round++) {
      await codeOf(authenticator.authenticate(basic('alice', 'no'), IP))
      await codeOf(authenticator.authenticate(basic('alice', 'no'), IP))
      expect(await authenticator.authenticate(basic('alice', 'a:l+i/c€'), IP)).toBeDefined()
    }
  })

  it('creates tokens that authenticate as the FTP user', async () => {
    const { authenticator, sessions } = make()
    const { token, expiresAt } = await sessions.create('alice', 'a:l+i/c€', IP)
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now())
    expect(files.calls).toHaveLength(1)
    expect(await authenticator.authenticate(`Bearer ${token}`, IP)).toEqual({
      ...identityOf('alice', 'a:l+i/c€'),
      method: 'token',
    })
    expect(await authenticator.authenticate(`bearer ${token}`, '198.51.100.7')).toBeDefined()
    // A token costs no login check per request.
    expect(files.calls).toHaveLength(1)
    expect(await sessions.describe(token)).toMatchObject({ username: 'alice' })
    expect(await sessions.revoke(token)).toBe(true)
    expect(await codeOf(authenticator.authenticate(`Bearer ${token}`, IP))).toBe('AUTH_ERR_INVALID')
    expect(await sessions.revoke(token)).toBe(false)
  })

  it('refuses bad credentials and bodies at session creation', async () => {
    const { sessions } = make()
    expect(await codeOf(sessions.create('alice', 'wrong', IP))).toBe('AUTH_ERR_INVALID')
    expect(await codeOf(sessions.create('', 'x', IP))).toBe('AUTH_ERR_BAD_HEADER')
    expect(await codeOf(sessions.create('alice', 'a\nb', IP))).toBe('AUTH_ERR_BAD_HEADER')
    expect(await codeOf(sessions.create('a'.repeat(300), 'x', IP))).toBe('AUTH_ERR_BAD_HEADER')
    expect(files.calls).toHaveLength(1)
  })

  it('refuses unknown, tampered and foreign-key tokens', async () => {
    const { authenticator, sessions } = make()
    expect(await codeOf(authenticator.authenticate('Bearer abc', IP))).toBe('AUTH_ERR_INVALID')
    const { token } = await sessions.create('alice', 'a:l+i/c€', IP)
    const other = createAuth({ config: { ...config, sessionKey: Buffer.alloc(32, 7) }, store, files })
    expect(await codeOf(other.authenticator.authenticate(`Bearer ${token}`, IP))).toBe('AUTH_ERR_INVALID')
    expect(await other.sessions.describe(token)).toBeUndefined()
  })

  it('never logs or throws the password', async () => {
    const logger = memoryLogger()
    const { authenticator, sessions } = make(logger)
    const secret = 'Tr0ub4dor&3-unique'
    files = fakeFiles({ carol: secret })
    const auth = createAuth({ config, store, files, ...(logger ? { logger } : {}) })
    const messages: string[] = []
    for (const pw of [`${secret}x`, `x${secret}`, secret]) {
      await auth.authenticator
        .authenticate(basic('carol', pw), IP)
        .catch((e: Error) => messages.push(e.message))
    }
    const { token } = await auth.sessions.create('carol', secret, IP)
    await auth.authenticator.authenticate(`Bearer ${token}`, IP)
    await sessions.create('carol', secret, IP).catch((e: Error) => messages.push(e.message))
    await authenticator.authenticate(basic('carol', secret), IP).catch((e: Error) => messages.push(e.message))
    expect(logger.lines.some((l) => l.includes('login refused'))).toBe(true)
    expect(logger.lines.join('\n')).not.toContain('Tr0ub4dor')
    expect(logger.lines.join('\n')).not.toContain(token)
    expect(messages.join('\n')).not.toContain('Tr0ub4dor')
  })
})

describe('createAuth in service-account mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftpgw-auth-'))
  const htpasswdFile = join(dir, 'htpasswd')
  writeFileSync(
    htpasswdFile,
    `dave:${bcrypt.hashSync('dave:pw', 4)}\nerin:${bcrypt.hashSync('erin-pw', 4)}\n`,
  )
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  let store: MemoryStore
  let files: FakeFiles
  beforeEach(() => {
    store = new MemoryStore()
    files = fakeFiles({})
  })
  afterEach(() => store.close())
  /** The service account's FTP login, acting for `principal` (the htpasswd user). */
  const service = (principal: string) => identityOf('svc', 'svc-pass', principal)

  it('checks Basic against htpasswd and runs as the service account, without FTP logins', async () => {
    const { authenticator } = createAuth({ config: serviceConfig({ htpasswdFile }), store, files })
    expect(await authenticator.authenticate(basic('dave', 'dave:pw'), IP)).toEqual({
      ...service('dave'),
      method: 'basic',
    })
    expect(await authenticator.authenticate(basic('erin', 'erin-pw'), IP)).toEqual({
      ...service('erin'),
      method: 'basic',
    })
    expect(await codeOf(authenticator.authenticate(basic('dave', 'nope'), IP))).toBe('AUTH_ERR_INVALID')
    expect(await codeOf(authenticator.authenticate(basic('svc', 'svc-pass'), IP))).toBe('AUTH_ERR_INVALID')
    expect(files.calls).toHaveLength(0)
  })

  it('issues tokens for htpasswd users that map to the service account', async () => {
    const { authenticator, sessions } = createAuth({ config: serviceConfig({ htpasswdFile }), store, files })
    const { token } = await sessions.create('dave', 'dave:pw', IP)
    expect(await authenticator.authenticate(`Bearer ${token}`, IP)).toEqual({
      ...service('dave'),
      method: 'token',
    })
    expect(await sessions.describe(token)).toMatchObject({ username: 'dave' })
    expect(await codeOf(sessions.create('dave', 'wrong', IP))).toBe('AUTH_ERR_INVALID')
    // Only the user name is kept: the record holds no password of the client's.
    const id = createHash('sha256').update(token).digest('hex')
    const record = JSON.parse((await store.get(`session:${id}`))!)
    expect(record.u).toBe('dave')
    // The box holds the htpasswd binding (a 64-hex-digit keyed hash), never the password.
    expect(Buffer.from(record.c, 'base64')).toHaveLength(12 + 16 + 64)
  })

  it('rate-limits before bcrypt', async () => {
    const config = serviceConfig({ htpasswdFile, loginFailLimit: 2 })
    const { authenticator } = createAuth({ config, store, files })
    const compare = vi.spyOn(bcrypt, 'compare')
    try {
      await codeOf(authenticator.authenticate(basic('dave', 'a'), IP))
      await codeOf(authenticator.authenticate(basic('dave', 'b'), IP))
      expect(compare).toHaveBeenCalledTimes(2)
      expect(await codeOf(authenticator.authenticate(basic('dave', 'dave:pw'), IP))).toBe('AUTH_ERR_BANNED')
      expect(compare).toHaveBeenCalledTimes(2)
    } finally {
      compare.mockRestore()
    }
  })

  it('without htpasswd nobody can authenticate, and a warning says so at start', async () => {
    const logger = memoryLogger()
    const { authenticator, sessions } = createAuth({ config: serviceConfig(), store, files, logger })
    expect(logger.lines.some((l) => l.includes('"level":"warn"') && l.includes('GATEWAY_HTPASSWD'))).toBe(
      true,
    )
    expect(await codeOf(authenticator.authenticate(basic('dave', 'dave:pw'), IP))).toBe('AUTH_ERR_INVALID')
    expect(await codeOf(sessions.create('dave', 'dave:pw', IP))).toBe('AUTH_ERR_INVALID')
  })

  it.each([
    [
      'removed from the file',
      (bob: string) => `erin:${bcrypt.hashSync('erin-pw', 4)}\n${bob.replace(/^bob:.*$/m, '')}`,
    ],
    [
      'given a new password',
      (bob: string) => bob.replace(/^bob:.*$/m, `bob:${bcrypt.hashSync('bob-new', 4)}`),
    ],
  ])('a user %s loses their tokens on the next use; others keep theirs', async (_, edit) => {
    const file = join(dir, `htpasswd-${randomUUID()}`)
    const text = `bob:${bcrypt.hashSync('bob-pw', 4)}\nalice:${bcrypt.hashSync('alice-pw', 4)}\n`
    writeFileSync(file, text)
    let clock = Date.UTC(2030, 0, 1)
    const { authenticator, sessions } = createAuth({
      config: serviceConfig({ htpasswdFile: file }),
      store,
      files,
      now: () => clock,
      htpasswd: { checkIntervalMs: 1000 },
    })
    const bob = await sessions.create('bob', 'bob-pw', IP)
    const alice = await sessions.create('alice', 'alice-pw', IP)
    expect(await authenticator.authenticate(`Bearer ${bob.token}`, IP)).toEqual({
      ...service('bob'),
      method: 'token',
    })
    writeFileSync(file, edit(text))
    clock += 120_000 // past the reload check interval and the token refresh interval
    expect(await codeOf(authenticator.authenticate(`Bearer ${bob.token}`, IP))).toBe('AUTH_ERR_INVALID')
    expect(await sessions.describe(bob.token)).toBeUndefined()
    // Dead for good: putting the old entry back does not revive it.
    writeFileSync(file, text)
    clock += 120_000
    expect(await codeOf(authenticator.authenticate(`Bearer ${bob.token}`, IP))).toBe('AUTH_ERR_INVALID')
    expect(await authenticator.authenticate(`Bearer ${alice.token}`, IP)).toEqual({
      ...service('alice'),
      method: 'token',
    })
  })

  it('refuses to start with an unusable htpasswd file', () => {
    const bad = join(dir, 'bad')
    writeFileSync(bad, 'frank:$apr1$salt$hash\n')
    expect(() => createAuth({ config: serviceConfig({ htpasswdFile: bad }), store, files })).toThrow(
      /line 1: unsupported hash type/,
    )
  })
})

describe('createAuth login limits under concurrency', () => {
  it('60 concurrent wrong passwords: at most LOGIN_FAIL_LIMIT reach the upstream, the rest 429', async () => {
    const store = new MemoryStore()
    const files = fakeFiles({ bob: 'bob-pw' })
    const { authenticator } = createAuth({ config: testConfig({ loginFailLimit: 3 }), store, files })
    const codes = await Promise.all(
      Array.from({ length: 60 }, () => codeOf(authenticator.authenticate(basic('bob', 'guess'), IP))),
    )
    expect(files.calls).toHaveLength(3)
    expect(codes.filter((c) => c === 'AUTH_ERR_INVALID')).toHaveLength(3)
    expect(codes.filter((c) => c === 'AUTH_ERR_BANNED')).toHaveLength(57)
    // bob's right password from another address still works.
    await authenticator.authenticate(basic('bob', 'bob-pw'), '198.51.100.7')
    await store.close()
  })
})

describe('createAuth: logins that succeeded recently', () => {
  it('skip the reservation, but never past a limit (no oracle), and are forgotten when wrong', async () => {
    const store = new MemoryStore()
    const users: Record<string, string> = { bob: 'bob-pw' }
    const files = fakeFiles(users)
    const { authenticator } = createAuth({ config: testConfig({ loginFailLimit: 3 }), store, files })
    const acquire = vi.spyOn(store, 'acquireLease')
    await authenticator.authenticate(basic('bob', 'bob-pw'), IP)
    const perFullLogin = acquire.mock.calls.length
    expect(perFullLogin).toBe(4)
    for (let i = 0; i < 5; i++) await authenticator.authenticate(basic('bob', 'bob-pw'), IP)
    expect(acquire.mock.calls.length).toBe(perFullLogin) // one MGET each, no reservation
    // Someone at the same address spends the limit: the remembered password is refused as well.
    for (let i = 0; i < 3; i++) await codeOf(authenticator.authenticate(basic('bob', `guess${i}`), IP))
    expect(await codeOf(authenticator.authenticate(basic('bob', 'bob-pw'), IP))).toBe('AUTH_ERR_BANNED')
    // Elsewhere, a remembered login whose password changed upstream is counted as a failure.
    await authenticator.authenticate(basic('bob', 'bob-pw'), '198.51.100.9')
    users.bob = 'new-pw'
    for (let i = 0; i < 3; i++) {
      expect(await codeOf(authenticator.authenticate(basic('bob', 'bob-pw'), '198.51.100.9'))).toBe(
        'AUTH_ERR_INVALID',
      )
    }
    expect(await codeOf(authenticator.authenticate(basic('bob', 'bob-pw'), '198.51.100.9'))).toBe(
      'AUTH_ERR_BANNED',
    )
    await store.close()
  })
})
