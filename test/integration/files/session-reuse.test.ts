/**
 * A pooled session is NOOP-checked before reuse only after a failure that leaves its state
 * uncertain (src/files/session-use.ts): a 404 is an ordinary reply in step and costs nothing on
 * the session's next use; a timed-out transfer costs a NOOP (or the session). Counted in the
 * embedded server's command log, with one session per user so every request reuses it.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { type FtpFileService, isFileError, type Upstream } from '../../../src/files/index.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { startEmbedded } from '../../faults/support/harness.js'
import { testFileService, testUpstream } from '../../helpers/file-service.js'
import { readAll } from '../../helpers/streams.js'

describe('pooled session reuse after a failure', () => {
  let up: Awaited<ReturnType<typeof startEmbedded>>
  let upstream: Upstream
  let files: FtpFileService
  const store = new MemoryStore()
  let userN = 0
  /** A fresh user per case: its own pool key, so its own single session. */
  const freshUser = () => identityOf(`user${++userN}`, 'pw')
  const count = (verb: string, from: number) =>
    up.server.commands.slice(from).filter((c) => c.verb === verb).length

  beforeAll(async () => {
    up = await startEmbedded()
    await writeFile(path.join(up.root, 'present.txt'), 'hello')
    upstream = testUpstream(up, { store, poolMax: 1, poolMaxTotal: 8, timeoutMs: 300 })
    // No caching: every stat reaches the server.
    files = await testFileService(upstream, store, 0)
  })

  afterEach(() => {
    up.server.faults.dataStall = false
  })

  afterAll(async () => {
    await upstream?.drain(1000)
    await up?.stop()
    await store.close()
  })

  it('a 404 followed by another request costs no NOOP, on the same session', async () => {
    const who = freshUser()
    await files.stat(who, 'present.txt')
    const from = up.server.commands.length
    const err = await files.stat(who, 'missing.txt').catch((e: unknown) => e)
    expect(isFileError(err, 'FILE_ERR_NOT_FOUND')).toBe(true)
    await expect(files.stat(who, 'present.txt')).resolves.toMatchObject({ size: 5 })
    expect(count('NOOP', from)).toBe(0)
    expect(new Set(up.server.commands.slice(from).map((c) => c.session)).size).toBe(1)
  })

  it('a read of a missing file costs no NOOP either', async () => {
    const who = freshUser()
    await files.stat(who, 'present.txt')
    const from = up.server.commands.length
    await expect(files.read(who, 'missing.txt')).rejects.toSatisfy((e) =>
      isFileError(e, 'FILE_ERR_NOT_FOUND'),
    )
    await files.stat(who, 'present.txt')
    expect(count('NOOP', from)).toBe(0)
  })

  it('a timed-out transfer leaves the session uncertain: NOOP-checked before its next use', async () => {
    const who = freshUser()
    await files.stat(who, 'present.txt')
    const from = up.server.commands.length
    const sessionsBefore = up.server.totalConnections
    up.server.faults.dataStall = true
    const outcome = await files
      .read(who, 'present.txt')
      .then((r) => readAll(r.body))
      .catch((e: unknown) => e)
    expect(isFileError(outcome, 'FILE_ERR_TIMEOUT')).toBe(true)
    up.server.faults.dataStall = false
    await expect(files.stat(who, 'present.txt')).resolves.toMatchObject({ size: 5 })
    // The same session (resynchronised after the timeout), NOOP-checked before it served again.
    expect(up.server.totalConnections).toBe(sessionsBefore)
    expect(count('NOOP', from)).toBe(1)
    const verbs = up.server.commands.slice(from).map((c) => c.verb)
    expect(verbs.lastIndexOf('NOOP')).toBe(verbs.length - 2)
  })
})
