import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, mkdir, rename, rmdir, stat, unlink, utimes } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { mlsdTime, parseMlsdTime } from '../listing-format.js'
import { PathError } from '../path-resolver.js'
import type { Session } from '../session.js'
import { type CommandTable, quotePath } from './spec.js'

function virtualOf(s: Session, arg: string): string {
  if (arg === '') throw new PathError('No path given.')
  const v = s.virtual(arg)
  if (v === undefined) throw new PathError('Permission denied.')
  return v
}

async function fileStat(s: Session, arg: string) {
  const real = await s.ctx.resolver.existing(virtualOf(s, arg))
  return { real, st: await stat(real) }
}

async function size(s: Session, arg: string): Promise<void> {
  const { st } = await fileStat(s, arg)
  if (!st.isFile()) return s.reply(550, 'Could not get file size.')
  return s.reply(213, String(st.size))
}

/** Read-only: `MDTM 20240101000000 x` is a lookup of the name "20240101000000 x", never a write. */
async function mdtm(s: Session, arg: string): Promise<void> {
  const { st } = await fileStat(s, arg)
  return s.reply(213, mlsdTime(st.mtime))
}

async function mfmt(s: Session, arg: string): Promise<void> {
  const space = arg.indexOf(' ')
  const when = space > 0 ? parseMlsdTime(arg.slice(0, space)) : undefined
  if (!when) return s.reply(501, 'Usage: MFMT YYYYMMDDHHMMSS path')
  const name = arg.slice(space + 1)
  const { real, st } = await fileStat(s, name)
  await utimes(real, st.atime, when)
  return s.reply(213, `Modify=${mlsdTime(when)}; ${name}`)
}

async function dele(s: Session, arg: string): Promise<void> {
  const real = await s.ctx.resolver.entry(virtualOf(s, arg))
  if ((await lstat(real)).isDirectory()) return s.reply(550, 'Is a directory; use RMD.')
  await unlink(real)
  return s.reply(250, 'Delete operation successful.')
}

async function mkd(s: Session, arg: string): Promise<void> {
  const v = virtualOf(s, arg)
  await mkdir(await s.ctx.resolver.entry(v))
  return s.reply(257, `${quotePath(v)} created`)
}

async function rmd(s: Session, arg: string): Promise<void> {
  const v = virtualOf(s, arg)
  if (v === '/') throw new PathError('Permission denied.')
  await rmdir(await s.ctx.resolver.entry(v))
  return s.reply(250, 'Remove directory operation successful.')
}

async function rnfr(s: Session, arg: string): Promise<void> {
  const v = virtualOf(s, arg)
  if (v === '/') throw new PathError('Permission denied.')
  const real = await s.ctx.resolver.entry(v)
  await lstat(real)
  s.renameFrom = real
  return s.reply(350, 'Ready for RNTO.')
}

async function rnto(s: Session, arg: string): Promise<void> {
  const from = s.renameFrom
  s.renameFrom = undefined
  if (!from) return s.reply(503, 'RNFR required first.')
  await rename(from, await s.ctx.resolver.entry(virtualOf(s, arg)))
  return s.reply(250, 'Rename successful.')
}

/** HASH (draft-bryan-ftpext-hash): SHA-256 of the file, or of the REST/RANG range. */
async function hash(s: Session, arg: string): Promise<void> {
  const { real, st } = await fileStat(s, arg)
  if (!st.isFile()) return s.reply(550, 'Not a plain file.')
  const start = Math.min(s.restOffset, st.size)
  const end = Math.min(s.rangEnd ?? st.size - 1, st.size - 1)
  s.restOffset = 0
  s.rangEnd = undefined
  const h = createHash('sha256')
  if (end >= start) await pipeline(createReadStream(real, { start, end }), h)
  return s.reply(213, `SHA-256 ${start}-${Math.max(end, start)} ${h.digest('hex')} ${arg}`)
}

/** SIZE, MDTM, MFMT, DELE, MKD, RMD, RNFR, RNTO and HASH. */
export const fileCommands: CommandTable = {
  SIZE: { feature: 'size', handler: size },
  MDTM: { feature: 'mdtm', handler: mdtm },
  MFMT: { feature: 'mfmt', handler: mfmt },
  DELE: { handler: dele },
  MKD: { handler: mkd },
  XMKD: { handler: mkd },
  RMD: { handler: rmd },
  XRMD: { handler: rmd },
  RNFR: { handler: rnfr },
  RNTO: { handler: rnto },
  HASH: { feature: 'hash', handler: hash },
}
