import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { Htpasswd, parseHtpasswd } from '../../../src/auth/htpasswd.js'

const dir = mkdtempSync(join(tmpdir(), 'ftpgw-htpasswd-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const hash = (password: string, prefix = '$2b$'): string =>
  bcrypt.hashSync(password, 4).replace(/^\$2b\$/, prefix)
const aliceHash = hash('alice-pw')
const bobHash = hash('bob:pw', '$2y$')
const carolHash = hash('carol-pw', '$2a$')

let n = 0
function file(text: string): string {
  const path = join(dir, `htpasswd-${++n}`)
  writeFileSync(path, text)
  return path
}

describe('parseHtpasswd', () => {
  it('reads bcrypt entries, skipping comments and blank lines', () => {
    const entries = parseHtpasswd(
      `# users\n\nalice:${aliceHash}\r\nbob:${bobHash}\n  # x\ncarol:${carolHash}\n`,
    )
    expect([...entries.keys()]).toEqual(['alice', 'bob', 'carol'])
  })

  it.each([
    ['MD5-crypt', 'dave:$apr1$abcdefgh$0123456789abcdefghijkl'],
    ['SHA-1', 'dave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='],
    ['crypt', 'dave:rl0P8xHU7nM7.'],
    ['plain text', 'dave:password'],
    ['bcrypt with a broken hash', 'dave:$2b$04$short'],
  ])('refuses %s naming the line', (_name, line) => {
    expect(() => parseHtpasswd(`alice:${aliceHash}\n${line}\n`, '/etc/gw.htpasswd')).toThrow(
      /^\/etc\/gw\.htpasswd line 2: unsupported hash type for user "dave"/,
    )
  })

  it('refuses lines without a user and duplicate users', () => {
    expect(() => parseHtpasswd(`:${aliceHash}`)).toThrow(/line 1: expected "user:hash"/)
    expect(() => parseHtpasswd(`alice:${aliceHash}\nalice:${aliceHash}`)).toThrow(/line 2: duplicate user/)
  })
})

describe('Htpasswd', () => {
  let now: number
  const clock = (): number => now
  beforeEach(() => {
    now = 1_000_000
  })

  it('verifies $2a$, $2b$ and $2y$ entries; unknown users and wrong passwords fail', async () => {
    const h = new Htpasswd(file(`alice:${aliceHash}\nbob:${bobHash}\ncarol:${carolHash}\n`), { now: clock })
    expect(h.userCount).toBe(3)
    expect(await h.verify('alice', 'alice-pw')).toBe(true)
    expect(await h.verify('bob', 'bob:pw')).toBe(true)
    expect(await h.verify('carol', 'carol-pw')).toBe(true)
    expect(await h.verify('alice', 'wrong')).toBe(false)
    expect(await h.verify('nobody', 'alice-pw')).toBe(false)
  })

  it('refuses a bad file at load', () => {
    expect(() => new Htpasswd(file('eve:$apr1$x$y\n'))).toThrow(/line 1: unsupported hash type/)
    expect(() => new Htpasswd(join(dir, 'missing'))).toThrow(/ENOENT/)
  })

  it('remembers successes for the cache lifetime, never failures', async () => {
    const h = new Htpasswd(file(`alice:${aliceHash}\n`), { now: clock, cacheTtlMs: 60_000 })
    expect(await h.verify('alice', 'alice-pw')).toBe(true)
    expect(h.bcryptCalls).toBe(1)
    now += 59_000
    expect(await h.verify('alice', 'alice-pw')).toBe(true)
    expect(h.bcryptCalls).toBe(1)
    expect(await h.verify('alice', 'wrong')).toBe(false)
    expect(await h.verify('alice', 'wrong')).toBe(false)
    expect(h.bcryptCalls).toBe(3)
    now += 2_000
    expect(await h.verify('alice', 'alice-pw')).toBe(true)
    expect(h.bcryptCalls).toBe(4)
  })

  it('reloads when the file changes, checking at most once per interval', async () => {
    const path = file(`alice:${aliceHash}\n`)
    const h = new Htpasswd(path, { now: clock, checkIntervalMs: 3000 })
    expect(await h.verify('alice', 'alice-pw')).toBe(true)

    writeFileSync(path, `bob:${bobHash}\n`)
    utimesSync(path, new Date(), new Date(Date.now() + 5000))
    now += 1000
    // Not checked yet: the old entries (and the cached success) still hold.
    expect(await h.verify('alice', 'alice-pw')).toBe(true)
    expect(await h.verify('bob', 'bob:pw')).toBe(false)

    now += 3000
    expect(await h.verify('bob', 'bob:pw')).toBe(true)
    // The removed user is gone at once, cache included.
    expect(await h.verify('alice', 'alice-pw')).toBe(false)
  })

  it('keeps the previous users when a changed file is bad, and reports it once', async () => {
    const path = file(`alice:${aliceHash}\n`)
    const errors: Error[] = []
    const h = new Htpasswd(path, { now: clock, checkIntervalMs: 1000, onReloadError: (e) => errors.push(e) })
    writeFileSync(path, `alice:${aliceHash}\neve:{SHA}xyz\n`)
    utimesSync(path, new Date(), new Date(Date.now() + 5000))
    now += 1000
    expect(await h.verify('alice', 'alice-pw')).toBe(true)
    now += 1000
    expect(await h.verify('alice', 'alice-pw')).toBe(true)
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toMatch(/line 2: unsupported hash type for user "eve"/)
  })
})
