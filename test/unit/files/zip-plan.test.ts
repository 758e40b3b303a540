/**
 * The pure parts of folder zips (src/files/zip/): entry names, what is zippable, the plan of a
 * folder or a selection walked through a FileService, and the writer's two endings (a clean
 * archive, or an error with no central directory) over an in-memory FileService.
 */
import { writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { buffer } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { isFileError } from '../../../src/files/errors.js'
import { isZippable, planZip, zipEntryName } from '../../../src/files/zip/plan.js'
import { zipStream } from '../../../src/files/zip/writer.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'
import { centralEntries } from '../../helpers/zip.js'

const who = identityOf('alice', 'secret')

function tree(): FakeFileService {
  const files = new FakeFileService()
  files.putFile('top/a.txt', 'aaa')
  files.putFile('top/sub/b.txt', 'bbbb')
  files.putDir('top/empty')
  files.putFile('top/日本/é.txt', 'é')
  return files
}

describe('zipEntryName', () => {
  it('joins segments with "/", marks folders with a trailing "/", and keeps a backslash from splitting a name', () => {
    expect(zipEntryName(['a', 'b.txt'], 'file')).toBe('a/b.txt')
    expect(zipEntryName(['a', 'sub'], 'dir')).toBe('a/sub/')
    expect(zipEntryName(['x\\y.txt'], 'file')).toBe('x_y.txt')
    expect(zipEntryName(['日本', 'é.txt'], 'file')).toBe('日本/é.txt')
  })

  it('takes files and folders, never links or unknown entries', () => {
    expect(isZippable({ type: 'file' })).toBe(true)
    expect(isZippable({ type: 'dir' })).toBe(true)
    expect(isZippable({ type: 'symlink' })).toBe(false)
    expect(isZippable({ type: 'unknown' })).toBe(false)
  })
})

describe('planZip', () => {
  it('walks the folder: names relative to it, folders before their files, sizes summed', async () => {
    const plan = await planZip(tree(), who, 'top')
    expect(plan.entries.map((e) => e.name).sort()).toEqual(
      ['a.txt', 'empty/', 'sub/', 'sub/b.txt', '日本/', '日本/é.txt'].sort(),
    )
    expect(plan.entries.find((e) => e.name === 'sub/b.txt')?.path).toBe('top/sub/b.txt')
    expect(plan.totalBytes).toBe(3 + 4 + Buffer.byteLength('é'))
    const sub = plan.entries.findIndex((e) => e.name === 'sub/')
    expect(plan.entries.findIndex((e) => e.name === 'sub/b.txt')).toBeGreaterThan(sub)
  })

  it('plans a selection, and refuses a name the folder does not show', async () => {
    const plan = await planZip(tree(), who, 'top', { names: ['sub'] })
    expect(plan.entries.map((e) => e.name)).toEqual(['sub/', 'sub/b.txt'])
    const err = await planZip(tree(), who, 'top', { names: ['nope'] }).catch((e: unknown) => e)
    expect(isFileError(err, 'FILE_ERR_NOT_FOUND')).toBe(true)
  })

  it('refuses a file with a not-a-directory conflict', async () => {
    const err = await planZip(tree(), who, 'top/a.txt').catch((e: unknown) => e)
    expect(isFileError(err, 'FILE_ERR_CONFLICT')).toBe(true)
  })
})

describe('zipStream', () => {
  it('writes every entry and a central directory when all reads succeed', async () => {
    const files = tree()
    const plan = await planZip(files, who, 'top')
    const out = zipStream(files, who, plan)
    const file = path.join(os.tmpdir(), `ftpgw-zip-unit-${process.pid}.zip`)
    await writeFile(file, await buffer(out.stream))
    expect((await out.done).error).toBeUndefined()
    const entries = await centralEntries(file)
    expect(entries.map((e) => e.name).sort()).toEqual(plan.entries.map((e) => e.name).sort())
    expect(entries.find((e) => e.name === '日本/é.txt')!.flags & 0x800).toBe(0x800)
  })

  it('errors the archive (no clean end) when a read fails mid-file', async () => {
    const files = tree()
    const plan = await planZip(files, who, 'top')
    files.failReadAfter = { bytes: 1, error: new Error('data connection lost') }
    const out = zipStream(files, who, plan)
    await expect(buffer(out.stream)).rejects.toThrow('data connection lost')
    expect((await out.done).error?.message).toBe('data connection lost')
  })
})
