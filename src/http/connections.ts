/**
 * A cap on connections per client address (issue 15 item 9): a few hundred connections from one
 * client used up the process's file descriptors, and /healthz then failed for everyone. At most
 * HTTP_MAX_CONNECTIONS_PER_ADDRESS connections are open per client socket address; one more is
 * closed as soon as it is accepted, before anything is read or allocated for it.
 *
 * The socket address counts, never X-Forwarded-For, whatever TRUST_PROXY says: nothing has been
 * read yet, and a header is the client's to forge. Behind a load balancer every connection comes
 * from its address (or its few addresses): the peers TRUST_PROXY names as proxies are therefore not
 * capped (`exempt`), and without TRUST_PROXY raise the cap there or set it to 0 and let the load
 * balancer limit its clients.
 *
 * Connections that say nothing are closed by Node's headersTimeout (HTTP_HEADERS_TIMEOUT_MS, a 408,
 * counted from the connection's start when no request has begun) and, between keep-alive
 * requests, by keepAliveTimeout (HTTP_KEEPALIVE_TIMEOUT_MS): app.ts sets both.
 */
import type { Server, Socket } from 'node:net'

/** Settings of guardConnections. */
export interface ConnectionGuardOptions {
  /** Open connections per socket address; 0 means no cap (HTTP_MAX_CONNECTIONS_PER_ADDRESS). */
  maxPerAddress: number
  /** Peers the cap does not apply to (the deployment's own proxies). */
  exempt?: ((address: string) => boolean) | undefined
  /** Told about each connection refused by the cap (for a log line). */
  onRefused?: ((address: string) => void) | undefined
}

/** Counts of the guard, for tests and metrics. */
export interface ConnectionGuardStats {
  /** Connections closed because their address was at the cap. */
  refused: number
}

/** Installs the cap on `server`; returns live counts. */
export function guardConnections(server: Server, options: ConnectionGuardOptions): ConnectionGuardStats {
  const stats: ConnectionGuardStats = { refused: 0 }
  if (options.maxPerAddress <= 0) return stats
  const perAddress = new Map<string, number>()
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? ''
    if (options.exempt?.(address)) return
    const open = perAddress.get(address) ?? 0
    if (open >= options.maxPerAddress) {
      stats.refused++
      options.onRefused?.(address)
      socket.destroy()
      return
    }
    perAddress.set(address, open + 1)
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1
      if (left <= 0) perAddress.delete(address)
      else perAddress.set(address, left)
    })
  })
  return stats
}
