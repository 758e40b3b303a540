/**
 * Bans (src/auth/bans.ts) as the login limits issue and honour them, over a MemoryStore with a
 * fake clock: the store's TTLs and the limiter's windows read the same faked Date, so a ban's end
 * and the end of its memory are reached by setting the time, never by waiting.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BanList, type BanListOptions, banSeconds, isBanId } from '../../../src/auth/bans.js'
import {
  isRefusal,
  type LoginAttempt,
  LoginRateLimiter,
  type LoginRateLimiterOptions,
  type LoginRefusal,
} from '../../../src/auth/rate-limit.js'
import { MemoryStore } from '../../../src/store/memory-store.js'

const WINDOW = 60_000
const T0 = Date.UTC(2030, 0, 1) + 10_000
const BASE = 600
const MEMORY = 3600
const MAX = 2400

describe('banSeconds', () => {
  it('doubles per strike from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5].map((s) => banSeconds(s, 600, 2400))).toEqual([600, 1200, 2400, 2400, 2400])
    // A huge strike count neither overflows nor loops.
    expect(banSeconds(10_000, 600, 86_400)).toBe(86_400)
  })
})

describe('bans issued by the login limits', () => {
  let store: MemoryStore
  let clock: number
  let logged: Array<{ msg: string | undefined; obj: Record<string, unknown> }>

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    setTime(T0)
    store = new MemoryStore()
    logged = []
  })
  afterEach(async () => {
    vi.useRealTimers()
    await store.close()
  })

  function setTime(t: number): void {
    clock = t
    vi.setSystemTime(t)
  }

  function banList(options: Partial<BanListOptions> = {}): BanList {
    const log = (obj: object, msg?: string) => logged.push({ msg, obj: obj as Record<string, unknown> })
    return new BanList({
      store,
      baseSeconds: BASE,
      memorySeconds: MEMORY,
      maxSeconds: MAX,
      now: () => clock,
      logger: { info: log, warn: log },
      ...options,
    })
  }

  function limiter(bans: BanList, options: Partial<LoginRateLimiterOptions> = {}): LoginRateLimiter {
    // Waiting is counted, not timed: each wait yields to let the attempts in flight settle.
    const sleep = () => new Promise<void>((r) => setImmediate(r))
    return new LoginRateLimiter({
      store,
      limit: 3,
      windowMs: WINDOW,
      now: () => clock,
      sleep,
      bans,
      ...options,
    })
  }

  async function attempt(l: LoginRateLimiter, address: string, user: string): Promise<LoginAttempt> {
    const result = await l.reserve(address, user)
    if (isRefusal(result)) throw new Error(`refused by ${result.scope}${result.ban ? ' (banned)' : ''}`)
    return result
  }

  async function refusal(l: LoginRateLimiter, address: string, user: string): Promise<LoginRefusal> {
    const result = await l.reserve(address, user)
    if (!isRefusal(result)) throw new Error('not refused')
    return result
  }

  async function failures(l: LoginRateLimiter, address: string, user: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await l.failed(await attempt(l, address, user))
  }

  it('the failure that fills a count bans the address for the base time; others are unaffected', async () => {
    const bans = banList()
    const l = limiter(bans)
    await failures(l, '10.0.0.1', 'alice', 3)
    const refused = await refusal(l, '10.0.0.1', 'alice')
    expect(refused.ban).toMatchObject({
      kind: 'address',
      subject: '10.0.0.1',
      strikes: 1,
      reason: 'LOGIN_FAIL_LIMIT',
    })
    expect(refused.retryAfterSeconds).toBe(BASE)
    // The ban is the address's: another user from it is refused too, another address is not.
    expect((await refusal(l, '10.0.0.1', 'bob')).ban?.kind).toBe('address')
    await attempt(l, '10.0.0.2', 'alice')
    expect(logged.filter((l) => l.msg === 'ban issued')).toHaveLength(1)
    expect(logged[0]?.obj).toMatchObject({ kind: 'address', subject: '10.0.0.1', strikes: 1, seconds: BASE })
    // Retry-After counts down to the ban's end, past the failure window's.
    setTime(T0 + 599_500)
    expect((await refusal(l, '10.0.0.1', 'alice')).retryAfterSeconds).toBe(1)
  })

  it('each repeat within the memory doubles the ban up to the cap; after the memory it starts over', async () => {
    const bans = banList()
    const l = limiter(bans)
    const lengths: number[] = []
    let t = T0
    for (let round = 0; round < 4; round++) {
      await failures(l, '10.0.0.1', 'alice', 3)
      const refused = await refusal(l, '10.0.0.1', 'alice')
      lengths.push(refused.retryAfterSeconds)
      expect(refused.ban?.strikes).toBe(round + 1)
      // Just after this ban ends: the address starts afresh (the ban took over from its counts).
      t += refused.retryAfterSeconds * 1000
      setTime(t)
      await l.release(await attempt(l, '10.0.0.1', 'alice'))
    }
    expect(lengths).toEqual([600, 1200, 2400, 2400])
    // The strikes are forgotten BAN_MEMORY_SECONDS after the last ban ended.
    setTime(t + MEMORY * 1000)
    await failures(l, '10.0.0.1', 'alice', 3)
    expect((await refusal(l, '10.0.0.1', 'alice')).ban?.strikes).toBe(1)
  })

  it('60 concurrent wrong guesses: `limit` get through, one ban, the rest refused by it', async () => {
    const bans = banList()
    const l = limiter(bans)
    const issue = vi.spyOn(bans, 'issue')
    const results = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const r = await l.reserve('10.0.0.1', 'alice')
        if (!isRefusal(r)) await l.failed(r)
        return r
      }),
    )
    const passed = results.filter((r) => !isRefusal(r))
    expect(passed).toHaveLength(3)
    expect(issue).toHaveBeenCalledTimes(1)
    const refused = results.filter(isRefusal)
    // Refused while the ban was being written: the window's limit; after: the ban.
    expect(refused.every((r) => r.ban !== undefined || r.scope === 'address+user')).toBe(true)
    expect((await bans.list()).map((b) => b.strikes)).toEqual([1])
  })

  it('a user ban holds addresses with failures, never a fresh address: the real user still logs in', async () => {
    const bans = banList()
    const l = limiter(bans, { limit: 10, perUser: 4 })
    for (const address of ['10.0.0.1', '10.0.0.2']) await failures(l, address, 'alice', 2)
    const ban = (await bans.list())[0]
    expect(ban).toMatchObject({
      kind: 'user',
      subject: 'alice',
      strikes: 1,
      reason: 'LOGIN_FAIL_LIMIT_PER_USER',
    })
    // The attackers' addresses are held by the user's ban (with its time left), not by their own.
    const held = await refusal(l, '10.0.0.1', 'alice')
    expect(held.ban?.kind).toBe('user')
    expect(held.scope).toBe('user')
    expect(held.retryAfterSeconds).toBe(BASE)
    // Other users from those addresses are not banned.
    await l.release(await attempt(l, '10.0.0.1', 'bob'))
    // A fresh address gets its one attempt at a time; the real password marks it good for the user.
    const fresh = await attempt(l, '10.0.0.9', 'alice')
    expect(fresh.exempted).toBe(true)
    expect((await refusal(l, '10.0.0.9', 'alice')).scope).toBe('user')
    await l.succeeded(fresh)
    for (let i = 0; i < 3; i++) await l.succeeded(await attempt(l, '10.0.0.9', 'alice'))
    // A fresh address that fails once is held from then on.
    await l.failed(await attempt(l, '10.0.0.10', 'alice'))
    expect((await refusal(l, '10.0.0.10', 'alice')).ban?.kind).toBe('user')
  })

  it('a remembered login (knownMayPass) does not skip a ban', async () => {
    const bans = banList()
    const l = limiter(bans)
    expect((await l.knownMayPass('10.0.0.1', 'alice')).pass).toBe(true)
    await failures(l, '10.0.0.1', 'bob', 3)
    expect((await l.knownMayPass('10.0.0.1', 'alice')).pass).toBe(false)
    expect((await l.knownMayPass('10.0.0.2', 'alice')).pass).toBe(true)
  })

  it('an admin lists and lifts a ban: the address may try at once and its strikes are forgotten', async () => {
    const bans = banList()
    const l = limiter(bans)
    await failures(l, '10.0.0.1', 'alice', 3)
    await failures(l, '10.0.0.2', 'alice', 3)
    const listed = await bans.list()
    expect(listed.map((b) => b.subject).sort()).toEqual(['10.0.0.1', '10.0.0.2'])
    const [first] = listed
    expect(first && isBanId(first.id)).toBe(true)
    expect(await bans.lift(first?.id ?? '', 'root')).toMatchObject({ subject: first?.subject })
    expect(logged.some((e) => e.msg === 'ban lifted' && e.obj.by === 'root')).toBe(true)
    expect(await bans.lift(first?.id ?? '', 'root')).toBeUndefined()
    expect((await bans.list()).map((b) => b.subject)).toEqual([listed[1]?.subject])
    await l.release(await attempt(l, first?.subject ?? '', 'alice'))
    await failures(l, first?.subject ?? '', 'alice', 3)
    expect((await refusal(l, first?.subject ?? '', 'alice')).ban?.strikes).toBe(1)
  })

  it('bad ids and bad records: nothing is lifted, nothing is read as a ban, the list is not damaged', async () => {
    const bans = banList()
    const l = limiter(bans)
    await failures(l, '10.0.0.1', 'alice', 3)
    const before = await bans.list()
    for (const id of [
      '',
      'x',
      '../ban-index',
      'a'.repeat(33),
      `A${'0'.repeat(32)}`,
      `a${'0'.repeat(32)}\n`,
      `u${'0'.repeat(32)}`,
    ]) {
      expect(await bans.lift(id, 'root')).toBeUndefined()
    }
    expect(await bans.list()).toEqual(before)
    // A record someone else wrote into the shared store is checked field by field.
    const id = `a${'1'.repeat(32)}`
    for (const raw of [
      '{',
      'null',
      '[]',
      JSON.stringify({ id, kind: 'address', subject: 'x', since: 0, until: 'never' }),
    ]) {
      await store.set(`ban:${id}`, raw)
      await store.hset('ban-index', id, '1')
      expect(await bans.list()).toEqual(before)
      expect(await bans.lift(id, 'root')).toBeUndefined()
    }
  })

  it('with BAN_BASE_SECONDS=0 the limits work as before and nothing is banned', async () => {
    const bans = banList({ baseSeconds: 0 })
    const l = limiter(bans)
    await failures(l, '10.0.0.1', 'alice', 3)
    expect(await refusal(l, '10.0.0.1', 'alice')).toEqual({ scope: 'address+user', retryAfterSeconds: 50 })
    expect(await bans.list()).toEqual([])
  })
})
