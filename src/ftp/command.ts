import { FtpError } from './errors.js'

/** Text encodings a control connection can use for paths. */
export type ControlEncoding = 'utf8' | 'latin1'

/** Longest command line the engine will send; longer ones are a caller bug or an attack. */
export const MAX_COMMAND_BYTES = 4096

// CR and LF would end the command early (command injection); NUL truncates in C servers.
const FORBIDDEN = /[\r\n\0]/

/** Throws a bad-name FtpError when `arg` cannot travel safely in an FTP command. */
export function assertSafeArgument(arg: string): void {
  if (FORBIDDEN.test(arg)) {
    throw new FtpError('bad-name', 'Argument contains CR, LF or NUL')
  }
}

/**
 * Encodes `VERB arg\r\n` for the wire. Validates the argument first, so nothing is written when it
 * is unsafe. In latin1 a 0xFF byte is the Telnet IAC and is doubled (RFC 959 / RFC 3659 §2.2);
 * UTF-8 text never contains 0xFF.
 */
export function encodeCommand(verb: string, arg: string | undefined, encoding: ControlEncoding): Buffer {
  if (!/^[A-Z]{3,4}( [A-Z0-9]+)?$/i.test(verb)) throw new FtpError('bad-name', `Invalid FTP verb`)
  if (arg !== undefined) assertSafeArgument(arg)
  const line = arg === undefined ? `${verb}\r\n` : `${verb} ${arg}\r\n`
  let bytes = Buffer.from(line, encoding)
  if (encoding === 'latin1' && bytes.includes(0xff)) {
    const out: number[] = []
    for (const b of bytes) {
      out.push(b)
      if (b === 0xff) out.push(0xff)
    }
    bytes = Buffer.from(out)
  }
  if (bytes.length > MAX_COMMAND_BYTES) throw new FtpError('bad-name', 'Command line too long')
  return bytes
}

/** The command as it may appear in logs and errors: PASS arguments are masked. */
export function redactCommand(verb: string, arg: string | undefined): string {
  if (arg === undefined) return verb
  return /^(PASS|ACCT)$/i.test(verb) ? `${verb} ***` : `${verb} ${arg}`
}
