import net from 'node:net'
import type tls from 'node:tls'

/** How the control connection is secured. */
export type TlsMode = 'none' | 'explicit' | 'implicit'

/**
 * TLS client options that speak for the configured upstream `host` whatever socket carries them
 * (the control connection upgraded in place, a data connection dialled to the pinned address or
 * accepted in active mode): the certificate is checked against `host`, SNI names it (host names
 * only), and Node 24 binds the TLS session to it. Node 24 resumes a session only on a connection
 * with the same identity (`servername || host || socket._host || 'localhost'`), so every
 * connection of one FTP session must pass the same `host` here, or data connections silently
 * start a new session that vsftpd (`require_ssl_reuse`) and ProFTPD refuse.
 */
export function tlsIdentity(host: string, options: tls.ConnectionOptions): tls.ConnectionOptions {
  return { ...options, host, servername: serverName({ host, tls: options }) }
}

/** SNI must be a host name; an IP address is verified against the certificate's IP SANs instead. */
export function serverName(opts: { host: string; tls: tls.ConnectionOptions }): string | undefined {
  if (opts.tls.servername) return opts.tls.servername
  return net.isIP(opts.host) ? undefined : opts.host
}
