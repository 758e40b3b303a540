/**
 * Records the outgoing TCP connections this process attempts (everything made with net.connect /
 * net.createConnection: the gateway's plain FTP control and data connections, node:http clients),
 * through Node's `net.client.socket` diagnostics channel. Lets a test prove which addresses an
 * in-process gateway dialled. TLS sockets made by tls.connect with a host are not published there.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import type net from 'node:net'

/** One connection attempt: the address and port dialled. */
export interface Dial {
  host: string
  port: number
}

/** Starts recording; `stop()` unsubscribes. */
export function spyOnDials(): { dials: Dial[]; stop(): void } {
  const dials: Dial[] = []
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: net.Socket }
    socket.on('connectionAttempt', (host: string, port: number) => dials.push({ host, port }))
  }
  diagnosticsChannel.subscribe('net.client.socket', onSocket)
  return {
    dials,
    stop: () => {
      diagnosticsChannel.unsubscribe('net.client.socket', onSocket)
    },
  }
}
