/** The FTP-backed file service against real vsftpd: every operation, atomic uploads, preconditions, pool hygiene. */
import { createHash, randomBytes } from 'node:crypto'
import { chownSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { type FtpFileService, type Identity, isFileError, type Upstream } from '../../../src/files/index.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { testFileService, testUpstream } from '../../helpers/file-service.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { readAll } from '../../helpers/streams.js'
import { waitFor } from '../../helpers/wait-for.js'

describe('FtpFileService over vsftpd', () => {
  let srv: FtpServerHandle
  let upstream: Upstream
  let files: FtpFileService
  let who: Identity
  const store = new MemoryStore()

  beforeAll(async () => {
    srv = await startVsftpd()
    upstream = testUpstream(srv, { store, poolMax: 4, poolMaxTotal: 8 })
    files = await testFileService(upstream, store)
    who = identityOf(srv.user, srv.password)
  })

  afterAll(async () => {
    await upstream?.drain(1000)
    await srv?.stop()
    await store.close()
  })

  const put = (path: string, data: Buffer, opts = {}) => files.write(who, path, Readable.from([data]), opts)

  it('verifies a login once and refuses a wrong password as unauthorized', async () => {
    await files.verifyLogin(who)
    const err = await files.verifyLogin(identityOf(srv.user, 'nope')).catch((e: unknown) => e)
    expect(isFileError(err, 'FILE_ERR_UNAUTHORIZED')).toBe(true)
  })

  it('writes atomically: 201 then 204, no temporary files left', async () => {
    const a = await put('a.txt', Buffer.from('first'))
    expect(a.created).toBe(true)
    expect(a.stat).toMatchObject({ name: 'a.txt', type: 'file', size: 5 })
    const b = await put('a.txt', Buffer.from('second!'))
    expect(b.created).toBe(false)
    expect(readFileSync(`${srv.root}/a.txt`, 'utf8')).toBe('second!')
    expect(readdirSync(srv.root).filter((n) => n.includes('ftpgw'))).toEqual([])
  })

  /** A Node HTTP request body carrying `chunks`, as the HTTP faces hand one over. */
  const requestBody = (chunks: Buffer[]): IncomingMessage => {
    const body = new IncomingMessage(new Socket())
    for (const c of chunks) body.push(c)
    body.push(null)
    return body
  }

  it('frees each chunk of a request body once sent, and only then; other streams keep theirs', async () => {
    // Chunks alone in their ArrayBuffer, as Node's HTTP parser makes them, plus a pool slice and a
    // subarray that share memory with other bytes and must come through untouched.
    const owned = Array.from({ length: 40 }, () => Buffer.from(randomBytes(64 * 1024)))
    const pooled = Buffer.allocUnsafe(100).fill(7)
    const backing = randomBytes(9000)
    const slice = backing.subarray(1000, 5000)
    const chunks = [...owned.slice(0, 20), pooled, slice, ...owned.slice(20)]
    const expected = createHash('sha256')
    for (const c of chunks) expected.update(c)
    const digest = expected.digest('hex')
    await files.write(who, 'released.bin', requestBody(chunks))
    expect(
      createHash('sha256')
        .update(readFileSync(`${srv.root}/released.bin`))
        .digest('hex'),
    ).toBe(digest)
    expect(owned.every((c) => c.length === 0 && c.buffer.byteLength === 0)).toBe(true)
    expect(pooled.equals(Buffer.alloc(100, 7))).toBe(true)
    expect(slice.length).toBe(4000)
    expect(backing.length).toBe(9000)
    // Any other stream's chunks are the caller's: left alone.
    const kept = Array.from({ length: 4 }, () => Buffer.from(randomBytes(64 * 1024)))
    await files.write(who, 'kept.bin', Readable.from(kept))
    expect(kept.every((c) => c.length === 64 * 1024)).toBe(true)
    expect(readFileSync(`${srv.root}/kept.bin`).equals(Buffer.concat(kept))).toBe(true)
  })

  it('reads whole files and ranges, including suffix ranges, and refuses unsatisfiable ones', async () => {
    const data = randomBytes(300_000)
    await put('r.bin', data)
    const whole = await files.read(who, 'r.bin')
    expect((await readAll(whole.body)).equals(data)).toBe(true)
    const part = await files.read(who, 'r.bin', { range: { start: 1000, end: 1999 } })
    expect(part.range).toEqual({ start: 1000, end: 1999 })
    expect((await readAll(part.body)).equals(data.subarray(1000, 2000))).toBe(true)
    const suffix = await files.read(who, 'r.bin', { range: { end: 10 } })
    expect((await readAll(suffix.body)).equals(data.subarray(data.length - 10))).toBe(true)
    const err = await files.read(who, 'r.bin', { range: { start: data.length } }).catch((e: unknown) => e)
    expect(isFileError(err, 'FILE_ERR_RANGE')).toBe(true)
    expect((err as { size: number }).size).toBe(data.length)
  })

  it('keeps the old file byte-identical when an upload is interrupted', async () => {
    const before = readFileSync(`${srv.root}/a.txt`)
    const body = new PassThrough()
    const pending = files.write(who, 'a.txt', body)
    body.write(randomBytes(200_000))
    setTimeout(() => body.destroy(new Error('client went away')), 50)
    const err = await pending.catch((e: unknown) => e)
    expect(isFileError(err)).toBe(true)
    expect(readFileSync(`${srv.root}/a.txt`).equals(before)).toBe(true)
    expect(readdirSync(srv.root).filter((n) => n.includes('ftpgw'))).toEqual([])
  })

  it('refuses a body whose digest does not match, leaving the old file', async () => {
    const before = readFileSync(`${srv.root}/a.txt`)
    const wrong = createHash('md5').update('something else').digest('base64')
    const err = await put('a.txt', Buffer.from('new content'), {
      digest: { algorithm: 'md5', base64: wrong },
    }).catch((e: unknown) => e)
    expect(isFileError(err, 'FILE_ERR_DIGEST_MISMATCH')).toBe(true)
    expect(readFileSync(`${srv.root}/a.txt`).equals(before)).toBe(true)
    const right = createHash('sha256').update('good').digest('base64')
    await put('a.txt', Buffer.from('good'), { digest: { algorithm: 'sha-256', base64: right } })
    expect(readFileSync(`${srv.root}/a.txt`, 'utf8')).toBe('good')
  })

  it('honours If-Match and If-None-Match: *', async () => {
    const stat = await files.stat(who, 'a.txt')
    expect(
      isFileError(
        await put('a.txt', Buffer.from('x'), { ifNoneMatch: '*' }).catch((e: unknown) => e),
        // A failed conditional header (412), not an existing target (409): issue 21.
        'FILE_ERR_PRECONDITION',
      ),
    ).toBe(true)
    expect(
      isFileError(
        await put('a.txt', Buffer.from('x'), { ifMatch: '"nope"' }).catch((e: unknown) => e),
        'FILE_ERR_PRECONDITION',
      ),
    ).toBe(true)
    await put('a.txt', Buffer.from('matched'), { ifMatch: stat.etag })
    expect(readFileSync(`${srv.root}/a.txt`, 'utf8')).toBe('matched')
  })

  it('needs the parent to exist (409) and makes directories with parents', async () => {
    expect(
      isFileError(
        await put('no/such/dir.txt', Buffer.from('x')).catch((e: unknown) => e),
        'FILE_ERR_CONFLICT',
      ),
    ).toBe(true)
    await files.mkdir(who, 'p/q/r', { parents: true })
    expect((await files.stat(who, 'p/q/r')).type).toBe('dir')
    expect(isFileError(await files.mkdir(who, 'p').catch((e: unknown) => e), 'FILE_ERR_EXISTS')).toBe(true)
    expect(isFileError(await files.mkdir(who, 'x/y').catch((e: unknown) => e), 'FILE_ERR_CONFLICT')).toBe(
      true,
    )
  })

  it('lists in pages with cursors', async () => {
    await files.mkdir(who, 'many')
    for (let i = 0; i < 25; i++) await put(`many/f${String(i).padStart(2, '0')}`, Buffer.from(String(i)))
    const names: string[] = []
    let cursor: string | undefined
    for (;;) {
      const page = await files.list(who, 'many', { limit: 10, ...(cursor ? { cursor } : {}) })
      names.push(...page.entries.map((e) => e.name))
      if (!page.next) break
      cursor = page.next
    }
    expect(names).toHaveLength(25)
    expect(names[0]).toBe('f00')
    expect(
      isFileError(
        await files.list(who, 'many', { cursor: '%%%' }).catch((e: unknown) => e),
        'FILE_ERR_BAD_REQUEST',
      ),
    ).toBe(true)
    expect(isFileError(await files.list(who, 'a.txt').catch((e: unknown) => e), 'FILE_ERR_CONFLICT')).toBe(
      true,
    )
    expect(
      isFileError(await files.list(who, 'missing-dir').catch((e: unknown) => e), 'FILE_ERR_NOT_FOUND'),
    ).toBe(true)
  })

  it('moves with and without overwrite, copies files and trees', async () => {
    await put('m1.txt', Buffer.from('one'))
    await put('m2.txt', Buffer.from('two'))
    expect(
      isFileError(await files.move(who, 'm1.txt', 'm2.txt').catch((e: unknown) => e), 'FILE_ERR_EXISTS'),
    ).toBe(true)
    expect(await files.move(who, 'm1.txt', 'm2.txt', { overwrite: true })).toEqual({ replaced: true })
    expect(readFileSync(`${srv.root}/m2.txt`, 'utf8')).toBe('one')
    expect(existsSync(`${srv.root}/m1.txt`)).toBe(false)
    expect(await files.copy(who, 'm2.txt', 'm3.txt')).toEqual({ replaced: false })
    expect(readFileSync(`${srv.root}/m3.txt`, 'utf8')).toBe('one')
    expect(await files.copy(who, 'p', 'pcopy')).toEqual({ replaced: false })
    expect((await files.stat(who, 'pcopy/q/r')).type).toBe('dir')
    await files.copy(who, 'many', 'many0', { depth: 0 })
    expect((await files.list(who, 'many0')).entries).toEqual([])
    expect(
      isFileError(await files.move(who, 'p', 'p/q/inside').catch((e: unknown) => e), 'FILE_ERR_OVERLAP'),
    ).toBe(true)
    // Onto an ancestor: refused, and the ancestor (which holds the source) is still there.
    expect(isFileError(await files.move(who, 'p/q', 'p').catch((e: unknown) => e), 'FILE_ERR_OVERLAP')).toBe(
      true,
    )
    expect((await files.stat(who, 'p/q/r')).type).toBe('dir')
  })

  it('deletes files and removes directories (recursive only when asked)', async () => {
    await files.delete(who, 'm3.txt')
    expect(existsSync(`${srv.root}/m3.txt`)).toBe(false)
    expect(
      isFileError(await files.delete(who, 'm3.txt').catch((e: unknown) => e), 'FILE_ERR_NOT_FOUND'),
    ).toBe(true)
    expect(isFileError(await files.delete(who, 'p').catch((e: unknown) => e), 'FILE_ERR_CONFLICT')).toBe(true)
    expect(isFileError(await files.rmdir(who, 'p').catch((e: unknown) => e), 'FILE_ERR_NOT_EMPTY')).toBe(true)
    await files.rmdir(who, 'p', { recursive: true })
    expect(existsSync(`${srv.root}/p`)).toBe(false)
  })

  it('sees changes made behind its back once the cache entry expires or a write invalidates it', async () => {
    await put('ext.txt', Buffer.from('v1'))
    expect((await files.stat(who, 'ext.txt')).size).toBe(2)
    await put('ext.txt', Buffer.from('v222'))
    expect((await files.stat(who, 'ext.txt')).size).toBe(4)
    writeFileSync(`${srv.root}/outside.txt`, 'x')
    chownSync(`${srv.root}/outside.txt`, srv.uid, srv.gid)
    expect((await files.stat(who, 'outside.txt')).size).toBe(1)
  })

  it('refuses bad paths before any FTP command', async () => {
    for (const bad of ['../etc/passwd', 'a/../../b', 'a\r\nDELE b', 'x\0y', 'a\\b', `${'n'.repeat(256)}`]) {
      const err = await files.stat(who, bad).catch((e: unknown) => e)
      expect(isFileError(err, 'FILE_ERR_BAD_PATH')).toBe(true)
    }
  })

  it('returns sessions to the pool after aborted downloads', async () => {
    await put('big.bin', randomBytes(3 * 1024 * 1024))
    for (let i = 0; i < 20; i++) {
      const r = await files.read(who, 'big.bin')
      await new Promise((resolve) => r.body.once('data', resolve))
      r.body.destroy()
      await new Promise((resolve) => r.body.once('close', resolve))
    }
    expect(await waitFor(() => upstream.pool.stats().busy === 0, 5000), 'every session back').toBe(true)
    const stats = upstream.pool.stats()
    expect(stats.busy).toBe(0)
    expect(stats.size).toBeLessThanOrEqual(4)
    expect((await files.stat(who, 'big.bin')).size).toBe(3 * 1024 * 1024)
  })
})
