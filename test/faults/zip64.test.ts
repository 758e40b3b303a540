/**
 * ZIP64 where sizes need it (issue 20): a file over 4 GiB goes through the zip writer (over a
 * minimal FileService streaming zeros, so no 4 GiB file is needed on an FTP server) and Info-ZIP's
 * `unzip -t` checks the archive: sizes, offsets and CRC past the 32-bit limits. In the reliability
 * suite, not the integration one: writing and testing 4 GiB takes one to three minutes here.
 */
import { execFile } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { identityOf } from '../../src/auth/types.js'
import type { FileService, FileStat } from '../../src/files/types.js'
import { planZip } from '../../src/files/zip/plan.js'
import { zipStream } from '../../src/files/zip/writer.js'
import { centralEntries } from '../helpers/zip.js'
import { record } from './support/counters.js'

const run = promisify(execFile)
const SIZE = 4 * 1024 ** 3 + 3 * 1024 ** 2 // past 0xffffffff
const work = await mkdtemp(path.join(os.tmpdir(), 'ftpgw-zip64-'))

function zeros(size: number): Readable {
  const block = Buffer.alloc(1 << 20)
  let left = size
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null)
        return
      }
      const n = Math.min(left, block.length)
      left -= n
      this.push(n === block.length ? block : block.subarray(0, n))
    },
  })
}

const stat = (p: string, type: 'file' | 'dir', size?: number): FileStat => ({
  path: p,
  name: p.slice(p.lastIndexOf('/') + 1),
  type,
  size,
  modified: new Date(Date.UTC(2026, 0, 2, 3, 4, 6)),
  etag: p,
})

// Only what the zip writer uses; every other operation is not part of this case.
const files = {
  stat: async (_who: unknown, p: string) => stat(p, 'dir'),
  list: async (_who: unknown, p: string) => ({
    path: p,
    entries: p === 'top' ? [stat('top/huge.bin', 'file', SIZE), stat('top/after.txt', 'file', 5)] : [],
    next: null,
    total: 2,
    offset: 0,
  }),
  read: async (_who: unknown, p: string) => ({
    stat: stat(p, 'file', p.endsWith('huge.bin') ? SIZE : 5),
    range: undefined,
    body: p.endsWith('huge.bin') ? zeros(SIZE) : Readable.from([Buffer.from('after')]),
  }),
} as unknown as FileService

afterAll(async () => rm(work, { recursive: true, force: true }))

describe('ZIP64', () => {
  it('writes a file over 4 GiB, and a file after it, so that unzip tests them clean', {
    timeout: 300_000,
  }, async () => {
    const who = identityOf('alice', 'pw')
    const plan = await planZip(files, who, 'top')
    const out = zipStream(files, who, plan)
    const file = path.join(work, 'huge.zip')
    await pipeline(out.stream, createWriteStream(file))
    expect((await out.done).error).toBeUndefined()
    const entries = await centralEntries(file)
    expect(entries.map((e) => [e.name, e.size])).toEqual([
      ['huge.bin', SIZE],
      ['after.txt', 5],
    ])
    const { stdout } = await run('unzip', ['-t', file], { maxBuffer: 1 << 20 })
    expect(stdout).toMatch(/No errors detected/)
    record({ cases: 1 })
  })
})
