import { FtpError } from './errors.js'
import type { NameCodec } from './names/index.js'

/** Longest command line the engine will send; longer ones are a caller bug or an attack. */
export const MAX_COMMAND_BYTES = 4096

// CR and LF would end the command early (command injection); NUL truncates in C servers.
const FORBIDDEN = /[\r\n\0]/

const VERB = /^[A-Z]{3,4}( [A-Z0-9]+)?$/i
// CR, LF, NUL, surrogates and the escape block: text without any is safe and plain UTF-8.
const UNSAFE_OR_NOT_PLAIN = /[\r\n\0\ud800-\udfff\uef80-\uefff]/

/** Throws a bad-name FtpError when `arg` cannot travel safely in an FTP command. */
export function assertSafeArgument(arg: string): void {
  if (FORBIDDEN.test(arg)) {
    throw new FtpError('bad-name', 'Argument contains CR, LF or NUL')
  }
}

/**
 * Encodes `VERB arg\r\n` for the wire, the argument in the upstream's encoding (`codec`, with the
 * reversible escape: docs/names.md). Validates the argument first, so nothing is written when it
 * is unsafe or has no bytes in that encoding. A 0xFF byte (Telnet IAC) is doubled only with
 * `doubleIac`, for servers that read Telnet in commands as RFC 959 has it (ProFTPD); vsftpd and
 * Pure-FTPd take command bytes literally and would keep both (docs/ftp-servers.md "Names and
 * encodings"; the control connection finds out which kind it talks to). Valid UTF-8 never holds 0xFF.
 */
export function encodeCommand(
  verb: string,
  arg: string | undefined,
  codec: NameCodec,
  doubleIac = false,
): Buffer {
  if (!VERB.test(verb)) throw new FtpError('bad-name', `Invalid FTP verb`)
  // The hot path (every GET sends a path): safe, plain UTF-8 text is its own bytes, found with one
  // test and written with one allocation (NameCodec.plainUtf8 plus assertSafeArgument in one go).
  if (arg !== undefined && codec.utf8 && !UNSAFE_OR_NOT_PLAIN.test(arg))
    return checkLength(Buffer.from(`${verb} ${arg}\r\n`, 'utf8'))
  let bytes: Buffer
  if (arg === undefined) {
    bytes = Buffer.from(`${verb}\r\n`, 'latin1')
  } else {
    assertSafeArgument(arg)
    const encoded = codec.encode(arg)
    // The text was checked; its bytes are too, whatever the encoding made of it.
    if (encoded.includes(0x0a) || encoded.includes(0x0d) || encoded.includes(0x00))
      throw new FtpError('bad-name', 'Argument contains CR, LF or NUL')
    bytes = Buffer.concat([Buffer.from(`${verb} `, 'latin1'), doubleIac ? doubled(encoded) : encoded, CRLF])
  }
  return checkLength(bytes)
}

function checkLength(bytes: Buffer): Buffer {
  if (bytes.length > MAX_COMMAND_BYTES) throw new FtpError('bad-name', 'Command line too long')
  return bytes
}

const CRLF = Buffer.from('\r\n', 'latin1')

/** The bytes with every 0xFF doubled (Telnet IAC IAC: one data byte 0xFF). */
function doubled(bytes: Buffer): Buffer {
  if (!bytes.includes(0xff)) return bytes
  const out: number[] = []
  for (const b of bytes) {
    out.push(b)
    if (b === 0xff) out.push(0xff)
  }
  return Buffer.from(out)
}

/** The command as it may appear in logs and errors: PASS arguments are masked. */
export function redactCommand(verb: string, arg: string | undefined): string {
  if (arg === undefined) return verb
  return /^(PASS|ACCT)$/i.test(verb) ? `${verb} ***` : `${verb} ${arg}`
}

/**
 * True when `arg` would put a 0xFF byte on the wire. Plain UTF-8 never does, so the common case
 * costs one regular-expression test; an argument the codec refuses reports false (sending it fails).
 */
export function holdsIac(arg: string, codec: NameCodec): boolean {
  if (codec.plainUtf8(arg)) return false
  try {
    return codec.encode(arg).includes(0xff)
  } catch {
    return false
  }
}
