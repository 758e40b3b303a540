import type { Duplex } from 'node:stream'
import { replyForError } from './faults.js'
import type { Session } from './session.js'

/** How a transfer body ended: complete, or deliberately cut short (the `abortAfterBytes` fault). */
export type TransferOutcome = 'complete' | 'cut'

/** Data socket body: streams to or from `data` and never ends it (the runner does). */
export type TransferBody = (data: Duplex, signal: AbortSignal) => Promise<TransferOutcome>

const FILE_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ENOSPC', 'EEXIST'])

/** A broken data connection (426) as opposed to a file-system failure (55x/45x). */
function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === undefined || !FILE_ERRORS.has(code)
}

/** Resolves when the socket has fully closed, or after `ms` (then it is destroyed). */
function closed(data: Duplex, ms = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (data.destroyed) return resolve()
    const timer = setTimeout(() => {
      data.destroy()
      resolve()
    }, ms)
    data.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Resolves when the data socket goes away or the transfer is aborted. */
function stalled(data: Duplex, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    data.resume()
    data.once('close', resolve)
    signal.addEventListener('abort', () => resolve(), { once: true })
  })
}

/**
 * Runs one transfer: 150, connect the pending data channel, run `body`, then the completion
 * reply in the order the faults ask for. Registers itself as the session's transfer so an ABOR
 * can cancel it; an aborted transfer answers 426 and the ABOR handler adds its 226.
 */
export async function runTransfer(
  s: Session,
  label: string,
  direction: 'send' | 'receive',
  body: TransferBody,
): Promise<void> {
  if (!s.data) return s.reply(425, 'Use PORT, PASV, EPRT or EPSV first.')
  const faults = s.ctx.faults
  const ac = new AbortController()
  let data: Duplex | undefined
  let replied426!: () => void
  const abortDone = new Promise<void>((resolve) => {
    replied426 = resolve
  })
  s.transfer = {
    abort: () => {
      ac.abort()
      data?.destroy()
      s.setData(undefined)
      return abortDone
    },
  }
  try {
    await s.reply(150, `Opening BINARY mode data connection for ${label}.`)
    try {
      data = await s.openData()
    } catch {
      if (!ac.signal.aborted) await s.reply(425, "Can't open data connection.")
      else await s.reply(426, 'Connection closed; transfer aborted.')
      s.setData(undefined)
      return
    }
    data.on('error', () => {})
    // Sends still need reading: the client's FIN is how we learn the data connection closed.
    if (direction === 'send') data.resume()
    if (faults.dataStall) {
      await stalled(data, ac.signal)
      throw new Error('stalled transfer ended')
    }
    const outcome = await body(data, ac.signal)
    if (ac.signal.aborted) throw new Error('aborted')
    // The channel is used up; forget it without destroying a socket that may still be flushing.
    s.data = undefined
    await complete(s, data, direction, outcome)
  } catch (err) {
    data?.destroy()
    s.setData(undefined)
    if (ac.signal.aborted || isConnectionError(err)) {
      await s.reply(426, 'Connection closed; transfer aborted.')
    } else {
      await s.reply(...replyForError(err))
    }
  } finally {
    s.transfer = undefined
    replied426()
  }
}

async function complete(
  s: Session,
  data: Duplex,
  direction: 'send' | 'receive',
  outcome: TransferOutcome,
): Promise<void> {
  const faults = s.ctx.faults
  if (outcome === 'cut') {
    data.end()
    await closed(data)
    return s.reply(426, 'Connection closed; transfer aborted.')
  }
  if (direction === 'receive') {
    // The client already closed its side; the file is flushed.
    data.end()
    if (!faults.never226) await s.reply(226, 'Transfer complete.')
    return
  }
  if (faults.never226) {
    data.end()
    await closed(data)
    return
  }
  if (faults.completionOrder === 'before-eof') {
    await s.reply(226, 'Transfer complete.')
    data.end()
    await closed(data)
    return
  }
  data.end()
  await closed(data)
  return s.reply(226, 'Transfer complete.')
}
