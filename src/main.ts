/**
 * The process: reads the configuration, builds the logger and the gateway, listens, and shuts
 * down gracefully on SIGTERM/SIGINT (readiness false at once, transfers finish within
 * SHUTDOWN_GRACE_MS, FTP sessions QUIT, store closed, exit 0). With GATEWAY_CONFIG, SIGHUP
 * re-reads the file instead of shutting down (src/config/reload.ts).
 */
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { reloadConfig } from './config/reload.js'
import { ConfigError, type GatewayConfig, loadConfig } from './config.js'
import { tuneProcessMemory } from './ftp/memory/index.js'
import { createGateway, type Gateway } from './gateway.js'
import { LOG_REDACTION } from './http/app.js'
import { requestIdMixin } from './http/request-context.js'

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
    process.exit(2)
  }
  // Before anything allocates much (ftp/memory/index.ts); MEMORY_TUNING=false leaves the process as Node made it.
  if (config.memoryTuning) tuneProcessMemory()
  // Tracing only when asked for: otherwise neither the SDK nor the span code is ever loaded.
  const tracing = config.otelEndpoint
    ? (await import('./tracing.js')).startTracing({
        endpoint: config.otelEndpoint,
        serviceName: config.otelServiceName,
      })
    : undefined
  const logger = pino({
    level: config.logLevel,
    redact: LOG_REDACTION,
    mixin: tracing ? (await import('./http/tracing.js')).withTraceIds(requestIdMixin) : requestIdMixin,
  })
  const gateway = await createGateway(config, logger, { tracer: tracing?.tracer })
  const address = await gateway.app.listen({ host: config.host, port: config.port })
  logger.info(
    { address, mode: config.local ? 'local' : 'upstream', store: gateway.store.kind },
    'ftp-gateway listening',
  )
  if (gateway.config.local) printLocalHelp(address, gateway.config.local)
  if (config.overriddenByEnv.length > 0)
    logger.info(
      { file: config.configFile, overriddenByEnv: config.overriddenByEnv },
      'environment variables override values of the config file',
    )
  if (config.configFile !== undefined) reloadOnHangup(config, gateway, logger)

  // With a config file SIGHUP means "reload"; without one it keeps its old meaning (the terminal
  // went away: shut down), so a gateway started in a shell does not outlive it.
  const skip: Array<'SIGHUP'> = config.configFile === undefined ? [] : ['SIGHUP']
  closeWithGrace({ delay: config.shutdownGraceMs + 5000, skip }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error')
    else logger.info({ signal }, 'shutting down: draining')
    await gateway.close(config.shutdownGraceMs)
    // Spans still buffered go out before the process ends.
    await tracing
      ?.shutdown()
      .catch((e: unknown) => logger.warn({ err: String(e) }, 'trace export failed at shutdown'))
    logger.info('shutdown complete')
  })
}

/**
 * SIGHUP re-reads GATEWAY_CONFIG: an invalid file is refused with every problem logged (the
 * running configuration stays); a valid one goes to `gateway.reload`, with a warning naming the
 * settings that keep their running value until a restart. Reloads run one at a time, in order.
 */
function reloadOnHangup(initial: GatewayConfig, gateway: Gateway, logger: pino.Logger): void {
  let current = initial
  let queue = Promise.resolve()
  const reload = async () => {
    const file = current.configFile
    const result = reloadConfig(current)
    if (!result.ok) {
      logger.error(
        { file, problems: result.problems },
        `configuration reload refused, the running configuration stays:\n  - ${result.problems.join('\n  - ')}`,
      )
      return
    }
    if (result.restartNeeded.length > 0)
      logger.warn(
        { file, settings: result.restartNeeded },
        `changed in the config file but only applied at the next restart: ${result.restartNeeded.join(', ')}`,
      )
    // The gateway logs the new tree ("configuration reloaded") once it is in place.
    await gateway.reload(result.config)
    current = result.config
    logger.level = current.logLevel
  }
  process.on('SIGHUP', () => {
    queue = queue.then(reload).catch((err: unknown) => logger.error({ err }, 'configuration reload failed'))
  })
}

function printLocalHelp(address: string, local: { dataDir: string; user: string; password: string }): void {
  const auth = `${local.user}:${local.password}`
  const lines = [
    '',
    `ftp-gateway is running in local mode over ${local.dataDir} (user ${local.user}).`,
    'Try:',
    `  curl -u ${auth} -T README.md ${address}/api/v1/files/readme.md`,
    `  curl -u ${auth} ${address}/api/v1/dirs/`,
    `  curl -u ${auth} -r 0-99 ${address}/api/v1/files/readme.md`,
    `  API docs:      ${address}/docs`,
    `  Browser page:  ${address}/browse/`,
    `  WebDAV drive:  ${address}/dav/`,
    '',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

main().catch((err) => {
  process.stderr.write(`ftp-gateway failed to start: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
