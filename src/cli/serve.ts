/**
 * `ftp-gateway serve` (and `npm start`, which runs it): reads the configuration, builds the logger
 * and the gateway, listens, and shuts down gracefully on SIGTERM/SIGINT (readiness false at once,
 * transfers finish within SHUTDOWN_GRACE_MS, FTP sessions QUIT, store closed, exit 0). With
 * GATEWAY_CONFIG, SIGHUP re-reads the file instead of shutting down (src/config/reload.ts).
 */
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { ConfigError, type GatewayConfig, loadConfig } from '../config.js'
import { tuneProcessMemory } from '../ftp/memory/index.js'
import { createGateway, type Gateway } from '../gateway.js'
import { LOG_REDACTION } from '../http/app.js'
import { requestIdMixin } from '../http/request-context.js'
import { makeLocalCertificate } from './self-signed.js'

/** What `serve` was asked for beyond the settings. */
export interface ServeOptions {
  /** `--tls`: HTTPS; in local mode without certificate files, a self-signed certificate. */
  tls: boolean
}

/**
 * Starts the gateway with `env` (the process environment with the flags applied). Returns an exit
 * code when it cannot start; once it listens it runs until a signal ends the process.
 */
export async function serve(env: NodeJS.ProcessEnv, options: ServeOptions): Promise<number | undefined> {
  // Flags become this process's environment too: what reads it later (local mode's upstream
  // settings once the embedded server listens) must see the same settings as loadConfig here.
  for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value
  let config: GatewayConfig
  let selfSigned: { certFile: string; fingerprint: string } | undefined
  try {
    config = loadConfig(env)
    if (options.tls && !config.tls) {
      if (!config.local) {
        process.stderr.write(
          '--tls needs TLS_CERT_FILE and TLS_KEY_FILE (a self-signed certificate is made only in local mode)\n',
        )
        return 2
      }
      const made = await makeLocalCertificate(config.host)
      selfSigned = { certFile: made.certFile, fingerprint: made.fingerprint }
      config = loadConfig({ ...env, TLS_CERT_FILE: made.certFile, TLS_KEY_FILE: made.keyFile })
    }
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
    return 2
  }
  // Before anything allocates much (ftp/memory/index.ts); MEMORY_TUNING=false leaves the process as Node made it.
  if (config.memoryTuning) tuneProcessMemory()
  // Tracing only when asked for: otherwise neither the SDK nor the span code is ever loaded.
  const tracing = config.otelEndpoint
    ? (await import('../tracing.js')).startTracing({
        endpoint: config.otelEndpoint,
        serviceName: config.otelServiceName,
      })
    : undefined
  const logger = pino({
    level: config.logLevel,
    redact: LOG_REDACTION,
    mixin: tracing ? (await import('../http/tracing.js')).withTraceIds(requestIdMixin) : requestIdMixin,
  })
  const gateway = await createGateway(config, logger, { tracer: tracing?.tracer })
  const address = await gateway.app.listen({ host: config.host, port: config.port })
  logger.info(
    {
      address,
      mode: config.local ? 'local' : 'upstream',
      store: gateway.store.kind,
      tls: config.tls ? 'on' : 'off',
    },
    'ftp-gateway listening',
  )
  if (gateway.config.local) printLocalHelp(address, gateway.config.local, selfSigned)
  if (config.overriddenByEnv.length > 0)
    logger.info(
      { file: config.configFile, overriddenByEnv: config.overriddenByEnv },
      'environment variables override values of the config file',
    )
  if (config.configFile !== undefined) reloadOnHangup(gateway, logger)

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
  return undefined
}

/**
 * SIGHUP re-reads GATEWAY_CONFIG on this instance (src/reloader.ts): an invalid file is refused with
 * every problem logged and the running configuration stays; a valid one is applied.
 */
function reloadOnHangup(gateway: Gateway, logger: pino.Logger): void {
  process.on('SIGHUP', () => {
    gateway.reloadFile().catch((err: unknown) => logger.error({ err }, 'configuration reload failed'))
  })
}

function printLocalHelp(
  address: string,
  local: { dataDir: string; user: string; password: string },
  selfSigned: { certFile: string; fingerprint: string } | undefined,
): void {
  const auth = `${local.user}:${local.password}`
  const curl = selfSigned ? `curl --cacert ${selfSigned.certFile}` : 'curl'
  const lines = [
    '',
    `ftp-gateway is running in local mode over ${local.dataDir} (user ${local.user}).`,
    ...(selfSigned
      ? [
          `HTTPS with a self-signed certificate made for this run: ${selfSigned.certFile}`,
          `  SHA-256 fingerprint: ${selfSigned.fingerprint}`,
          '  (compare it with what your browser shows before you accept the certificate)',
        ]
      : []),
    'Try:',
    `  ${curl} -u ${auth} -T README.md ${address}/api/v1/files/readme.md`,
    `  ${curl} -u ${auth} ${address}/api/v1/dirs/`,
    `  ${curl} -u ${auth} -r 0-99 ${address}/api/v1/files/readme.md`,
    `  API docs:      ${address}/docs`,
    `  Browser page:  ${address}/browse/`,
    `  WebDAV drive:  ${address}/dav/`,
    '',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}
