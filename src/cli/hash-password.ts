/**
 * `ftp-gateway hash-password [--user NAME]`: a bcrypt hash for a GATEWAY_HTPASSWD file. The
 * password comes from stdin when it is piped (one line; the line break is not part of it), else
 * from a prompt that does not echo, asked twice.
 */
import bcrypt from 'bcryptjs'

/**
 * bcrypt's cost (2^10 rounds): tens of milliseconds per check in bcryptjs. Higher makes every
 * first login and every failed guess cost the gateway's CPU that much more (htpasswd.ts remembers
 * successful checks, not failures); `htpasswd -B` uses 5.
 */
export const BCRYPT_COST = 10

/** bcrypt reads at most this many bytes of a password; the rest is ignored. */
export const BCRYPT_MAX_BYTES = 72

/** The hash of `password` (`$2b$…`). */
export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST)
}

/** Reads all of a piped stdin and drops one trailing line break. */
export async function readPipedPassword(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/** Asks for a line on a terminal without echoing it (raw mode; Ctrl-C and Ctrl-D give up). */
export function promptHidden(
  question: string,
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // Echo off before the prompt shows: what is typed (or pasted) the moment it appears is not echoed.
    input.setRawMode(true)
    output.write(question)
    let typed = ''
    input.resume()
    input.setEncoding('utf8')
    const done = (err?: Error) => {
      input.setRawMode(false)
      input.pause()
      input.removeListener('data', onData)
      output.write('\n')
      if (err) reject(err)
      else resolve(typed)
    }
    const onData = (text: string) => {
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'))
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1)
        else typed += ch
      }
    }
    input.on('data', onData)
  })
}
