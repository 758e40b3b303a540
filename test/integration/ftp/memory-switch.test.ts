/**
 * MEMORY_TUNING's engine half (src/ftp/memory/): with `memoryTuning` on, an upload whose caller
 * allows it frees each chunk once sent; off, the same upload leaves every chunk as it was. Bytes
 * reach the server intact either way, and downloads read the same bytes with or without lending.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FtpSession } from '../../../src/ftp/index.js'
import { LocalFtpServer } from '../../../src/local-server/index.js'
import { readAll } from '../../helpers/streams.js'

describe('the memoryTuning switch', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ftpgw-memory-'))
  const server = new LocalFtpServer({ root, users: { u: 'p' } })
  let port = 0

  beforeAll(async () => {
    port = (await server.listen()).port
  })

  afterAll(async () => {
    await server.close()
    rmSync(root, { recursive: true, force: true })
  })

  const connect = (memoryTuning: boolean) =>
    FtpSession.connect({ host: '127.0.0.1', port, user: 'u', password: 'p', timeoutMs: 3000, memoryTuning })

  it.each([true, false])(
    'memoryTuning %s: chunks released only when on, bytes intact either way',
    async (on) => {
      const s = await connect(on)
      try {
        // Alone in their ArrayBuffers, as Node's HTTP parser makes request-body chunks.
        const chunks = Array.from({ length: 24 }, () => Buffer.from(randomBytes(64 * 1024)))
        const expected = Buffer.concat(chunks)
        const name = `up-${on}.bin`
        await s.upload(name, Readable.from(chunks), { releaseChunks: true })
        expect(readFileSync(path.join(root, name)).equals(expected)).toBe(true)
        expect(chunks.every((c) => c.length === (on ? 0 : 64 * 1024))).toBe(true)
        expect((await readAll(await s.download(name))).equals(expected)).toBe(true)
      } finally {
        await s.close()
      }
    },
  )
})
