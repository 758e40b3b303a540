/**
 * The resumable-upload service on the in-memory file service and store: expiry (found by a request
 * or by the sweep, exactly once), ownership, the lock, checksum rewinds, completion markers, sealed
 * credentials, and the events and audit lines each step leaves. No process, no FTP.
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { UploadService } from '../../../src/http/rest/uploads/service.js'
import { CredentialSeal } from '../../../src/http/rest/uploads/state.js'
import { onUploadEvent, type UploadEvent } from '../../../src/http/upload-events.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'

const alice = identityOf('alice', 'alice-secret-pw')
const bob = identityOf('bob', 'bob-pw')
const KEY = Buffer.alloc(32, 7)

function setup(expiryMs = 60_000) {
  const files = new FakeFileService()
  files.putDir('docs')
  const store = new MemoryStore()
  const lines: Array<Record<string, unknown>> = []
  const log = {
    info: (obj: object) => void lines.push(obj as Record<string, unknown>),
    warn: () => undefined,
  }
  const service = new UploadService({ files, store, sessionKey: KEY, maxBytes: 1000, expiryMs, log })
  const events: UploadEvent[] = []
  const off = onUploadEvent(store, (e) => events.push(e))
  return { files, store, service, lines, log, events, off }
}

const body = (s: string) => Readable.from([Buffer.from(s)])

describe('UploadService', () => {
  let t: ReturnType<typeof setup>
  beforeEach(() => {
    t = setup()
  })
  afterEach(async () => {
    t.off()
    vi.useRealTimers()
    await t.store.close()
  })

  const create = (length = 6, who = alice) =>
    t.service.create({ who, path: 'docs/a.txt', length, metadata: 'path ZG9jcy9hLnR4dA==' }, t.log)
  const patch = (
    id: string,
    offset: number,
    text: string,
    extra: Partial<Parameters<UploadService['patch']>[0]> = {},
  ) =>
    t.service.patch({
      who: alice,
      id,
      offset,
      body: body(text),
      declared: text.length,
      checksum: undefined,
      log: t.log,
      ...extra,
    })

  it('creates, appends and completes; the completed upload is remembered', async () => {
    const r = await create()
    expect((await patch(r.id, 0, 'abc')).offset).toBe(3)
    expect((await t.service.status(alice, r.id)).offset).toBe(3)
    const done = await patch(r.id, 3, 'def')
    expect(done).toMatchObject({ offset: 6, expiresAt: undefined })
    expect(t.files.partials.size).toBe(0)
    expect(await t.service.status(alice, r.id)).toMatchObject({ offset: 6, length: 6 })
    expect(t.events.map((e) => e.kind)).toEqual(['created', 'bytes', 'bytes', 'completed'])
    expect(t.lines.map((l) => l.action)).toEqual(['upload-create', 'upload-complete'])
    expect(t.lines[1]).toMatchObject({
      audit: true,
      user: 'alice',
      path: '/docs/a.txt',
      outcome: 'success',
      size: 6,
    })
    expect(JSON.stringify(t.lines)).not.toContain('alice-secret-pw')
  })

  it('a HEAD that finds every byte but no file in place (the rename failed) puts it in place', async () => {
    const r = await create()
    const commit = t.files.commitPartial.bind(t.files)
    t.files.commitPartial = async () => {
      throw new (await import('../../../src/files/errors.js')).FileError(
        'FILE_ERR_UNAVAILABLE',
        'upstream gone',
      )
    }
    await expect(patch(r.id, 0, 'abcdef')).rejects.toMatchObject({ code: 'FILE_ERR_UNAVAILABLE' })
    t.files.commitPartial = commit
    expect(await t.service.status(alice, r.id)).toMatchObject({ offset: 6, expiresAt: undefined })
    expect((await t.files.stat(alice, 'docs/a.txt')).size).toBe(6)
    expect(t.events.filter((e) => e.kind === 'completed')).toHaveLength(1)
  })

  it('refuses a length over the limit before the file service is asked', async () => {
    await expect(create(1001)).rejects.toMatchObject({ code: 'GW_ERR_UPLOAD_TOO_LARGE' })
    expect(t.files.calls).toEqual([])
  })

  it('is 404 to anyone but its owner, and nothing is touched', async () => {
    const r = await create()
    const before = t.files.calls.length
    await expect(t.service.status(bob, r.id)).rejects.toMatchObject({ code: 'GW_ERR_UPLOAD_NOT_FOUND' })
    await expect(
      t.service.patch({
        who: bob,
        id: r.id,
        offset: 0,
        body: body('x'),
        declared: 1,
        checksum: undefined,
        log: t.log,
      }),
    ).rejects.toMatchObject({
      code: 'GW_ERR_UPLOAD_NOT_FOUND',
    })
    await expect(t.service.terminate(bob, r.id, t.log)).rejects.toMatchObject({
      code: 'GW_ERR_UPLOAD_NOT_FOUND',
    })
    expect(t.files.calls.length).toBe(before)
  })

  it('refuses a second writer while the lock is held (423)', async () => {
    const r = await create()
    const held = await t.service.state.lock(r.id)
    await expect(patch(r.id, 0, 'abc')).rejects.toMatchObject({ code: 'GW_ERR_UPLOAD_LOCKED' })
    await held!.release()
    expect((await patch(r.id, 0, 'abc')).offset).toBe(3)
  })

  it('counts a resumption once: a PATCH refused for its offset after a cut is not one', async () => {
    const r = await create()
    const cut = Readable.from(
      (async function* () {
        yield Buffer.from('ab')
        throw new Error('connection cut')
      })(),
    )
    await expect(patch(r.id, 0, 'ab', { body: cut })).rejects.toThrow('connection cut')
    // The client asked before the cut one had finished writing: its offset is stale.
    await expect(patch(r.id, 0, 'abcdef')).rejects.toMatchObject({ code: 'GW_ERR_UPLOAD_OFFSET' })
    expect(t.events.filter((e) => e.kind === 'resumed')).toHaveLength(0)
    expect((await patch(r.id, 2, 'cdef')).offset).toBe(6)
    expect(t.events.filter((e) => e.kind === 'resumed')).toHaveLength(1)
    expect((await t.files.stat(alice, 'docs/a.txt')).size).toBe(6)
  })

  it('a checksum mismatch does not count its bytes; the resent ones overwrite them', async () => {
    const r = await create()
    const wrong = { algorithm: 'md5' as const, base64: createHash('md5').update('nope').digest('base64') }
    await expect(patch(r.id, 0, 'xyz', { checksum: wrong })).rejects.toMatchObject({
      code: 'GW_ERR_CHECKSUM_MISMATCH',
    })
    expect((await t.service.status(alice, r.id)).offset).toBe(0)
    await expect(patch(r.id, 3, 'def')).rejects.toMatchObject({ code: 'GW_ERR_UPLOAD_OFFSET' })
    const right = { algorithm: 'sha1' as const, base64: createHash('sha1').update('ab').digest('base64') }
    expect((await patch(r.id, 0, 'ab', { checksum: right })).offset).toBe(2)
    // Still short of what the refused PATCH left: the offset is the rewound one, not SIZE.
    expect((await t.service.status(alice, r.id)).offset).toBe(2)
    expect((await patch(r.id, 2, 'cdef')).offset).toBe(6)
    expect((await t.files.stat(alice, 'docs/a.txt')).size).toBe(6)
  })

  it('an expired upload found by a request is removed at once and answered 410', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const r = await create()
    await patch(r.id, 0, 'abc')
    vi.setSystemTime(Date.now() + 60_001)
    await expect(t.service.status(alice, r.id)).rejects.toMatchObject({ code: 'GW_ERR_UPLOAD_EXPIRED' })
    expect(t.files.partials.size).toBe(0)
    await expect(t.service.status(alice, r.id)).rejects.toMatchObject({ code: 'GW_ERR_UPLOAD_NOT_FOUND' })
    expect(t.events.filter((e) => e.kind === 'expired')).toHaveLength(1)
    expect(t.lines.find((l) => l.action === 'upload-expire')).toMatchObject({
      user: 'alice',
      ftpUser: 'alice',
      path: '/docs/a.txt',
    })
  })

  it('the sweep removes expired uploads once, with the stored credentials, and leaves the others', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const old = await create()
    vi.setSystemTime(Date.now() + 30_000)
    const fresh = await t.service.create({ who: alice, path: 'docs/b.txt', length: 5, metadata: '' }, t.log)
    vi.setSystemTime(Date.now() + 30_001)
    // Two instances sweeping at once: one removes it.
    const other = new UploadService({
      files: t.files,
      store: t.store,
      sessionKey: KEY,
      maxBytes: 1000,
      expiryMs: 60_000,
      log: t.log,
    })
    const [x, y] = await Promise.all([t.service.sweep(), other.sweep()])
    expect(x + y).toBe(1)
    expect(t.events.filter((e) => e.kind === 'expired')).toHaveLength(1)
    expect(await t.service.state.get(old.id)).toBeUndefined()
    expect(await t.service.state.get(fresh.id)).toBeDefined()
    expect([...t.files.partials.keys()]).toEqual([fresh.partial.temp])
  })

  it('a sweep leaves an upload alone while a PATCH holds its lock', async () => {
    t.off()
    t = setup(5000)
    vi.useFakeTimers({ toFake: ['Date'] })
    const r = await create()
    const held = await t.service.state.lock(r.id)
    // Past the upload's expiry, within the lock's lease (a running PATCH renews it).
    vi.setSystemTime(Date.now() + 5001)
    expect(await t.service.sweep()).toBe(0)
    await held!.release()
    expect(await t.service.sweep()).toBe(1)
  })

  it('termination removes the partial file and forgets the upload', async () => {
    const r = await create()
    await t.service.terminate(alice, r.id, t.log)
    expect(t.files.partials.size).toBe(0)
    await expect(t.service.status(alice, r.id)).rejects.toMatchObject({ code: 'GW_ERR_UPLOAD_NOT_FOUND' })
    expect(t.events.map((e) => e.kind)).toEqual(['created', 'terminated'])
    expect(t.lines.map((l) => l.action)).toEqual(['upload-create', 'upload-terminate'])
  })

  it('a partial file removed behind the gateway ends the upload (404)', async () => {
    const r = await create()
    t.files.partials.clear()
    await expect(t.service.status(alice, r.id)).rejects.toMatchObject({ code: 'GW_ERR_UPLOAD_NOT_FOUND' })
    expect(await t.service.state.get(r.id)).toBeUndefined()
  })
})

describe('the identity an upload keeps', () => {
  it('comes back whole for the sweep (everything but the credentials stored as is, the password sealed)', async () => {
    const t = setup()
    const who = { ...identityOf('carol', 'carol-pw'), groups: ['staff'] }
    const r = await t.service.create({ who, path: 'docs/c.txt', length: 3, metadata: '' }, t.log)
    const stored = JSON.stringify(await t.service.state.get(r.id))
    expect(stored).not.toContain('carol-pw')
    expect(stored).toContain('staff')
    const back = t.service.state.identityOf((await t.service.state.get(r.id))!)
    expect(back).toMatchObject({ user: 'carol', principal: 'carol', password: 'carol-pw', groups: ['staff'] })
    expect(back?.key).toBe(identityOf('carol', 'carol-pw').key)
    t.off()
    await t.store.close()
  })
})

describe('CredentialSeal', () => {
  it('opens only for the same key and upload id; the store never holds the password', () => {
    const seal = new CredentialSeal(KEY)
    const sealed = seal.seal('id-1', 'hunter2-password')
    expect(sealed).not.toContain('hunter2')
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('hunter2')
    expect(seal.open('id-1', sealed)).toBe('hunter2-password')
    expect(seal.open('id-2', sealed)).toBeUndefined()
    expect(new CredentialSeal(Buffer.alloc(32, 8)).open('id-1', sealed)).toBeUndefined()
    expect(seal.open('id-1', 'garbage')).toBeUndefined()
  })
})
