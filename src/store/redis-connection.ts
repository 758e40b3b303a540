import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import { StoreError } from './errors.js'

/** The subset of a pino logger the store uses; any pino logger (or child) fits. */
export interface StoreLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

/** Connection state as seen by callers: only 'ready' accepts commands. */
export type StoreStatus = 'ready' | 'connecting' | 'down'

/** How to reach Redis. Exactly one of `url`, `sentinels` or `cluster` is normally given. */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL of a single server. */
  url?: string
  /** Extra ioredis options (password, tls, db, …). The fail-fast settings below always win. */
  redis?: RedisOptions
  /** Sentinel addresses; `name` is then the monitored master's name. */
  sentinels?: Array<{ host: string; port: number }>
  name?: string | undefined
  /** Cluster seed nodes. */
  cluster?: Array<{ host: string; port: number }>
  /** Extra ioredis Cluster options. */
  clusterOptions?: ClusterOptions
  /** Prefix of every key and channel; default `ftpgw:`. */
  keyPrefix?: string | undefined
  logger?: StoreLogger | undefined
  /** A command without a reply after this long fails with STORE_ERR_UNAVAILABLE. Default 2000. */
  commandTimeoutMs?: number
  /** TCP connect timeout, and how long a call waits for the first connection. Default 2000. */
  connectTimeoutMs?: number
  /** Cap of the exponential reconnect backoff. Default 2000. */
  maxReconnectDelayMs?: number
  /** Do not connect until the first call (used to build clients without a server). */
  lazyConnect?: boolean
}

/** Either ioredis client; both offer the same command methods. */
export type Client = Redis | Cluster

/**
 * Tracks one ioredis connection's health so calls can fail fast: while the connection is down no
 * command is queued (the offline queue is off), the call rejects at once with STORE_ERR_UNAVAILABLE
 * and ioredis keeps reconnecting in the background.
 */
export class Link {
  /** Set when the connection failed and has not been ready since; cleared on 'ready'. */
  private failed = false
  /** Set by RedisStore.close so the deliberate disconnect is not logged as an outage. */
  closing = false
  private lastError = ''
  private readonly waiters = new Set<() => void>()

  constructor(
    readonly client: Client,
    private readonly role: string,
    private readonly logger: StoreLogger | undefined,
    onReady?: () => void,
  ) {
    // Handlers on 'error' are mandatory: an unhandled 'error' event would crash the process.
    client.on('error', (err: Error) => {
      this.lastError = err.message
      if (client.status !== 'ready') this.markFailed()
      else this.logger?.debug({ role, err: err.message }, 'redis connection error')
    })
    client.on('close', () => this.markFailed())
    client.on('end', () => this.markFailed())
    client.on('ready', () => {
      if (this.failed) this.logger?.info({ role }, 'redis connection restored')
      this.failed = false
      this.notify()
      onReady?.()
    })
  }

  get status(): StoreStatus {
    if (this.client.status === 'ready') return 'ready'
    return this.failed ? 'down' : 'connecting'
  }

  /** Resolves once the connection accepts commands; rejects at once while it is known to be down. */
  async usable(timeoutMs: number): Promise<void> {
    if (this.client.status === 'wait') this.client.connect().catch(() => {})
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const status = this.status
      if (status === 'ready') return
      const left = deadline - Date.now()
      // Two messages, so a log says which way a refusal went: known down (at once) or a wait that
      // ran out (`connectTimeoutMs` later).
      const why = this.lastError ? `: ${this.lastError}` : ''
      if (status === 'down') throw new StoreError('STORE_ERR_UNAVAILABLE', `redis unavailable (down${why})`)
      if (left <= 0) {
        throw new StoreError(
          'STORE_ERR_UNAVAILABLE',
          `redis unavailable (not ready within ${timeoutMs} ms${why})`,
        )
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer)
          this.waiters.delete(wake)
          resolve()
        }
        const timer = setTimeout(wake, left)
        this.waiters.add(wake)
      })
    }
  }

  /** Wakes pending callers (used on close so they fail instead of waiting out their timeout). */
  notify(): void {
    for (const wake of [...this.waiters]) wake()
  }

  private markFailed(): void {
    if (!this.failed && !this.closing) {
      this.logger?.warn(
        { role: this.role, err: this.lastError || undefined },
        'redis unavailable; reconnecting',
      )
    }
    this.failed = true
    this.notify()
  }
}

/** Builds the ioredis client for the chosen topology with the fail-fast settings applied. */
export function buildClient(options: RedisStoreOptions, connectTimeoutMs: number): Client {
  const maxDelay = options.maxReconnectDelayMs ?? 2000
  // Capped exponential backoff; never gives up (returning a number keeps ioredis reconnecting).
  const backoff = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 16), maxDelay)
  const lazyConnect = options.lazyConnect ?? false
  const failFast: RedisOptions = {
    // No offline queue: a command issued while disconnected rejects instead of waiting for Redis.
    enableOfflineQueue: false,
    // Commands in flight when the connection drops reject on the first reconnect attempt and are
    // not replayed later: the caller already got an error, a late replay would act behind its back.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: connectTimeoutMs,
    retryStrategy: backoff,
    lazyConnect,
  }
  if (options.cluster) {
    return new Cluster(options.cluster, {
      ...options.clusterOptions,
      redisOptions: { ...options.clusterOptions?.redisOptions, ...options.redis, ...failFast },
      enableOfflineQueue: false,
      clusterRetryStrategy: backoff,
      lazyConnect,
    })
  }
  if (options.sentinels) {
    return new Redis({ ...options.redis, ...failFast, sentinels: options.sentinels, name: options.name })
  }
  if (options.url) return new Redis(options.url, { ...options.redis, ...failFast })
  return new Redis({ ...options.redis, ...failFast })
}

/** QUIT when connected, then disconnect for good (stops reconnecting). */
export async function shutdown(link: Link): Promise<void> {
  const client = link.client
  link.closing = true
  try {
    // QUIT lets Redis finish what it has; when not connected there is nothing to finish.
    if (client.status === 'ready') await client.quit()
  } catch {
    // Fall through to the hard disconnect.
  } finally {
    client.disconnect()
    link.notify()
  }
}
