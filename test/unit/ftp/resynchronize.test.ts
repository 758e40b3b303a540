/**
 * Getting back in step after an abandoned transfer: the PWD sentinel goes out only after the
 * transfer's completion reply. Pure-FTPd, still in its download loop, reads "ABOR\r\nPWD\r\n" in one
 * read, answers the ABOR (426, 226) and drops the PWD, so a pipelined sentinel was never answered.
 */
import { describe, expect, it } from 'vitest'
import type { FtpError } from '../../../src/ftp/errors.js'
import type { FtpReply } from '../../../src/ftp/reply-parser.js'
import { resynchronize, type TransferHost } from '../../../src/ftp/transfer.js'

/** A control connection that records what is sent and hands out scripted replies. */
function fakeHost(replies: FtpReply[]) {
  const sent: string[] = []
  const broken: FtpError[] = []
  const control = {
    failure: undefined,
    send: (verb: string, arg?: string) => sent.push(arg === undefined ? verb : `${verb} ${arg}`),
    read: async () => {
      const next = replies.shift()
      if (!next) throw new Error('no reply scripted')
      return next
    },
  }
  const host = {
    ctx: { control },
    features: {},
    timeoutMs: 1000,
    markBroken: (err: FtpError) => broken.push(err),
  } as unknown as TransferHost
  return { host, sent, broken }
}

const reply = (code: number, text = ''): FtpReply => ({ code, text }) as FtpReply

describe('resynchronize', () => {
  it('sends the PWD sentinel only once the transfer has its completion reply', async () => {
    const { host, sent, broken } = fakeHost([reply(226, 'Transfer aborted'), reply(257, '"/"')])
    let complete!: (r: FtpReply) => void
    const pending = new Promise<FtpReply>((resolve) => {
      complete = resolve
    })
    const done = resynchronize(host, pending, false)
    await new Promise((r) => setImmediate(r))
    expect(sent).toEqual(['ABOR'])
    complete(reply(426, 'ABORT'))
    await done
    expect(sent).toEqual(['ABOR', 'PWD'])
    expect(broken).toEqual([])
  })

  it('with no transfer reply to wait for, sends ABOR, REST 0 and PWD at once and reads to the 257', async () => {
    const { host, sent, broken } = fakeHost([reply(225), reply(350), reply(150), reply(257, '"/"')])
    await resynchronize(host, undefined, true)
    expect(sent).toEqual(['ABOR', 'REST 0', 'PWD'])
    expect(broken).toEqual([])
  })
})
