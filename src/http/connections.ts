/**
 * Limits on connections themselves, before any request exists (issue 15 item 9): Node's
 * headersTimeout only starts at a request's first byte and server.timeout is off, so a connection
 * that never sends anything stayed open for ever, and a few hundred of them used up the process's
 * file descriptors (/healthz then failed).
 * - A new connection has HTTP_HEADERS_TIMEOUT_MS of silence to start its first request; the
 *   socket's idle timer is set when it is accepted and cleared when the first request's headers
 *   are complete. Between keep-alive requests Node's keepAliveTimeout applies, and once a request
 *   is under way neither applies: a long download or upload is never cut by these.
 * - At most HTTP_MAX_CONNECTIONS_PER_ADDRESS connections are open per client socket address; one
 *   more is closed as soon as it is accepted. The socket address counts, never X-Forwarded-For
 *   (nothing has been read yet, and a header is the client's to forge): behind a load balancer
 *   every connection comes from its address, so raise the cap there or set it to 0 (no cap).
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/** Settings of guardConnections. */
export interface ConnectionGuardOptions {
  /** Longest silence before a connection's first request is complete (HTTP_HEADERS_TIMEOUT_MS). */
  firstRequestTimeoutMs: number
  /** Open connections per socket address; 0 means no cap (HTTP_MAX_CONNECTIONS_PER_ADDRESS). */
  maxPerAddress: number
  /** Told about each connection refused by the cap (for a log line). */
  onRefused?: ((address: string) => void) | undefined
}

/** Counts of the guard, for tests and metrics. */
export interface ConnectionGuardStats {
  /** Connections closed because their address was at the cap. */
  refused: number
  /** Connections closed for saying nothing before their first request. */
  idleClosed: number
}

/** Installs the limits on `server`; returns live counts. */
export function guardConnections(server: Server, options: ConnectionGuardOptions): ConnectionGuardStats {
  const stats: ConnectionGuardStats = { refused: 0, idleClosed: 0 }
  const perAddress = new Map<string, number>()
  const awaitingFirst = new WeakSet<Socket>()
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? ''
    if (options.maxPerAddress > 0) {
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
    }
    awaitingFirst.add(socket)
    // Node's own 'timeout' handler (socketOnTimeout) destroys a socket that has no request.
    socket.setTimeout(options.firstRequestTimeoutMs, () => {
      if (awaitingFirst.has(socket)) stats.idleClosed++
    })
  })
  server.on('request', (req) => {
    const socket = req.socket
    if (!awaitingFirst.delete(socket)) return
    // The request runs as long as it needs; keepAliveTimeout takes over once it is answered.
    socket.setTimeout(0)
  })
  return stats
}
