import type { FtpReply } from './reply-parser.js'

/** Capabilities advertised by FEAT (RFC 2389), as flags the engine branches on. */
export interface FtpFeatures {
  mlst: boolean
  /** The MLST facts the server offers (lowercase, without the '*'). */
  mlstFacts: string[]
  size: boolean
  mdtm: boolean
  mfmt: boolean
  /** `SITE UTIME` advertised (ProFTPD style). */
  siteUtime: boolean
  rest: boolean
  rang: boolean
  epsv: boolean
  eprt: boolean
  utf8: boolean
  tvfs: boolean
  authTls: boolean
  pbsz: boolean
  prot: boolean
  host: boolean
  /** HASH algorithms (RFC draft-bryan-ftpext-hash), uppercase; `selectedHash` is the starred one. */
  hashAlgorithms: string[]
  selectedHash: string | undefined
  /** Legacy checksum commands advertised: XCRC, XMD5, XSHA1, XSHA256, XSHA512. */
  xhash: string[]
  /** Every feature line, raw (trimmed), for logs. */
  raw: string[]
}

/** The features assumed when FEAT is refused: nothing beyond RFC 959. */
export function emptyFeatures(): FtpFeatures {
  return {
    mlst: false,
    mlstFacts: [],
    size: false,
    mdtm: false,
    mfmt: false,
    siteUtime: false,
    rest: false,
    rang: false,
    epsv: false,
    eprt: false,
    utf8: false,
    tvfs: false,
    authTls: false,
    pbsz: false,
    prot: false,
    host: false,
    hashAlgorithms: [],
    selectedHash: undefined,
    xhash: [],
    raw: [],
  }
}

/** Parses a FEAT reply (211 multi-line). A non-2xx reply yields the empty feature set. */
export function parseFeatures(reply: FtpReply): FtpFeatures {
  const f = emptyFeatures()
  if (reply.code < 200 || reply.code >= 300) return f
  // Feature lines are indented by one space; the first and last lines are the 211 frame.
  for (const line of reply.lines.slice(1, -1)) {
    const text = line.trim()
    if (text === '') continue
    f.raw.push(text)
    const space = text.indexOf(' ')
    const name = (space === -1 ? text : text.slice(0, space)).toUpperCase()
    const params = space === -1 ? '' : text.slice(space + 1).trim()
    switch (name) {
      case 'MLST':
        f.mlst = true
        f.mlstFacts = params
          .split(';')
          .map((s) => s.replace(/\*$/, '').toLowerCase())
          .filter(Boolean)
        break
      case 'SIZE':
        f.size = true
        break
      case 'MDTM':
        f.mdtm = true
        break
      case 'MFMT':
        f.mfmt = true
        break
      case 'SITE':
        if (/\bUTIME\b/i.test(params)) f.siteUtime = true
        break
      case 'REST':
        f.rest = true
        break
      case 'RANG':
        f.rang = true
        break
      case 'EPSV':
        f.epsv = true
        break
      case 'EPRT':
        f.eprt = true
        break
      case 'UTF8':
        f.utf8 = true
        break
      case 'TVFS':
        f.tvfs = true
        break
      case 'AUTH':
        if (/\bTLS\b/i.test(params)) f.authTls = true
        break
      case 'PBSZ':
        f.pbsz = true
        break
      case 'PROT':
        f.prot = true
        break
      case 'HOST':
        f.host = true
        break
      case 'HASH':
        for (const alg of params.split(';')) {
          const a = alg.trim()
          if (!a) continue
          const upper = a.replace(/\*$/, '').toUpperCase()
          f.hashAlgorithms.push(upper)
          if (a.endsWith('*')) f.selectedHash = upper
        }
        break
      case 'XCRC':
      case 'XMD5':
      case 'XSHA1':
      case 'XSHA256':
      case 'XSHA512':
        f.xhash.push(name)
        break
    }
  }
  return f
}
