import { MLST_FACTS, type MlstFact } from '../listing-format.js'
import type { Session } from '../session.js'
import type { CommandTable } from './spec.js'

/** FEAT body lines (each starts with a space, RFC 2389), following the enabled features. */
export function featureLines(s: Session): string[] {
  const f = s.ctx.features
  const lines: string[] = []
  if (s.ctx.secureContext) lines.push(' AUTH TLS', ' PBSZ', ' PROT')
  if (f.eprt) lines.push(' EPRT')
  if (f.epsv) lines.push(' EPSV')
  if (f.pasv) lines.push(' PASV')
  if (f.mdtm) lines.push(' MDTM')
  if (f.mfmt) lines.push(' MFMT')
  if (f.mlst || f.mlsd) {
    const facts = MLST_FACTS.map((k) => `${k}${s.mlstFacts.has(k) ? '*' : ''};`).join('')
    lines.push(` MLST ${facts}`)
  }
  if (f.rest) lines.push(' REST STREAM')
  if (f.rang) lines.push(' RANG STREAM')
  if (f.size) lines.push(' SIZE')
  if (f.hash) lines.push(' HASH SHA-256*')
  lines.push(' TVFS')
  if (f.utf8) lines.push(' UTF8')
  return lines
}

async function opts(s: Session, arg: string): Promise<void> {
  const space = arg.indexOf(' ')
  const name = (space < 0 ? arg : arg.slice(0, space)).toUpperCase()
  const value = space < 0 ? '' : arg.slice(space + 1)
  if (name === 'UTF8' && s.ctx.features.utf8) {
    if (/^on$/i.test(value.trim())) return s.reply(200, 'Always in UTF8 mode.')
    return s.reply(501, 'Only UTF8 ON is supported.')
  }
  if (name === 'MLST' && (s.ctx.features.mlst || s.ctx.features.mlsd)) {
    const wanted = value
      .split(';')
      .map((x) => x.trim().toLowerCase())
      .filter((x): x is MlstFact => (MLST_FACTS as readonly string[]).includes(x))
    s.mlstFacts = new Set(wanted)
    return s.reply(200, `MLST OPTS ${wanted.map((x) => `${x};`).join('')}`)
  }
  if (name === 'HASH' && s.ctx.features.hash) {
    if (value === '' || value.toUpperCase() === 'SHA-256') return s.reply(200, 'SHA-256')
    return s.reply(501, 'Unknown algorithm, only SHA-256 is supported.')
  }
  return s.reply(501, 'Option not understood.')
}

const HELP_VERBS =
  'ABOR APPE AUTH CDUP CWD DELE EPRT EPSV FEAT HELP LIST MDTM MFMT MKD MLSD MLST MODE NLST NOOP OPTS PASS PASV PBSZ PORT PROT PWD QUIT RETR REST RMD RNFR RNTO SIZE STAT STOR STRU SYST TYPE USER'

/** Login, session options, TLS negotiation and other commands that touch no files. */
export const basicCommands: CommandTable = {
  USER: {
    public: true,
    handler: (s, arg) => {
      s.user = arg
      s.loggedIn = false
      return s.reply(331, 'Please specify the password.')
    },
  },
  PASS: {
    public: true,
    handler: (s, arg) => {
      if (s.loggedIn) return s.reply(230, 'Already logged in.')
      if (s.user === undefined) return s.reply(503, 'Login with USER first.')
      if (s.ctx.checkLogin(s.user, arg)) {
        s.loggedIn = true
        return s.reply(230, 'Login successful.')
      }
      s.user = undefined
      return s.reply(530, 'Login incorrect.')
    },
  },
  SYST: { public: true, handler: (s) => s.reply(215, 'UNIX Type: L8') },
  FEAT: { public: true, handler: (s) => s.reply(211, ['Features:', ...featureLines(s), 'End']) },
  HELP: {
    public: true,
    handler: (s) => s.reply(214, ['The following commands are recognized.', ` ${HELP_VERBS}`, 'Help OK.']),
  },
  NOOP: { public: true, handler: (s) => s.reply(200, 'NOOP ok.') },
  QUIT: {
    public: true,
    handler: async (s) => {
      await s.reply(221, 'Goodbye.')
      s.close()
    },
  },
  OPTS: { handler: opts },
  TYPE: {
    handler: (s, arg) => {
      // Transfers are always binary; ASCII is accepted for clients that insist on asking for it.
      const t = arg.trim().toUpperCase()
      if (t === 'I' || t === 'L 8') return s.reply(200, 'Switching to Binary mode.')
      if (t === 'A' || t === 'A N') return s.reply(200, 'Switching to ASCII mode.')
      return s.reply(504, 'Unsupported type.')
    },
  },
  MODE: {
    handler: (s, arg) =>
      arg.trim().toUpperCase() === 'S' ? s.reply(200, 'Mode set to S.') : s.reply(504, 'Bad MODE command.'),
  },
  STRU: {
    handler: (s, arg) =>
      arg.trim().toUpperCase() === 'F'
        ? s.reply(200, 'Structure set to F.')
        : s.reply(504, 'Bad STRU command.'),
  },
  AUTH: {
    public: true,
    handler: (s, arg) => {
      if (!s.ctx.secureContext) return s.reply(502, 'TLS not configured.')
      if (s.secure) return s.reply(503, 'Already using TLS.')
      const mech = arg.trim().toUpperCase()
      if (mech !== 'TLS' && mech !== 'SSL' && mech !== 'TLS-C') return s.reply(504, 'Unknown AUTH type.')
      return s.upgradeToTls()
    },
  },
  PBSZ: {
    public: true,
    handler: (s) => {
      if (!s.secure) return s.reply(503, 'PBSZ needs a secure control connection.')
      s.pbszSeen = true
      return s.reply(200, 'PBSZ=0')
    },
  },
  PROT: {
    public: true,
    handler: (s, arg) => {
      if (!s.secure) return s.reply(503, 'PROT needs a secure control connection.')
      if (!s.pbszSeen) return s.reply(503, 'PBSZ first.')
      const level = arg.trim().toUpperCase()
      if (level === 'P' || level === 'C') {
        s.protP = level === 'P'
        return s.reply(200, `PROT now ${level === 'P' ? 'Private' : 'Clear'}.`)
      }
      return s.reply(536, 'Only PROT C and P are supported.')
    },
  },
}
