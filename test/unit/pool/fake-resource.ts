/** A fake pooled resource and the "upstream" that counts them, for the pool's tests. */
import type { PooledResource } from '../../../src/pool/index.js'

/** Behaviour switches and counters shared by every FakeResource of one test. */
export class FakeUpstream {
  alive = 0
  maxAlive = 0
  creates = 0
  checks = 0
  closes = 0
  destroys = 0
  createDelayMs = 0
  /** Returns an error to make create fail for that key. */
  failCreate: ((key: string) => Error | undefined) | undefined
  failCheck = false
  hangClose = false
  readonly resources: FakeResource[] = []

  /** The `create` option of a SessionPool. */
  readonly create = async (key: string, signal: AbortSignal): Promise<FakeResource> => {
    this.creates++
    // Counted from the moment a connection would be opened.
    this.alive++
    this.maxAlive = Math.max(this.maxAlive, this.alive)
    if (this.createDelayMs > 0) await sleep(this.createDelayMs)
    const err = this.failCreate?.(key) ?? (signal.aborted ? new Error('aborted') : undefined)
    if (err) {
      this.alive--
      throw err
    }
    const r = new FakeResource(this, key)
    this.resources.push(r)
    return r
  }
}

/** A resource whose liveness and close behaviour the test controls. */
export class FakeResource implements PooledResource {
  usable = true
  dead = false
  checks = 0

  constructor(
    private readonly upstream: FakeUpstream,
    readonly key: string,
  ) {}

  async check(): Promise<void> {
    this.checks++
    this.upstream.checks++
    await Promise.resolve()
    if (this.upstream.failCheck || this.dead) throw new Error('dead')
  }

  close(): Promise<void> {
    this.upstream.closes++
    if (this.upstream.hangClose) return new Promise(() => {})
    return Promise.resolve().then(() => this.die())
  }

  destroy(): void {
    this.upstream.destroys++
    this.die()
  }

  private die(): void {
    if (this.dead) return
    this.dead = true
    this.upstream.alive--
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
