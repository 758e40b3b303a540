/**
 * Conflicts carry their reason from where they are raised (no caller reads a message), and a MKD
 * refused because the directory appeared meanwhile is "exists", found by looking, against vsftpd.
 */
import { chownSync, mkdirSync } from 'node:fs'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import type { FtpFileService, Identity, Upstream } from '../../../src/files/index.js'
import { FtpSession } from '../../../src/ftp/index.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { testFileService, testUpstream } from '../../helpers/file-service.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

describe('conflict reasons and the mkdir race, over vsftpd', () => {
  let srv: FtpServerHandle
  let upstream: Upstream
  let files: FtpFileService
  let who: Identity
  const store = new MemoryStore()

  beforeAll(async () => {
    srv = await startVsftpd()
    upstream = testUpstream(srv, { store })
    files = await testFileService(upstream, store)
    who = identityOf(srv.user, srv.password)
  })

  afterAll(async () => {
    await upstream?.drain(1000)
    await srv?.stop()
    await store.close()
  })

  it('a write onto a directory is is-directory; a missing parent is parent-missing', async () => {
    await files.mkdir(who, 'd')
    const onDir = await files.write(who, 'd', Readable.from([Buffer.from('x')])).catch((e: unknown) => e)
    expect(onDir).toMatchObject({ code: 'FILE_ERR_CONFLICT', reason: 'is-directory' })
    const noParent = await files
      .write(who, 'nope/f', Readable.from([Buffer.from('x')]))
      .catch((e: unknown) => e)
    expect(noParent).toMatchObject({ code: 'FILE_ERR_CONFLICT', reason: 'parent-missing' })
    const mkdirNoParent = await files.mkdir(who, 'nope/sub').catch((e: unknown) => e)
    expect(mkdirNoParent).toMatchObject({ code: 'FILE_ERR_CONFLICT', reason: 'parent-missing' })
  })

  it('a directory made by someone else between the check and MKD is FILE_ERR_EXISTS', async () => {
    // The directory appears right before MKD goes out, after the service checked it was absent.
    const mkd = FtpSession.prototype.mkdir
    const spy = vi.spyOn(FtpSession.prototype, 'mkdir').mockImplementation(function (this: FtpSession, dir) {
      mkdirSync(`${srv.root}/raced`, { mode: 0o777 })
      chownSync(`${srv.root}/raced`, srv.uid, srv.gid)
      return mkd.call(this, dir)
    })
    const err = await files.mkdir(who, 'raced').catch((e: unknown) => e)
    spy.mockRestore()
    expect(err).toMatchObject({ code: 'FILE_ERR_EXISTS' })
    // Found by looking after the server refused MKD (its error is the cause), not by the first check.
    expect((err as Error).cause).toBeDefined()
  })
})
