import { FtpError } from './errors.js'
import type { TlsMode } from './tls.js'

/** An upstream as FTP_URL names it. */
export interface FtpUrl {
  host: string
  port: number
  secure: TlsMode
  /** Service-account credentials, when the URL carries them. */
  user?: string | undefined
  password?: string | undefined
  /** The server path HTTP paths map under; undefined means the login directory. */
  root?: string | undefined
}

/**
 * Parses `ftp://host:21`, `ftpes://host:21` (explicit TLS, required) and `ftps://host:990`
 * (implicit TLS). A path sets the root; `user:pass@` selects service-account mode.
 */
export function parseFtpUrl(raw: string): FtpUrl {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new FtpError('bad-name', 'FTP_URL is not a URL')
  }
  const schemes: Record<string, [TlsMode, number]> = {
    'ftp:': ['none', 21],
    'ftpes:': ['explicit', 21],
    'ftps:': ['implicit', 990],
  }
  const scheme = schemes[url.protocol]
  if (!scheme)
    throw new FtpError(
      'bad-name',
      `FTP_URL scheme must be ftp, ftpes or ftps (got ${url.protocol.replace(':', '')})`,
    )
  if (!url.hostname) throw new FtpError('bad-name', 'FTP_URL has no host')
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  const root =
    url.pathname && url.pathname !== '/' ? decodeURIComponent(url.pathname).replace(/\/+$/, '') : undefined
  return {
    host,
    port: url.port ? Number(url.port) : scheme[1],
    secure: scheme[0],
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    root,
  }
}
