import { FtpError } from './errors.js'
import type { FtpReply } from './reply-parser.js'

/** What a PASV reply announced. The engine dials only the port, at the control peer's address. */
export interface PassiveTarget {
  /** The address the server named (reported for logs; never dialled). */
  announcedHost?: string
  port: number
}

/**
 * Parses `229 Entering Extended Passive Mode (|||6446|)`; the delimiter may be any printable char
 * (RFC 2428). Some servers fill in the protocol and address fields (`(|1|10.0.0.1|6446|)`), which
 * RFC 2428 leaves empty: the port is taken and the address only reported, as with PASV.
 */
export function parseEpsvReply(reply: FtpReply): PassiveTarget {
  const m = /\(([^\w\s])(\d?)\1([0-9A-Fa-f:.]*)\1(\d{1,5})\1\)/.exec(reply.text)
  const port = m ? Number(m[4]) : Number.NaN
  if (!m || port < 1 || port > 65535)
    throw new FtpError('protocol', 'Malformed EPSV reply', { replyCode: reply.code })
  return m[3] ? { announcedHost: m[3], port } : { port }
}

/** Parses `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`; every number must be a byte. */
export function parsePasvReply(reply: FtpReply): PassiveTarget {
  const m = /(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3})/.exec(reply.text)
  if (!m) throw new FtpError('protocol', 'Malformed PASV reply', { replyCode: reply.code })
  const n = m.slice(1).map(Number)
  if (n.some((x) => x > 255))
    throw new FtpError('protocol', 'PASV reply has an octet over 255', { replyCode: reply.code })
  const port = n[4]! * 256 + n[5]!
  if (port < 1) throw new FtpError('protocol', 'PASV reply names port 0', { replyCode: reply.code })
  return { announcedHost: n.slice(0, 4).join('.'), port }
}

/** Formats the EPRT argument `|1|127.0.0.1|40001|` or `|2|::1|40001|`. */
export function formatEprt(address: string, port: number): string {
  const family = address.includes(':') ? 2 : 1
  return `|${family}|${address}|${port}|`
}

/** Formats the PORT argument `h1,h2,h3,h4,p1,p2` (IPv4 only). */
export function formatPort(address: string, port: number): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address))
    throw new FtpError('unsupported', 'PORT needs an IPv4 address')
  return `${address.replace(/\./g, ',')},${port >> 8},${port & 255}`
}
