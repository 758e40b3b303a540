/**
 * The small-file content cache against real vsftpd: repeats of a small GET cost no FTP command,
 * a write through the gateway or a change behind its back is never answered with old bytes (shared
 * store mode stats afresh), other logins never see cached bytes, big files still stream, and a
 * burst of concurrent reads of one file shares one download (small) or one stat (big).
 */
import { randomBytes } from 'node:crypto'
import { chownSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import {
  ContentCache,
  FtpFileService,
  type Identity,
  isFileError,
  MetadataCache,
  type Upstream,
} from '../../../src/files/index.js'
import { onFtpCommand } from '../../../src/ftp/diagnostics.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { testUpstream } from '../../helpers/file-service.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { readAll } from '../../helpers/streams.js'

const MAX_FILE = 64 * 1024

describe('content cache over vsftpd', () => {
  let srv: FtpServerHandle
  let upstream: Upstream
  let who: Identity
  const store = new MemoryStore()
  const commands: string[] = []
  let unsubscribe: () => void

  /** A file service with its own caches; `freshReads` as with a shared store. */
  async function service(o: { freshReads?: boolean; maxBytes?: number } = {}) {
    const content = new ContentCache({
      ttlMs: 60_000,
      maxBytes: o.maxBytes ?? 1 << 20,
      maxFileBytes: MAX_FILE,
    })
    const cache = new MetadataCache({ store, ttlMs: 60_000, content })
    return { content, files: new FtpFileService({ upstream, cache, content, freshReads: o.freshReads }) }
  }
  const onDisk = (name: string, data: Buffer) => {
    writeFileSync(`${srv.root}/${name}`, data)
    chownSync(`${srv.root}/${name}`, srv.uid, srv.gid)
  }
  /** FTP verbs sent while `fn` ran. */
  async function verbsDuring(fn: () => Promise<unknown>): Promise<string[]> {
    commands.length = 0
    await fn()
    return [...commands]
  }

  beforeAll(async () => {
    srv = await startVsftpd()
    upstream = testUpstream(srv, { store })
    who = identityOf(srv.user, srv.password)
    unsubscribe = onFtpCommand((e) => commands.push(e.command))
  })

  afterAll(async () => {
    unsubscribe?.()
    await upstream?.drain(1000)
    await srv?.stop()
    await store.close()
  })

  it('answers a repeat read of a small file, whole or a range, without any FTP command', async () => {
    const { files, content } = await service()
    const data = randomBytes(1024)
    onDisk('small.bin', data)
    await files.stat(who, 'small.bin')
    const first = await verbsDuring(async () => {
      const r = await files.read(who, 'small.bin')
      expect(r.bytes?.equals(data)).toBe(true)
      expect((await readAll(r.body)).equals(data)).toBe(true)
    })
    expect(first).toContain('RETR')
    const again = await verbsDuring(async () => {
      expect((await files.read(who, 'small.bin')).bytes?.equals(data)).toBe(true)
      const part = await files.read(who, 'small.bin', { range: { start: 100, end: 199 } })
      expect(part.range).toEqual({ start: 100, end: 199 })
      expect(part.bytes?.equals(data.subarray(100, 200))).toBe(true)
      const bad = await files.read(who, 'small.bin', { range: { start: 5000 } }).catch((e: unknown) => e)
      expect(isFileError(bad, 'FILE_ERR_RANGE')).toBe(true)
    })
    expect(again).toEqual([])
    expect(content.hits).toBe(3)
    expect(content.size).toBe(1024)
    expect(upstream.pool.stats().busy).toBe(0)
  })

  it('never answers with old bytes after a write through the gateway', async () => {
    const { files } = await service()
    await files.write(who, 'w.txt', Readable.from([Buffer.from('first')]))
    expect((await files.read(who, 'w.txt')).bytes?.toString()).toBe('first')
    await files.write(who, 'w.txt', Readable.from([Buffer.from('second')]))
    const verbs = await verbsDuring(async () => {
      expect((await files.read(who, 'w.txt')).bytes?.toString()).toBe('second')
    })
    expect(verbs).toContain('RETR')
  })

  it('with a shared store (fresh stats), a change behind the gateway’s back is seen at once', async () => {
    const { files } = await service({ freshReads: true })
    onDisk('ext.txt', Buffer.from('AAAA'))
    utimesSync(`${srv.root}/ext.txt`, 1_700_000_000, 1_700_000_000)
    expect((await files.read(who, 'ext.txt')).bytes?.toString()).toBe('AAAA')
    // A repeat with the file unchanged: one stat, no transfer.
    const same = await verbsDuring(async () => {
      expect((await files.read(who, 'ext.txt')).bytes?.toString()).toBe('AAAA')
    })
    expect(same).not.toContain('RETR')
    // Same size, other bytes, other modification time: the ETag differs, the entry is not used.
    onDisk('ext.txt', Buffer.from('BBBB'))
    utimesSync(`${srv.root}/ext.txt`, 1_700_000_100, 1_700_000_100)
    const changed = await verbsDuring(async () => {
      expect((await files.read(who, 'ext.txt')).bytes?.toString()).toBe('BBBB')
    })
    expect(changed).toContain('RETR')
  })

  it('never hands cached bytes to another login (a wrong password is refused, not served)', async () => {
    const { files } = await service()
    onDisk('private.txt', Buffer.from('secret bytes'))
    expect((await files.read(who, 'private.txt')).bytes?.toString()).toBe('secret bytes')
    const err = await files.read(identityOf(srv.user, 'wrong'), 'private.txt').catch((e: unknown) => e)
    expect(isFileError(err, 'FILE_ERR_UNAUTHORIZED')).toBe(true)
  })

  it('streams files over the per-file limit, every time', async () => {
    const { files, content } = await service()
    const data = randomBytes(MAX_FILE + 1)
    onDisk('big.bin', data)
    for (let i = 0; i < 2; i++) {
      const verbs = await verbsDuring(async () => {
        const r = await files.read(who, 'big.bin')
        expect(r.bytes).toBeUndefined()
        expect((await readAll(r.body)).equals(data)).toBe(true)
      })
      expect(verbs).toContain('RETR')
    }
    expect(content.size).toBe(0)
  })

  it('turned off (CACHE_CONTENT_MAX_BYTES=0), every read transfers', async () => {
    const { files } = await service({ maxBytes: 0 })
    onDisk('off.txt', Buffer.from('off'))
    for (let i = 0; i < 2; i++) {
      const verbs = await verbsDuring(async () => {
        expect((await readAll((await files.read(who, 'off.txt')).body)).toString()).toBe('off')
      })
      expect(verbs).toContain('RETR')
    }
  })

  it('a small file gone since its stat was cached is a not-found error, not a broken body', async () => {
    const { files } = await service()
    onDisk('gone.txt', Buffer.from('here'))
    await files.stat(who, 'gone.txt')
    unlinkSync(`${srv.root}/gone.txt`)
    const err = await files.read(who, 'gone.txt').catch((e: unknown) => e)
    expect(isFileError(err, 'FILE_ERR_NOT_FOUND')).toBe(true)
    expect(upstream.pool.stats().busy).toBe(0)
  })

  const count = (verbs: string[], verb: string) => verbs.filter((v) => v === verb).length
  // vsftpd has no MLST: a stat there is SIZE (then MDTM).
  const stats = (verbs: string[]) => count(verbs, 'MLST') + count(verbs, 'SIZE')

  it('a burst of reads of a small file at a cold cache costs one stat and one download', async () => {
    const { files, content } = await service()
    const data = randomBytes(2048)
    onDisk('burst.bin', data)
    // Both pooled sessions open and idle: without sharing, two readers would download at once.
    onDisk('warm.bin', randomBytes(MAX_FILE * 2))
    const open = await Promise.all([0, 1].map(() => files.read(who, 'warm.bin')))
    await Promise.all(open.map((r) => readAll(r.body)))
    expect(upstream.pool.stats().perKey[who.key]?.idle).toBe(2)
    const verbs = await verbsDuring(async () => {
      const results = await Promise.all(Array.from({ length: 40 }, () => files.read(who, 'burst.bin')))
      for (const r of results) expect(r.bytes?.equals(data)).toBe(true)
    })
    expect(count(verbs, 'RETR')).toBe(1)
    expect(stats(verbs)).toBe(1)
    expect(content.size).toBe(2048)
    expect(upstream.pool.stats().busy).toBe(0)
  })

  it('a burst of reads of a big file shares the stat; each reader streams its own bytes', async () => {
    const { files } = await service()
    const data = randomBytes(MAX_FILE * 3)
    onDisk('burst-big.bin', data)
    const verbs = await verbsDuring(async () => {
      // Each reader drains its own body (the pool has 2 sessions for the 6 of them).
      const bodies = await Promise.all(
        Array.from({ length: 6 }, async () => readAll((await files.read(who, 'burst-big.bin')).body)),
      )
      for (const body of bodies) expect(body.equals(data)).toBe(true)
    })
    expect(count(verbs, 'RETR')).toBe(6)
    expect(stats(verbs)).toBe(1)
  })

  it('a burst of reads of a missing file gets the one not-found answer', async () => {
    const { files } = await service()
    const verbs = await verbsDuring(async () => {
      const errs = await Promise.all(
        Array.from({ length: 20 }, () => files.read(who, 'no-such.bin').catch((e: unknown) => e)),
      )
      for (const e of errs) expect(isFileError(e, 'FILE_ERR_NOT_FOUND')).toBe(true)
    })
    expect(stats(verbs)).toBe(1)
    expect(upstream.pool.stats().busy).toBe(0)
  })

  it('a read that starts after a write does not join a read from before it', async () => {
    const { files } = await service()
    await files.write(who, 'race.txt', Readable.from([Buffer.from('before')]))
    const early = files.read(who, 'race.txt')
    await files.write(who, 'race.txt', Readable.from([Buffer.from('after!')]))
    const late = await files.read(who, 'race.txt')
    expect(late.bytes?.toString()).toBe('after!')
    expect(['before', 'after!']).toContain((await early).bytes?.toString())
  })

  it('with a shared store (fresh stats) readers never share: each stats and downloads', async () => {
    const { files } = await service({ freshReads: true })
    onDisk('fresh-burst.txt', Buffer.from('fresh'))
    const verbs = await verbsDuring(async () => {
      const results = await Promise.all(Array.from({ length: 4 }, () => files.read(who, 'fresh-burst.txt')))
      for (const r of results) expect(r.bytes?.toString()).toBe('fresh')
    })
    expect(stats(verbs)).toBe(4)
  })
})
