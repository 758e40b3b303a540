/**
 * Re-reading GATEWAY_CONFIG while running: on SIGHUP (src/cli/serve.ts, this instance) and on
 * `POST /api/v1/admin/reload` (every instance sharing the store: the one asked reloads and answers
 * with its outcome, the others are told through the store and reload their own file). The file is
 * validated exactly as at start (config/reload.ts): an invalid one is refused with every problem
 * logged and the running configuration stays; a valid one is applied (Gateway.reload), with a
 * warning naming the settings that wait for a restart. Reloads run one at a time, in order.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { reloadConfig } from './config/reload.js'
import type { GatewayConfig } from './config.js'
import type { Store } from './store/index.js'

/** What a reload did. */
export type ReloadReport =
  | {
      ok: true
      /** The upstreams and mount paths now in effect. */
      upstreams: string[]
      mounts: string[]
      /** Keys changed in the file that keep their running value until a restart. */
      restartNeeded: readonly string[]
    }
  | {
      ok: false
      /** `no-file`: started without GATEWAY_CONFIG; `invalid`: the file has problems (listed). */
      reason: 'no-file' | 'invalid'
      problems: readonly string[]
    }

/** What the reloader works on. */
export interface FileReloaderOptions {
  /** The configuration in effect. */
  current(): GatewayConfig
  /** Puts a validated configuration in place (Gateway.reload, then the live settings). */
  apply(next: GatewayConfig): Promise<void>
  logger: Logger
}

// The store channel on which one instance asks the others to reload.
const RELOAD_CHANNEL = 'config:reload'

/** Reloads GATEWAY_CONFIG on request, one reload at a time. */
export class FileReloader {
  readonly #opts: FileReloaderOptions
  readonly #instance = randomUUID()
  #queue: Promise<unknown> = Promise.resolve()

  constructor(options: FileReloaderOptions) {
    this.#opts = options
  }

  /** Reloads this instance's file (queued behind any reload under way). */
  reload(): Promise<ReloadReport> {
    const run = this.#queue.then(() => this.#reloadNow())
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** Reloads here and, when that worked, asks every other instance sharing `store` to reload its own file. */
  async reloadEverywhere(store: Store): Promise<ReloadReport> {
    const report = await this.reload()
    // The others follow a reload that worked here; a file refused here is most likely theirs too.
    if (report.ok)
      await store.publish(RELOAD_CHANNEL, this.#instance).catch((err: unknown) => {
        this.#opts.logger.warn({ err }, 'could not ask the other instances to reload')
      })
    return report
  }

  /** Reloads when another instance asks; resolves the unsubscribe function. */
  listen(store: Store): Promise<() => Promise<void>> {
    return store.subscribe(RELOAD_CHANNEL, (from) => {
      if (from === this.#instance || this.#opts.current().configFile === undefined) return
      void this.reload().catch((err: unknown) =>
        this.#opts.logger.error({ err }, 'configuration reload failed'),
      )
    })
  }

  async #reloadNow(): Promise<ReloadReport> {
    const { logger } = this.#opts
    const current = this.#opts.current()
    const file = current.configFile
    if (file === undefined)
      return { ok: false, reason: 'no-file', problems: ['the gateway was started without GATEWAY_CONFIG'] }
    const result = reloadConfig(current)
    if (!result.ok) {
      logger.error(
        { file, problems: result.problems },
        `configuration reload refused, the running configuration stays:\n  - ${result.problems.join('\n  - ')}`,
      )
      return { ok: false, reason: 'invalid', problems: result.problems }
    }
    if (result.restartNeeded.length > 0)
      logger.warn(
        { file, settings: result.restartNeeded },
        `changed in the config file but only applied at the next restart: ${result.restartNeeded.join(', ')}`,
      )
    // The gateway logs the new tree ("configuration reloaded") once it is in place.
    await this.#opts.apply(result.config)
    return {
      ok: true,
      upstreams: result.config.upstreams.map((u) => u.name),
      mounts: result.config.mounts.map((m) => m.path),
      restartNeeded: result.restartNeeded,
    }
  }
}
