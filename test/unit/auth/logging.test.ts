import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/auth/authenticator.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { basic, fakeFiles, testConfig } from './auth-fixtures.js'

const SECRET = 'S3cr3t:pa+ss/wörd'

describe('auth logging with pino', () => {
  let store: MemoryStore
  let output: string[]
  let logger: pino.Logger

  beforeEach(() => {
    store = new MemoryStore()
    output = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        output.push(String(chunk))
        done()
      },
    })
    logger = pino({ level: 'trace' }, sink)
  })
  afterEach(() => store.close())

  it('logs refusals, lockouts and sessions, never the password or the token', async () => {
    const files = fakeFiles({ alice: SECRET })
    const { authenticator, sessions } = createAuth({
      config: testConfig({ loginFailLimit: 2 }),
      store,
      files,
      logger,
    })
    const ip = '203.0.113.9'
    await authenticator.authenticate(basic('alice', SECRET), ip)
    const { token } = await sessions.create('alice', SECRET, ip)
    await authenticator.authenticate(`Bearer ${token}`, ip)
    await authenticator.authenticate(`Bearer ${token}x`, ip).catch(() => {})
    for (const guess of [`${SECRET}1`, `${SECRET}2`, SECRET]) {
      await authenticator.authenticate(basic('alice', guess), ip).catch(() => {})
    }
    await sessions.create('alice', SECRET, ip).catch(() => {})
    await authenticator.authenticate(basic('alice', 'x\r\ny'), ip).catch(() => {})
    logger.flush()

    const text = output.join('')
    expect(text).toContain('login refused')
    // The third failure reached the limit: the address is banned, and the next attempt is refused.
    expect(text).toContain('ban issued')
    expect(text).toContain('login banned')
    expect(text).toContain('session created')
    expect(text).not.toContain('S3cr3t')
    expect(text).not.toContain(Buffer.from(`alice:${SECRET}`).toString('base64'))
    expect(text).not.toContain(token)
  })
})
