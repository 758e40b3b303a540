/**
 * Prometheus metrics. Each app gets its own Registry (never prom-client's global one), so tests and
 * several apps in one process do not collide. Request metrics are fed by the app-level hooks in
 * production.ts; pool and cache counters are read from the layers below at scrape time; FTP
 * command latency and store errors arrive on diagnostics channels.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { BAN_CHANNEL, type BanEvent, FTP_COMMAND_CHANNEL, type FtpCommandEvent } from '../channels.js'
import { onStoreError, type Store } from '../store/index.js'
import { onShareEvent, type ShareEvent } from './share-events.js'
import { onUploadEvent, type UploadEvent } from './upload-events.js'
import { type FolderZipResult, onZipDownload } from './zip-download.js'

/** Counters from the layers below, read by the metrics endpoint at scrape time. */
export interface GatewayStats {
  /** Each upstream's session pool, by upstream name. */
  pools: Record<string, PoolCounters>
  cache: { hits: number; misses: number }
  /** The small-file content cache (absent when the layers below have none). */
  content?: { hits: number; misses: number; bytes: number } | undefined
}

/** One session pool's counters. */
export interface PoolCounters {
  size: number
  idle: number
  busy: number
  waiting: number
  pending: number
  created: number
  evicted: number
  failedCreates: number
}

/** What the metrics read at scrape time. */
export interface MetricsSources {
  /** Pool and cache counters (absent in tests that do not need them). */
  stats?: (() => GatewayStats) | undefined
  /** The store whose StoreErrors are counted, as it publishes them (absent: none counted). */
  store?: Store | undefined
  /** Process metrics (CPU, memory, event loop); on by default. */
  processMetrics?: boolean
  /** The bans in force in the store, by kind (read at scrape time; absent: no ban gauge). */
  activeBans?: (() => Promise<Record<string, number>>) | undefined
}

/** Which way a file transfer goes, for the active-transfers gauge. */
export type TransferDirection = 'download' | 'upload'

// Seconds; HTTP spans quick metadata calls to multi-minute transfers.
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
// FTP control replies are usually milliseconds; logins and slow servers reach seconds.
const FTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** The gateway's metrics on a private registry. */
export class GatewayMetrics {
  readonly registry = new Registry()
  readonly #requests: Counter<'method' | 'route' | 'status'>
  readonly #duration: Histogram<'method' | 'route'>
  readonly #bytesIn: Counter<'route'>
  readonly #bytesOut: Counter<'route'>
  readonly #transfers: Gauge<'direction'>
  readonly #rateLimited: Counter
  readonly #unsubscribe: Array<() => void> = []

  constructor(sources: MetricsSources) {
    const registers = [this.registry]
    if (sources.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'ftpgw_' })
    this.#requests = new Counter({
      name: 'ftpgw_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    })
    this.#duration = new Histogram({
      name: 'ftpgw_http_request_duration_seconds',
      help: 'HTTP request latency until the response is finished (transfers included)',
      labelNames: ['method', 'route'],
      buckets: HTTP_BUCKETS,
      registers,
    })
    this.#bytesIn = new Counter({
      name: 'ftpgw_http_received_bytes_total',
      help: 'Bytes read from HTTP connections (headers and bodies), by route pattern',
      labelNames: ['route'],
      registers,
    })
    this.#bytesOut = new Counter({
      name: 'ftpgw_http_sent_bytes_total',
      help: 'Bytes written to HTTP connections (headers and bodies), by route pattern',
      labelNames: ['route'],
      registers,
    })
    this.#transfers = new Gauge({
      name: 'ftpgw_active_transfers',
      help: 'Downloads and uploads in flight',
      labelNames: ['direction'],
      registers,
    })
    this.#transfers.set({ direction: 'download' }, 0)
    this.#transfers.set({ direction: 'upload' }, 0)
    this.#rateLimited = new Counter({
      name: 'ftpgw_http_rate_limited_total',
      help: 'Requests refused with 429 by the per-client rate limit',
      registers,
    })
    const ftpLatency = new Histogram({
      name: 'ftpgw_ftp_command_duration_seconds',
      help: 'FTP command latency until its reply, by command and reply class (error: no reply)',
      labelNames: ['upstream', 'command', 'reply_class'],
      buckets: FTP_BUCKETS,
      registers,
    })
    // By the channel's name: http/ never imports the engine that publishes on it.
    this.#unsubscribe.push(
      subscribe(FTP_COMMAND_CHANNEL, (message) => {
        const event = message as FtpCommandEvent
        const replyClass = event.code === 0 ? 'error' : `${Math.floor(event.code / 100)}xx`
        ftpLatency.observe(
          { upstream: event.upstream ?? 'default', command: event.command, reply_class: replyClass },
          event.durationMs / 1000,
        )
      }),
    )
    this.#registerScrapeTime(sources)
    const storeErrors = new Counter({
      name: 'ftpgw_store_errors_total',
      help: 'Store (Redis) calls that failed',
      registers,
    })
    // Only this app's store: other gateways in the same process publish on the same channel.
    if (sources.store) this.#unsubscribe.push(onStoreError(sources.store, () => storeErrors.inc()))
    if (sources.store) this.#unsubscribe.push(onUploadEvent(sources.store, this.#uploadMetrics()))
    if (sources.store) this.#unsubscribe.push(onZipDownload(sources.store, this.#zipMetrics()))
    if (sources.store) this.#unsubscribe.push(onShareEvent(sources.store, this.#shareMetrics()))
    this.#banMetrics(sources)
  }

  /**
   * Bans: issued and lifted by this instance (a counter per instance, summed by Prometheus), and
   * the bans in force cluster-wide, read from the store at scrape time (a store outage leaves
   * the gauge out of that scrape rather than failing it).
   */
  #banMetrics(sources: MetricsSources): void {
    const registers = [this.registry]
    const issued = new Counter({
      name: 'ftpgw_bans_issued_total',
      help: 'Bans issued by this instance after a failed-login limit was reached, by kind',
      labelNames: ['kind'],
      registers,
    })
    const lifted = new Counter({
      name: 'ftpgw_bans_lifted_total',
      help: 'Bans lifted by an administrator through this instance, by kind',
      labelNames: ['kind'],
      registers,
    })
    for (const kind of ['address', 'user']) {
      issued.inc({ kind }, 0)
      lifted.inc({ kind }, 0)
    }
    this.#unsubscribe.push(
      subscribe(BAN_CHANNEL, (message) => {
        const event = message as BanEvent
        // Only this app's store: two gateways in one process publish on the same channel.
        if (sources.store === undefined || event.store !== sources.store) return
        ;(event.action === 'issued' ? issued : lifted).inc({ kind: event.kind })
      }),
    )
    const activeBans = sources.activeBans
    if (activeBans === undefined) return
    new Gauge({
      name: 'ftpgw_bans_active',
      help: 'Bans in force on every instance sharing the store, by kind',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset()
        const counts = await activeBans().catch(() => undefined)
        if (counts === undefined) return
        for (const [kind, n] of Object.entries(counts)) this.set({ kind }, n)
      },
    })
  }

  /** Folder zip metrics, fed by zip-download.ts when a zip ends. */
  #zipMetrics(): (result: FolderZipResult) => void {
    const registers = [this.registry]
    const downloads = new Counter({
      name: 'ftpgw_zip_downloads_total',
      help: 'Folder zips by how they ended: success, failure (a file failed: the response ended as an error), aborted (the client left)',
      labelNames: ['outcome'],
      registers,
    })
    const bytes = new Counter({
      name: 'ftpgw_zip_sent_bytes_total',
      help: 'Bytes of folder zip archives produced',
      registers,
    })
    for (const outcome of ['success', 'failure', 'aborted']) downloads.inc({ outcome }, 0)
    return (result) => {
      downloads.inc({ outcome: result.outcome })
      bytes.inc(result.bytes)
    }
  }

  /** Share link metrics, fed by the public share face (share-events.ts). */
  #shareMetrics(): (event: ShareEvent) => void {
    const registers = [this.registry]
    const uses = new Counter({
      name: 'ftpgw_share_uses_total',
      help: 'Uses of share links (downloads, listings, drop box uploads) by share kind and outcome (success, refused, failure, aborted)',
      labelNames: ['kind', 'outcome'],
      registers,
    })
    const bytes = new Counter({
      name: 'ftpgw_share_bytes_total',
      help: 'Bytes served by read shares and received by drop boxes',
      labelNames: ['kind'],
      registers,
    })
    return (event) => {
      uses.inc({ kind: event.kind, outcome: event.outcome })
      if (event.bytes > 0) bytes.inc({ kind: event.kind }, event.bytes)
    }
  }

  /** Resumable-upload metrics, fed by the uploads routes (upload-events.ts). */
  #uploadMetrics(): (event: UploadEvent) => void {
    const registers = [this.registry]
    const inProgress = new Gauge({
      name: 'ftpgw_uploads_in_progress',
      help: 'Resumable uploads created and not yet completed, terminated or expired (counted where each step happened: sum over instances)',
      registers,
    })
    const received = new Counter({
      name: 'ftpgw_upload_received_bytes_total',
      help: 'Bytes of resumable uploads written to the FTP server',
      registers,
    })
    const steps = new Counter({
      name: 'ftpgw_uploads_total',
      help: 'Resumable upload steps: created, resumed (a PATCH accepted after an interrupted one), completed, terminated, expired',
      labelNames: ['event'],
      registers,
    })
    for (const event of ['created', 'resumed', 'completed', 'terminated', 'expired']) steps.inc({ event }, 0)
    return (event) => {
      if (event.kind === 'bytes') {
        received.inc(event.bytes)
        return
      }
      steps.inc({ event: event.kind })
      if (event.kind === 'created') inProgress.inc()
      else if (event.kind !== 'resumed') inProgress.dec()
    }
  }

  /** Records one finished (or abandoned) request. */
  observeRequest(
    method: string,
    route: string,
    status: number,
    seconds: number,
    bytesIn: number,
    bytesOut: number,
  ): void {
    this.#requests.inc({ method, route, status: String(status) })
    this.#duration.observe({ method, route }, seconds)
    if (bytesIn > 0) this.#bytesIn.inc({ route }, bytesIn)
    if (bytesOut > 0) this.#bytesOut.inc({ route }, bytesOut)
  }

  /** A transfer started; call the returned function once when it ends. */
  transferStarted(direction: TransferDirection): () => void {
    this.#transfers.inc({ direction })
    let ended = false
    return () => {
      if (ended) return
      ended = true
      this.#transfers.dec({ direction })
    }
  }

  /** Counts a request refused by the rate limit. */
  rateLimited(): void {
    this.#rateLimited.inc()
  }

  /** Stops listening to the diagnostics channels (the app is closing). */
  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
  }

  // Gauges and counters whose truth lives in the pool and the caches: read when scraped.
  #registerScrapeTime(sources: MetricsSources): void {
    const registers = [this.registry]
    const pools = () => Object.entries(sources.stats?.().pools ?? {})
    // One series per upstream, labelled with its configured name.
    const poolGauge = (name: string, help: string, read: (p: PoolCounters) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['upstream'],
        registers,
        collect() {
          this.reset()
          for (const [upstream, p] of pools()) this.set({ upstream }, read(p))
        },
      })
    const poolCounter = (name: string, help: string, read: (p: PoolCounters) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['upstream'],
        registers,
        collect() {
          this.reset()
          for (const [upstream, p] of pools()) this.inc({ upstream }, read(p))
        },
      })
    const gauge = (name: string, help: string, read: () => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read() ?? 0)
        },
      })
    // prom-client counters cannot be set; reset-then-inc mirrors a monotonic source at scrape time.
    const counter = (name: string, help: string, read: () => number | undefined) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset()
          this.inc(read() ?? 0)
        },
      })
    poolGauge('ftpgw_pool_sessions', 'FTP sessions open (idle + busy)', (p) => p.size)
    poolGauge('ftpgw_pool_sessions_idle', 'FTP sessions idle in the pool', (p) => p.idle)
    poolGauge('ftpgw_pool_sessions_busy', 'FTP sessions checked out', (p) => p.busy)
    poolGauge('ftpgw_pool_waiting', 'Requests waiting for an FTP session', (p) => p.waiting)
    poolGauge('ftpgw_pool_pending_creates', 'FTP sessions being opened (connect + login)', (p) => p.pending)
    poolCounter('ftpgw_pool_sessions_created_total', 'FTP sessions opened', (p) => p.created)
    poolCounter('ftpgw_pool_sessions_evicted_total', 'FTP sessions closed by the pool', (p) => p.evicted)
    poolCounter('ftpgw_pool_create_failures_total', 'Failed FTP session opens', (p) => p.failedCreates)
    const cache = () => sources.stats?.().cache
    counter('ftpgw_cache_hits_total', 'Metadata cache hits', () => cache()?.hits)
    counter('ftpgw_cache_misses_total', 'Metadata cache misses', () => cache()?.misses)
    const content = () => sources.stats?.().content
    counter('ftpgw_content_cache_hits_total', 'Small-file content cache hits', () => content()?.hits)
    counter('ftpgw_content_cache_misses_total', 'Small-file content cache misses', () => content()?.misses)
    gauge('ftpgw_content_cache_bytes', 'Bytes held by the small-file content cache', () => content()?.bytes)
  }
}

/** Subscribes to a diagnostics channel by name; returns the function that unsubscribes. */
function subscribe(name: string, listener: (message: unknown) => void): () => void {
  diagnosticsChannel.subscribe(name, listener)
  return () => {
    diagnosticsChannel.unsubscribe(name, listener)
  }
}
