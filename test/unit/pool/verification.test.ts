/**
 * Logins the pool has not seen work (issue 15 item 6: guesses must not take the budget real users
 * need) and re-verification of pooled credentials (item 10: a changed password must stop working
 * through pooled sessions), plus the admin's drop of one user's sessions on every instance.
 */
import { describe, expect, it } from 'vitest'
import { PoolExhaustedError, type SessionPoolOptions, unverifiedBudgetKey } from '../../../src/pool/index.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { waitFor } from '../../helpers/wait-for.js'
import { type FakeResource, FakeUpstream, sleep } from './fake-resource.js'
import { drainAfterEach, setup } from './pool-harness.js'

drainAfterEach()

class AuthError extends Error {}
const isAuth = (err: unknown) => err instanceof AuthError

/** Creates (of keys `gated` selects) that wait until the test opens the gate, counted while they wait. */
function gatedCreates(upstream: FakeUpstream, gated: (key: string) => boolean = () => true) {
  let open!: () => void
  let gate = new Promise<void>((r) => {
    open = r
  })
  const state = { inFlight: 0, maxInFlight: 0 }
  const create: SessionPoolOptions<FakeResource>['create'] = async (key, signal) => {
    if (!gated(key)) return upstream.create(key, signal)
    state.inFlight++
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
    try {
      await gate
      return await upstream.create(key, signal)
    } finally {
      state.inFlight--
    }
  }
  return {
    create,
    state,
    release() {
      open()
      gate = new Promise<void>((r) => {
        open = r
      })
    },
  }
}

/** A clock the test moves. */
function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t }
  return c
}

describe('SessionPool: the unverified-login budget', () => {
  it('lets at most maxUnverified logins of never-seen keys run at once and refuses the rest at once', async () => {
    const upstream = new FakeUpstream()
    const gated = gatedCreates(upstream)
    const { pool, store } = setup({ create: gated.create, maxUnverified: 3, maxTotal: 32 })
    upstream.failCreate = (key) => (key.startsWith('guess') ? new AuthError('530') : undefined)
    // 40 guesses with different names, all at once.
    const guesses = Array.from({ length: 40 }, (_, i) =>
      pool.acquire(`guess${i}`).then(
        () => 'ok',
        (err: unknown) => err,
      ),
    )
    expect(await waitFor(() => gated.state.inFlight === 3, 2000, 2)).toBe(true)
    await sleep(5)
    expect(pool.stats().unverified).toBe(3)
    expect(await store.countLeases(unverifiedBudgetKey('up'))).toBe(3)
    gated.release()
    const outcomes = await Promise.all(guesses)
    const refused = outcomes.filter((o) => o instanceof PoolExhaustedError)
    expect(refused).toHaveLength(37)
    expect(refused.every((e) => (e as PoolExhaustedError).reason === 'unverified')).toBe(true)
    expect(refused.every((e) => (e as PoolExhaustedError).retryAfterSeconds > 0)).toBe(true)
    expect(outcomes.filter((o) => o instanceof AuthError)).toHaveLength(3)
    expect(gated.state.maxInFlight).toBe(3)
    expect(pool.stats()).toMatchObject({ unverified: 0, unverifiedRefused: 37 })
    expect(await store.countLeases(unverifiedBudgetKey('up'))).toBe(0)
  })

  it('keeps serving a verified user while guesses fill the unverified budget', async () => {
    const upstream = new FakeUpstream()
    const gated = gatedCreates(upstream, (key) => key.startsWith('guess'))
    const { pool } = setup({
      create: gated.create,
      maxUnverified: 2,
      maxTotal: 4,
      maxPerKey: 2,
      acquireTimeoutMs: 60_000,
    })
    upstream.failCreate = (key) => (key.startsWith('guess') ? new AuthError('530') : undefined)
    // alice logged in before the attack; her session has been closed since.
    const first = await pool.acquire('alice')
    first.release({ discard: true })
    expect(await waitFor(() => pool.stats().size === 0, 2000, 2)).toBe(true)
    const guesses = Array.from({ length: 20 }, (_, i) => pool.acquire(`guess${i}`).catch((e: unknown) => e))
    expect(await waitFor(() => gated.state.inFlight === 2, 2000, 2)).toBe(true)
    // Two sessions at once for alice: new logins, within the half of the budget guesses cannot take.
    const [a, b] = await Promise.all([pool.acquire('alice'), pool.acquire('alice')])
    expect(a.resource).not.toBe(b.resource)
    expect(gated.state.inFlight).toBe(2)
    a.release()
    b.release()
    gated.release()
    const outcomes = await Promise.all(guesses)
    expect(outcomes.filter((o) => o instanceof PoolExhaustedError)).toHaveLength(18)
    expect(gated.state.maxInFlight).toBe(2)
  })

  it('logs in once for a burst of requests with never-seen credentials', async () => {
    const { upstream, pool } = setup({ maxUnverified: 4, isCachedFailure: isAuth })
    upstream.failCreate = () => new AuthError('530')
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => pool.acquire('bob').catch((e: unknown) => e)),
    )
    expect(burst.every((e) => e instanceof AuthError)).toBe(true)
    expect(upstream.creates).toBe(1)
  })

  it('without maxUnverified there is no separate budget', async () => {
    const { pool, store } = setup()
    const cs = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.acquire(`k${i}`)))
    for (const c of cs) c.release()
    expect(await store.countLeases(unverifiedBudgetKey('up'))).toBe(0)
    expect(pool.stats().unverifiedRefused).toBe(0)
  })
})

describe('SessionPool: re-verification of pooled credentials', () => {
  it('reuses sessions only within reverifyMs of the last login, then logs in afresh once', async () => {
    const c = clock()
    const { upstream, pool } = setup({ now: c.now, reverifyMs: 60_000, maxPerKey: 2 })
    const [x, y] = await Promise.all([pool.acquire('alice'), pool.acquire('alice')])
    x.release()
    y.release()
    expect(upstream.creates).toBe(2)
    expect(pool.verified('alice')).toBe(true)
    c.t += 59_999
    ;(await pool.acquire('alice')).release()
    expect(upstream.creates).toBe(2)
    c.t += 1
    expect(pool.verified('alice')).toBe(false)
    // Both slots are taken by idle sessions: one is given back for the fresh login.
    const fresh = await pool.acquire('alice')
    expect(upstream.creates).toBe(3)
    fresh.release()
    expect(pool.verified('alice')).toBe(true)
    // Verified again: the remaining old session is reused, no further login.
    const [p, q] = await Promise.all([pool.acquire('alice'), pool.acquire('alice')])
    p.release()
    q.release()
    expect(upstream.creates).toBe(3)
  })

  it('drops every session of the key at once when the fresh login is refused (a changed password)', async () => {
    const c = clock()
    const { upstream, pool } = setup({
      now: c.now,
      reverifyMs: 60_000,
      maxPerKey: 3,
      isCachedFailure: isAuth,
    })
    const held = await Promise.all([pool.acquire('alice'), pool.acquire('alice'), pool.acquire('alice')])
    const busy = held.pop()!
    for (const h of held) h.release()
    expect(upstream.alive).toBe(3)
    c.t += 60_000
    upstream.failCreate = () => new AuthError('530 Login incorrect')
    // The slot for the login comes from an idle session; the refusal closes the other idle one now.
    await expect(pool.acquire('alice')).rejects.toBeInstanceOf(AuthError)
    expect(await waitFor(() => upstream.alive === 1, 2000, 2)).toBe(true)
    expect(pool.stats().perKey.alice).toEqual({ idle: 0, busy: 1, waiting: 0 })
    // The busy one is closed when released, not reused.
    busy.release()
    expect(await waitFor(() => upstream.alive === 0, 2000, 2)).toBe(true)
    await expect(pool.acquire('alice')).rejects.toBeInstanceOf(AuthError)
    expect(pool.verified('alice')).toBe(false)
  })

  it('waits for a busy session to come back when every slot is busy', async () => {
    const c = clock()
    const { upstream, pool } = setup({ now: c.now, reverifyMs: 1000, maxPerKey: 2 })
    const [x, y] = await Promise.all([pool.acquire('a'), pool.acquire('a')])
    c.t += 1000
    const next = pool.acquire('a')
    await sleep(5)
    expect(upstream.creates).toBe(2)
    x.release()
    const got = await next
    expect(upstream.creates).toBe(3)
    expect(got.resource).not.toBe(x.resource)
    got.release()
    y.release()
  })
})

describe('SessionPool: re-verification within a full budget', () => {
  it("gives back one of the key's own idle sessions when the cluster budget has no room for the login", async () => {
    const c = clock()
    const { upstream, pool } = setup({
      now: c.now,
      reverifyMs: 1000,
      maxPerKey: 4,
      maxTotal: 2,
      acquireTimeoutMs: 2000,
    })
    const [x, y] = await Promise.all([pool.acquire('a'), pool.acquire('a')])
    x.release()
    y.release()
    c.t += 1000
    const fresh = await pool.acquire('a')
    expect(upstream.creates).toBe(3)
    expect(upstream.maxAlive).toBe(2)
    fresh.release()
  })
})

describe('SessionPool: evictGroup', () => {
  it("drops a group's sessions on every instance sharing the store, and only those", async () => {
    const store = new MemoryStore()
    const groupOf = (key: string) => key.slice(0, key.lastIndexOf(':'))
    const a = setup({ store, groupOf, instanceId: 'A' })
    const b = setup({ store, groupOf, instanceId: 'B' })
    for (const key of ['alice:1', 'alice:2', 'bob:1']) {
      ;(await a.pool.acquire(key)).release()
      ;(await b.pool.acquire(key)).release()
    }
    const busyOnB = await b.pool.acquire('alice:1')
    await a.pool.evictGroup('alice')
    expect(await waitFor(() => b.pool.stats().idle === 1 && a.pool.stats().idle === 1, 2000, 2)).toBe(true)
    expect(Object.keys(a.pool.stats().perKey).filter((k) => a.pool.stats().perKey[k]!.idle > 0)).toEqual([
      'bob:1',
    ])
    expect(b.pool.verified('alice:1')).toBe(false)
    expect(b.pool.verified('bob:1')).toBe(true)
    busyOnB.release()
    expect(await waitFor(() => b.upstream.alive === 1, 2000, 2)).toBe(true)
    // The next request logs in again.
    const creates = b.upstream.creates
    ;(await b.pool.acquire('alice:1')).release()
    expect(b.upstream.creates).toBe(creates + 1)
    // Both drained before the harness checks the shared store for leftover leases.
    await Promise.all([a.pool.drain(100), b.pool.drain(100)])
  })
})
