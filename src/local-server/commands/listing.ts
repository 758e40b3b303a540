import { lstat, readdir, readlink, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { dosLine, type ListEntry, mlsxFacts, unixLine } from '../listing-format.js'
import { PathError } from '../path-resolver.js'
import type { Session } from '../session.js'
import { runTransfer } from '../transfer-runner.js'
import type { CommandTable } from './spec.js'

/** An entry with its symlink target's stat only when that target stays inside the root. */
async function describe(s: Session, real: string, virtual: string, name: string): Promise<ListEntry> {
  const st = await lstat(real)
  const entry: ListEntry = { name, lstat: st }
  if (st.isSymbolicLink()) {
    entry.linkTarget = await readlink(real).catch(() => undefined)
    try {
      entry.targetStat = await stat(await s.ctx.resolver.existing(virtual))
    } catch {
      // Dangling or escaping links are listed as links, never followed.
    }
  }
  return entry
}

interface Target {
  virtual: string
  real: string
  isDir: boolean
}

/** Resolves a listing argument (CWD when empty); a missing path is 550 before any 150. */
async function resolveTarget(s: Session, arg: string): Promise<Target> {
  const v = s.virtual(arg)
  if (v === undefined) throw new PathError('Permission denied.')
  const real = await s.ctx.resolver.existing(v)
  return { virtual: v, real, isDir: (await stat(real)).isDirectory() }
}

async function entriesOf(s: Session, t: Target): Promise<ListEntry[]> {
  if (!t.isDir) return [await describe(s, t.real, t.virtual, path.posix.basename(t.virtual))]
  const names = (await readdir(t.real)).sort()
  const out: ListEntry[] = []
  for (const name of names) {
    const entry = await describe(s, path.join(t.real, name), path.posix.join(t.virtual, name), name).catch(
      () => undefined,
    )
    if (entry) out.push(entry)
  }
  return out
}

/** Lines that never end, for the `endlessListing` fault; they still parse as Unix LIST lines. */
function* endless(): Generator<string> {
  for (let i = 0; ; i++) yield `-rw-r--r--   1 ftp      ftp             0 Jan  1  2024 endless-${i}\r\n`
}

function sendLines(s: Session, label: string, lines: string[]): Promise<void> {
  return runTransfer(s, label, 'send', async (data, signal) => {
    const source = s.ctx.faults.endlessListing ? endless() : lines.map((l) => `${l}\r\n`)
    await pipeline(Readable.from(source), data, { end: false, signal })
    return 'complete'
  })
}

/** `LIST -la path`: leading option words (as clients send them) are not part of the path. */
function stripOptions(arg: string): string {
  return arg.replace(/^(-[a-zA-Z]+( +|$))+/, '')
}

async function list(s: Session, arg: string): Promise<void> {
  const t = await resolveTarget(s, stripOptions(arg))
  const entries = await entriesOf(s, t)
  const now = new Date()
  const lines = entries.map((e) => (s.ctx.options.listFormat === 'dos' ? dosLine(e) : unixLine(e, now)))
  return sendLines(s, 'directory list', lines)
}

async function nlst(s: Session, arg: string): Promise<void> {
  const plain = stripOptions(arg)
  const t = await resolveTarget(s, plain)
  const lines = t.isDir ? (await readdir(t.real)).sort() : [plain]
  return sendLines(s, 'file list', lines)
}

async function mlsd(s: Session, arg: string): Promise<void> {
  const t = await resolveTarget(s, arg)
  if (!t.isDir) return s.reply(501, 'Not a directory.')
  const self = await describe(s, t.real, t.virtual, '.')
  const entries = await entriesOf(s, t)
  const lines = [
    `${mlsxFacts(self, s.mlstFacts, 'cdir')}.`,
    ...entries.map((e) => `${mlsxFacts(e, s.mlstFacts)}${e.name}`),
  ]
  return sendLines(s, 'MLSD', lines)
}

async function mlst(s: Session, arg: string): Promise<void> {
  const t = await resolveTarget(s, arg)
  const e = await describe(s, t.real, t.virtual, t.virtual)
  return s.reply(250, [`Listing ${t.virtual}`, ` ${mlsxFacts(e, s.mlstFacts)}${t.virtual}`, 'End'])
}

async function status(s: Session, arg: string): Promise<void> {
  if (arg === '') {
    return s.reply(211, [
      'ftp-gateway local FTP server status:',
      ` Logged in as ${s.user ?? '(nobody)'}`,
      ' TYPE: BINARY',
      ` Session ${s.id}, ${s.transfer ? 'transfer in progress' : 'no transfer in progress'}`,
      'End of status',
    ])
  }
  // STAT path: the listing comes back on the control connection.
  const t = await resolveTarget(s, stripOptions(arg))
  const lines = (await entriesOf(s, t)).map((e) => ` ${unixLine(e)}`)
  return s.reply(213, [`Status of ${t.virtual}:`, ...lines, 'End of status'])
}

/** LIST, NLST, MLSD, MLST and STAT. */
export const listingCommands: CommandTable = {
  LIST: { handler: list },
  NLST: { handler: nlst },
  MLSD: { feature: 'mlsd', handler: mlsd },
  MLST: { feature: 'mlst', handler: mlst },
  STAT: { handler: status },
}
