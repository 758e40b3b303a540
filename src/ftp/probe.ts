import { ControlConnection } from './control-connection.js'
import { nameCodec } from './names/index.js'
import type { TlsMode } from './tls.js'

/** What a readiness probe needs to know to reach the server. */
export interface ProbeOptions {
  host: string
  port: number
  secure: TlsMode
  timeoutMs: number
  tlsCa?: Buffer | undefined
  tlsInsecure?: boolean | undefined
}

/**
 * Checks that the server answers with a 220 greeting (and, for implicit TLS, a valid certificate),
 * then QUITs. It does not log in: a readiness probe every second must not cost a login.
 */
export async function probeServer(o: ProbeOptions): Promise<void> {
  const tls: Record<string, unknown> = { rejectUnauthorized: !o.tlsInsecure }
  if (o.tlsCa) tls.ca = o.tlsCa
  const { conn } = await ControlConnection.open({
    host: o.host,
    port: o.port,
    secure: o.secure === 'implicit' ? 'implicit' : 'none',
    tls,
    timeoutMs: o.timeoutMs,
    // The greeting and QUIT's reply carry no names.
    codec: nameCodec('utf8'),
    maxReplyBytes: 64 * 1024,
    sessionId: 0,
  })
  await conn.quit(o.timeoutMs)
}
