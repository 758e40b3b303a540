import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SessionTokens, type SessionTokensOptions } from '../../../src/auth/tokens.js'
import { MemoryStore } from '../../../src/store/memory-store.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2030, 0, 1)

describe('SessionTokens', () => {
  let store: MemoryStore
  const key = randomBytes(32)
  const make = (options: Partial<SessionTokensOptions> = {}): SessionTokens =>
    new SessionTokens({ store, key, ttlMs: HOUR, mode: 'passthrough', ...options })

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    store = new MemoryStore()
  })
  afterEach(async () => {
    vi.useRealTimers()
    await store.close()
  })

  /** The single session record in the store, with its key. */
  async function storedRecord(token: string): Promise<{ key: string; raw: string }> {
    const { createHash } = await import('node:crypto')
    const k = `session:${createHash('sha256').update(token).digest('hex')}`
    const raw = await store.get(k)
    expect(raw).not.toBeNull()
    return { key: k, raw: raw! }
  }

  it('creates 32-byte base64url tokens and resolves them to the credentials', async () => {
    const tokens = make()
    const { token, expiresAt } = await tokens.create('alice', 'p:ss+/ü')
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(token, 'base64url')).toHaveLength(32)
    expect(expiresAt.getTime()).toBe(T0 + HOUR)
    const session = await tokens.resolve(token)
    expect(session).toEqual({
      username: 'alice',
      password: 'p:ss+/ü',
      createdAt: new Date(T0),
      expiresAt: new Date(T0 + HOUR),
    })
    expect((await make().create('alice', 'x')).token).not.toBe(token)
  })

  it('stores neither the token nor the password in clear', async () => {
    const tokens = make()
    const { token } = await tokens.create('alice', 'hunter2-secret')
    const { key: k, raw } = await storedRecord(token)
    expect(k).toMatch(/^session:[0-9a-f]{64}$/)
    expect(k).not.toContain(token)
    expect(raw).not.toContain(token)
    expect(raw).not.toContain('hunter2')
    const record = JSON.parse(raw)
    expect(record).toEqual({ u: 'alice', c: expect.any(String), createdAt: T0, expiresAt: T0 + HOUR })
    // iv (12) + tag (16) + 14 bytes of password
    expect(Buffer.from(record.c, 'base64')).toHaveLength(12 + 16 + 14)
  })

  it('describes without the credentials and revokes', async () => {
    const tokens = make()
    const { token } = await tokens.create('alice', 'pw')
    expect(await tokens.describe(token)).toEqual({
      username: 'alice',
      createdAt: new Date(T0),
      expiresAt: new Date(T0 + HOUR),
    })
    expect(await tokens.revoke(token)).toBe(true)
    expect(await tokens.revoke(token)).toBe(false)
    expect(await tokens.resolve(token)).toBeUndefined()
    expect(await tokens.describe(token)).toBeUndefined()
  })

  it('refuses unknown and malformed tokens without touching the store', async () => {
    const tokens = make()
    const spy = vi.spyOn(store, 'mget')
    expect(await tokens.resolve('not a token')).toBeUndefined()
    expect(await tokens.describe('x'.repeat(44))).toBeUndefined()
    expect(await tokens.revoke('short')).toBe(false)
    expect(spy).not.toHaveBeenCalled()
    expect(await tokens.resolve(randomBytes(32).toString('base64url'))).toBeUndefined()
  })

  it('expires after the TTL without use', async () => {
    const tokens = make()
    const { token } = await tokens.create('alice', 'pw')
    vi.setSystemTime(T0 + HOUR - 1)
    expect(await tokens.describe(token)).toBeDefined()
    vi.setSystemTime(T0 + HOUR + 1)
    expect(await tokens.resolve(token)).toBeUndefined()
  })

  it('slides the expiry on use, at most once a minute', async () => {
    const tokens = make()
    const { token } = await tokens.create('alice', 'pw')
    const set = vi.spyOn(store, 'set')

    vi.setSystemTime(T0 + 30_000)
    expect((await tokens.resolve(token))?.expiresAt.getTime()).toBe(T0 + HOUR)
    expect(set).not.toHaveBeenCalled()

    vi.setSystemTime(T0 + 60_000)
    expect((await tokens.resolve(token))?.expiresAt.getTime()).toBe(T0 + 60_000 + HOUR)
    expect(set).toHaveBeenCalledTimes(1)
    expect(set.mock.calls[0]?.[2]).toEqual({ ttlMs: HOUR })

    vi.setSystemTime(T0 + 90_000)
    await tokens.resolve(token)
    expect(set).toHaveBeenCalledTimes(1)

    // Used regularly, the token outlives its original hour; describe does not push it.
    for (let t = 2; t <= 90; t++) {
      vi.setSystemTime(T0 + t * 60_000)
      expect(await tokens.resolve(token)).toBeDefined()
    }
    const last = T0 + 90 * 60_000
    expect((await tokens.describe(token))?.expiresAt.getTime()).toBe(last + HOUR)
    vi.setSystemTime(last + HOUR - 1000)
    expect(await tokens.describe(token)).toBeDefined()
    vi.setSystemTime(last + HOUR + 1)
    expect(await tokens.describe(token)).toBeUndefined()
  })

  it('slides short TTLs at half the TTL, so regular use keeps them alive', async () => {
    const tokens = make({ ttlMs: 1000 })
    const { token } = await tokens.create('alice', 'pw')
    for (let t = 400; t <= 5000; t += 400) {
      vi.setSystemTime(T0 + t)
      expect(await tokens.resolve(token)).toBeDefined()
    }
  })

  it('a refresh racing a revoke does not bring the token back', async () => {
    const tokens = make()
    const { token } = await tokens.create('alice', 'pw')
    const { key: k, raw } = await storedRecord(token)
    expect(await tokens.revoke(token)).toBe(true)
    // What a slow instance's refresh would write after the revoke.
    await store.set(k, raw, { ttlMs: HOUR })
    expect(await tokens.resolve(token)).toBeUndefined()
    expect(await tokens.describe(token)).toBeUndefined()
  })

  it.each([
    ['ciphertext bit flip', (r: Record<string, unknown>) => flip(r, 'c', 40)],
    ['tag bit flip', (r: Record<string, unknown>) => flip(r, 'c', 20)],
    ['iv bit flip', (r: Record<string, unknown>) => flip(r, 'c', 2)],
    ['truncated box', (r: Record<string, unknown>) => ({ ...r, c: 'AAAA' })],
    ['user name changed', (r: Record<string, unknown>) => ({ ...r, u: 'mallory' })],
    ['creation time changed', (r: Record<string, unknown>) => ({ ...r, createdAt: T0 + 1 })],
    ['not JSON', () => 'garbage'],
    ['wrong shape', () => ({ u: 1 })],
  ])('refuses a tampered record: %s', async (_name, tamper) => {
    const tokens = make()
    const { token } = await tokens.create('alice', 'pw-long-enough-to-flip')
    const { key: k, raw } = await storedRecord(token)
    const changed = tamper(JSON.parse(raw))
    await store.set(k, typeof changed === 'string' ? changed : JSON.stringify(changed))
    expect(await tokens.resolve(token)).toBeUndefined()
    expect(await tokens.describe(token)).toBeUndefined()
  })

  it('refuses a record moved to another token', async () => {
    const tokens = make()
    const a = await tokens.create('alice', 'pw-a')
    const b = await tokens.create('bob', 'pw-b')
    const ra = await storedRecord(a.token)
    const rb = await storedRecord(b.token)
    await store.set(rb.key, ra.raw)
    expect(await tokens.resolve(b.token)).toBeUndefined()
  })

  it('refuses tokens written with another session key or in the other mode', async () => {
    const { token } = await make().create('alice', 'pw')
    expect(await make({ key: randomBytes(32) }).resolve(token)).toBeUndefined()
    expect(await make({ mode: 'service' }).resolve(token)).toBeUndefined()
    const service = await make({ mode: 'service' }).create('carol', 'ignored')
    expect(await make({ mode: 'service', key: randomBytes(32) }).resolve(service.token)).toBeUndefined()
    expect(await make({ mode: 'passthrough' }).resolve(service.token)).toBeUndefined()
  })

  it('stores no password in service-account mode, only the sealed binding', async () => {
    const tokens = make({ mode: 'service' })
    const { token } = await tokens.create('carol', 'f'.repeat(64))
    const { raw } = await storedRecord(token)
    expect(Buffer.from(JSON.parse(raw).c, 'base64')).toHaveLength(12 + 16 + 64)
    expect(await tokens.resolve(token)).toMatchObject({
      username: 'carol',
      password: undefined,
      binding: 'f'.repeat(64),
    })
  })

  it('a session `accept` refuses is revoked for good and not slid', async () => {
    const tokens = make({ mode: 'service' })
    const { token } = await tokens.create('carol', 'old-binding')
    const set = vi.spyOn(store, 'set')
    expect(await tokens.resolve(token, (s) => s.binding === 'new-binding')).toBeUndefined()
    // The only write is the revocation marker: no expiry push.
    expect(set.mock.calls.map((c) => c[0])).toEqual([expect.stringMatching(/^session-revoked:/)])
    expect(await tokens.resolve(token)).toBeUndefined()
    expect(await tokens.describe(token)).toBeUndefined()
  })

  it('wants a 32-byte key', () => {
    expect(() => make({ key: randomBytes(16) })).toThrow(/32 bytes/)
  })
})

function flip(record: Record<string, unknown>, field: string, byte: number): Record<string, unknown> {
  const box = Buffer.from(String(record[field]), 'base64')
  box[byte] = (box[byte] ?? 0) ^ 1
  return { ...record, [field]: box.toString('base64') }
}
