import type net from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { PathError } from './path-resolver.js'

/**
 * Writes bytes on the control socket. With `split`, the bytes go out in 1-3 byte pieces with a
 * short pause between them, so a client sees one reply arrive across many reads. No pause after
 * the last piece: AUTH TLS hands the socket to TLS right after its 234.
 */
export async function writeControl(socket: net.Socket, buf: Buffer, split: boolean): Promise<void> {
  if (socket.destroyed || !socket.writable) return
  if (!split) {
    socket.write(buf)
    return
  }
  for (let i = 0; i < buf.length; ) {
    if (i > 0) await delay(2)
    if (socket.destroyed) return
    const n = 1 + Math.floor(Math.random() * 3)
    socket.write(buf.subarray(i, i + n))
    i += n
  }
}

/**
 * Removes Telnet commands (IAC x, and IAC WILL/WONT/DO/DONT option) from a command line; IAC IAC
 * stands for a literal 0xFF. lftp sends `IAC IP IAC DM` before ABOR. UTF-8 never contains 0xFF,
 * so this cannot damage a path.
 */
export function stripTelnet(raw: Buffer): Buffer {
  if (!raw.includes(0xff)) return raw
  const out: number[] = []
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!
    if (b !== 0xff) {
      out.push(b)
      continue
    }
    const next = raw[i + 1]
    if (next === 0xff) out.push(0xff)
    // WILL/WONT/DO/DONT carry an option byte.
    else if (next !== undefined && next >= 251 && next <= 254) i++
    i++
  }
  return Buffer.from(out)
}

/** The reply for an error thrown by a command handler. */
export function replyForError(err: unknown): [number, string] {
  if (err instanceof PathError) return [550, err.message]
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOENT':
      return [550, 'No such file or directory.']
    case 'EACCES':
    case 'EPERM':
      return [550, 'Permission denied.']
    case 'EEXIST':
      return [550, 'File exists.']
    case 'ENOTEMPTY':
      return [550, 'Directory not empty.']
    case 'ENOTDIR':
      return [550, 'Not a directory.']
    case 'EISDIR':
      return [550, 'Is a directory.']
    case 'ENOSPC':
      return [552, 'Insufficient storage space.']
    default:
      return [451, 'Requested action aborted: local error in processing.']
  }
}
