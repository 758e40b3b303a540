/**
 * The pure parts of share links: id format, path containment, drop box names, address matching,
 * expiry math, uses left, the password hash and the access cookie (over a MemoryStore).
 */
import { describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { isFileError } from '../../../src/files/errors.js'
import {
  dropName,
  expiryFor,
  isShareId,
  newShareId,
  parseAddressRule,
  pathInShare,
  usesLeft,
} from '../../../src/http/share-rules.js'
import { checkSharePassword, hashSharePassword, ShareStore } from '../../../src/http/share-store.js'
import { MemoryStore } from '../../../src/store/index.js'

function badPath(fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch (err) {
    return isFileError(err, 'FILE_ERR_BAD_PATH')
  }
}

describe('share ids', () => {
  it('are 144 random bits in base64url, all different', () => {
    const ids = new Set(Array.from({ length: 1000 }, newShareId))
    expect(ids.size).toBe(1000)
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/)
      expect(Buffer.from(id, 'base64url')).toHaveLength(18)
      expect(isShareId(id)).toBe(true)
    }
  })
  it('refuse anything of another shape', () => {
    for (const id of [
      '',
      'short',
      `${'a'.repeat(23)}=`,
      `${'a'.repeat(23)}/`,
      'a'.repeat(25),
      '../../etc/passwd',
    ]) {
      expect(isShareId(id), id).toBe(false)
    }
  })
})

describe('pathInShare', () => {
  it('joins paths under the share', () => {
    expect(pathInShare('pub', '')).toBe('pub')
    expect(pathInShare('pub', 'a/b.txt')).toBe('pub/a/b.txt')
    expect(pathInShare('', 'a.txt')).toBe('a.txt')
    expect(pathInShare('pub', '/a//b/')).toBe('pub/a/b')
  })
  it('refuses every way out', () => {
    for (const sub of ['..', '../x', 'a/../../x', 'a/./b', '..\\x', 'a\\b', 'a\u0000b', 'a\r\nDELE x']) {
      expect(
        badPath(() => pathInShare('pub', sub)),
        JSON.stringify(sub),
      ).toBe(true)
    }
  })
})

describe('dropName', () => {
  it('takes one plain name', () => {
    expect(dropName('report.pdf')).toBe('report.pdf')
  })
  it('refuses folders, empty names and traversal', () => {
    for (const name of ['', '/', 'a/b', '..', '.', 'x\\y', 'a\u0000']) {
      expect(
        badPath(() => dropName(name)),
        JSON.stringify(name),
      ).toBe(true)
    }
  })
})

describe('parseAddressRule', () => {
  it('allows anyone when empty', () => {
    expect(parseAddressRule([]).allows('203.0.113.9')).toBe(true)
  })
  it('matches addresses and CIDR blocks, IPv4 (also mapped) and IPv6', () => {
    const rule = parseAddressRule(['192.0.2.7', '10.1.0.0/16', '2001:db8::/32'])
    expect(rule.allows('192.0.2.7')).toBe(true)
    expect(rule.allows('192.0.2.8')).toBe(false)
    expect(rule.allows('10.1.200.3')).toBe(true)
    expect(rule.allows('10.2.0.1')).toBe(false)
    expect(rule.allows('::ffff:10.1.0.9')).toBe(true)
    expect(rule.allows('2001:db8:1::5')).toBe(true)
    expect(rule.allows('2001:db9::5')).toBe(false)
    expect(rule.allows('not-an-ip')).toBe(false)
  })
  it('refuses entries that are not addresses', () => {
    for (const bad of ['example.com', '10.0.0.0/33', '10.0.0.0/x', '1.2.3.4/8/8', '::/129', '']) {
      expect(() => parseAddressRule([bad]), bad).toThrow()
    }
  })
})

describe('expiryFor and usesLeft', () => {
  it('caps the asked lifetime by the maximum, which is also the default', () => {
    expect(expiryFor(1_000, 60, 3_600_000)).toBe(61_000)
    expect(expiryFor(1_000, 7_200, 3_600_000)).toBe(3_601_000)
    expect(expiryFor(1_000, undefined, 3_600_000)).toBe(3_601_000)
  })
  it('counts uses left down to 0, null when unlimited', () => {
    expect(usesLeft(undefined, 10)).toBeNull()
    expect(usesLeft(3, 1)).toBe(2)
    expect(usesLeft(3, 9)).toBe(0)
  })
})

describe('share passwords and access cookies', () => {
  it('hashes with scrypt and checks in constant time', async () => {
    const hash = await hashSharePassword('s3cret')
    expect(hash).toMatch(/^scrypt\$16384\$/)
    expect(hash).not.toContain('s3cret')
    expect(await checkSharePassword('s3cret', hash)).toBe(true)
    expect(await checkSharePassword('s3cret!', hash)).toBe(false)
    expect(await checkSharePassword('s3cret', 'plain')).toBe(false)
  })
  it('seals the creator, counts uses atomically and signs cookies per share', async () => {
    const store = new MemoryStore()
    const shares = new ShareStore(store, Buffer.alloc(32, 1))
    const who = identityOf('alice', 'ftp-pw', 'alice')
    const input = {
      path: 'a.txt',
      kind: 'read' as const,
      expiresAt: Date.now() + 60_000,
      allowedAddresses: [],
      maxUses: 2,
    }
    const one = await shares.create(who, input)
    const two = await shares.create(who, input)
    expect(JSON.stringify(await shares.get(one.id))).not.toContain('ftp-pw')
    expect(shares.identityOf(one)?.password).toBe('ftp-pw')
    // Another key does not open it.
    expect(new ShareStore(store, Buffer.alloc(32, 2)).identityOf(one)).toBeUndefined()
    const claims = await Promise.all([1, 2, 3, 4].map(() => shares.claimUse(one)))
    expect(claims.filter((c) => c.ok)).toHaveLength(2)
    expect(await shares.usesLeft(one)).toBe(0)
    const token = shares.accessToken(one)
    expect(shares.checkAccessToken(one, token)).toBe(true)
    expect(shares.checkAccessToken(two, token)).toBe(false)
    expect(
      shares.checkAccessToken(
        one,
        token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      ),
    ).toBe(false)
    expect(shares.checkAccessToken(one, token, Date.now() + 2 * 60 * 60 * 1000)).toBe(false)
    await store.close()
  })
})
