import { describe, expect, it } from 'vitest'
import { identityKey } from '../../../src/pool/index.js'

describe('identityKey', () => {
  it('is stable for the same credentials and differs by user or password', () => {
    expect(identityKey('alice', 's3cret')).toBe(identityKey('alice', 's3cret'))
    expect(identityKey('alice', 's3cret')).not.toBe(identityKey('alice', 'other'))
    expect(identityKey('alice', 's3cret')).not.toBe(identityKey('bob', 's3cret'))
  })

  it('never contains the password and keeps odd user names unambiguous', () => {
    const key = identityKey('a#b:c', 'hunter2-password')
    expect(key).not.toContain('hunter2')
    expect(key.startsWith('a%23b%3Ac#')).toBe(true)
    expect(identityKey('a', 'x', Buffer.from('k1'))).not.toBe(identityKey('a', 'x', Buffer.from('k2')))
  })
})
