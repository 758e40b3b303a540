/**
 * App passwords through createAuth: a Basic password shaped like one never reaches the FTP server,
 * wrong guesses count against the failed-login limits (and end in a ban), the identity is the creator's (FTP login
 * sealed in passthrough mode, the service account in service mode), and `guard` limits link attempts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/auth/authenticator.js'
import { AuthError } from '../../../src/auth/errors.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { basic, type FakeFiles, fakeFiles, serviceConfig, testConfig } from './auth-fixtures.js'

const IP = '192.0.2.9'

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return err instanceof AuthError ? err.code : `not an AuthError: ${String(err)}`
  }
  return undefined
}

describe('app passwords in createAuth', () => {
  let store: MemoryStore
  let files: FakeFiles

  beforeEach(() => {
    store = new MemoryStore()
    files = fakeFiles({ alice: 'alice-ftp-pw' })
  })
  afterEach(() => store.close())

  it('passthrough: acts as the creator with their sealed FTP login; guesses are limited, never sent upstream', async () => {
    const auth = createAuth({ config: testConfig({ loginFailLimit: 3 }), store, files })
    const alice = await auth.authenticator.authenticate(basic('alice', 'alice-ftp-pw'), IP)
    const made = await auth.appPasswords.create({ ...alice, groups: ['staff'] }, 'laptop')
    const calls = files.calls.length
    const who = await auth.authenticator.authenticate(basic('alice', made.password), IP)
    expect(who).toMatchObject({
      user: 'alice',
      password: 'alice-ftp-pw',
      principal: 'alice',
      method: 'app-password',
    })
    expect(who.groups).toEqual(['staff'])
    expect(who.key).toBe(alice.key)
    const wrong = `gwap_${made.id}_${'A'.repeat(32)}`
    for (let i = 0; i < 3; i++)
      expect(await codeOf(auth.authenticator.authenticate(basic('alice', wrong), IP))).toBe(
        'AUTH_ERR_INVALID',
      )
    expect(await codeOf(auth.authenticator.authenticate(basic('alice', wrong), IP))).toBe('AUTH_ERR_BANNED')
    expect(files.calls.length).toBe(calls)
  })

  it('service mode: the service account, the person kept', async () => {
    const auth = createAuth({ config: serviceConfig(), store, files })
    const made = await auth.appPasswords.create(
      { user: 'svc', password: 'svc-pass', key: 'k', principal: 'carol', method: 'jwt', noFtpLogin: true },
      'script',
    )
    const who = await auth.authenticator.authenticate(basic('carol', made.password), IP)
    expect(who).toMatchObject({
      user: 'svc',
      password: 'svc-pass',
      principal: 'carol',
      method: 'app-password',
    })
  })

  it('guard counts refused attempts and then refuses before trying', async () => {
    const auth = createAuth({ config: testConfig({ loginFailLimit: 2 }), store, files })
    let tried = 0
    const attempt = async () => {
      tried++
      return false
    }
    expect(await auth.guard('alice', IP, 'link', attempt)).toBe(false)
    expect(await auth.guard('alice', IP, 'link', attempt)).toBe(false)
    expect(await codeOf(auth.guard('alice', IP, 'link', attempt))).toBe('AUTH_ERR_BANNED')
    expect(tried).toBe(2)
  })
})
