import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { PathError } from '../path-resolver.js'
import type { Session } from '../session.js'
import { runTransfer } from '../transfer-runner.js'
import type { CommandTable } from './spec.js'

function target(s: Session, arg: string): string {
  const v = s.virtual(arg)
  if (v === undefined || arg === '')
    throw new PathError(arg === '' ? 'No file name given.' : 'Permission denied.')
  return v
}

/** Takes the REST/RANG position for this transfer; it applies to exactly one transfer command. */
function takeRange(s: Session): { start: number; end: number | undefined } {
  const range = { start: s.restOffset, end: s.rangEnd }
  s.restOffset = 0
  s.rangEnd = undefined
  return range
}

async function retr(s: Session, arg: string): Promise<void> {
  const real = await s.ctx.resolver.existing(target(s, arg))
  const st = await stat(real)
  if (!st.isFile()) return s.reply(550, 'Failed to open file.')
  const { start, end: rangEnd } = takeRange(s)
  const cut = s.ctx.faults.abortAfterBytes
  let end = rangEnd
  if (cut !== undefined) end = Math.min(end ?? Number.POSITIVE_INFINITY, start + cut - 1)
  return runTransfer(s, `${arg} (${st.size} bytes)`, 'send', async (data, signal) => {
    // Streamed in chunks: a file is never held whole in memory.
    if (end === undefined || end >= start) {
      const src = createReadStream(real, { start, end: Number.isFinite(end) ? end : undefined })
      await pipeline(src, data, { end: false, signal })
    }
    return cut !== undefined && start + cut < st.size && (rangEnd === undefined || rangEnd >= start + cut)
      ? 'cut'
      : 'complete'
  })
}

async function store(s: Session, arg: string, append: boolean): Promise<void> {
  const real = await s.ctx.resolver.writable(target(s, arg))
  const existing = await stat(real).catch(() => undefined)
  if (existing?.isDirectory()) return s.reply(550, 'Is a directory.')
  const { start } = takeRange(s)
  // REST n + STOR writes from offset n, keeping what is before it (RFC 3659 §5).
  const flags = append ? 'a' : start > 0 && existing ? 'r+' : 'w'
  const sink = createWriteStream(real, { flags, start: append ? undefined : start })
  await Promise.race([
    once(sink, 'open'),
    once(sink, 'error').then(([err]) => {
      throw err
    }),
  ])
  return runTransfer(s, arg, 'receive', async (data, signal) => {
    try {
      await pipeline(data, sink, { signal })
    } finally {
      sink.destroy()
    }
    return 'complete'
  })
}

async function abor(s: Session): Promise<void> {
  const t = s.transfer
  if (t) {
    await t.abort()
    await s.reply(226, 'ABOR successful.')
  } else if (s.data) {
    s.setData(undefined)
    await s.reply(225, 'Data connection closed; no transfer in progress.')
  } else {
    await s.reply(226, 'No transfer to ABOR.')
  }
  // Pure-FTPd quirk: a stray 150 that a client reads as the reply to its next command.
  if (s.ctx.faults.extra150AfterAbor) await s.reply(150, 'Accepted data connection (measured here)')
}

/** REST, RANG, RETR, STOR, APPE and ABOR. */
export const transferCommands: CommandTable = {
  REST: {
    feature: 'rest',
    handler: (s, arg) => {
      if (!/^\d{1,15}$/.test(arg.trim())) return s.reply(501, 'REST needs a byte offset.')
      s.restOffset = Number(arg.trim())
      s.rangEnd = undefined
      return s.reply(350, `Restart position accepted (${s.restOffset}).`)
    },
  },
  RANG: {
    feature: 'rang',
    handler: (s, arg) => {
      const m = /^(\d{1,15}) (\d{1,15})$/.exec(arg.trim())
      if (!m) return s.reply(501, 'RANG needs a start and an end byte.')
      const [a, b] = [Number(m[1]), Number(m[2])]
      if (a === 1 && b === 0) {
        s.restOffset = 0
        s.rangEnd = undefined
        return s.reply(350, 'Restart range reset.')
      }
      if (b < a) return s.reply(501, 'RANG end before start.')
      s.restOffset = a
      s.rangEnd = b
      return s.reply(350, `Restarting at ${a}. End byte range at ${b}.`)
    },
  },
  RETR: { handler: retr },
  STOR: { handler: (s, arg) => store(s, arg, false) },
  APPE: { handler: (s, arg) => store(s, arg, true), feature: 'appe' },
  ABOR: { handler: abor },
}
