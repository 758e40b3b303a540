/** The file service's writes: an upload put in place atomically, folders made and removed, a file deleted. */
import { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { isFtpError } from '../ftp/index.js'
import { BodyMeter } from './digest.js'
import { FileError } from './errors.js'
import { normalizeRelPath, parentOf } from './paths.js'
import { checkPreconditions, notFoundAsUndefined } from './preconditions.js'
import { hiddenTempPath, kindOf, swapIn } from './safe-replace.js'
import { notADirectory, type ServiceCore, type Session } from './service-core.js'
import { showsTime, trySetModified } from './times.js'
import { toFileError } from './translate.js'
import type { FileStat, Identity, RelPath, WriteOptions, WriteResult } from './types.js'

/**
 * Whether an upload body's chunks are nobody else's once read, so the engine may free each one as
 * soon as it is sent (ftp/memory/chunk-release.ts): a Node HTTP request body, whose parser copies
 * every chunk into memory of its own. Any other stream may hand out memory that is still in use (a
 * cached file's bytes, a download's lent read buffers, a caller's array), so its chunks are left
 * alone. Decided here, so callers (the HTTP faces) carry no memory option.
 */
export function chunksAreOurs(body: Readable): boolean {
  return body instanceof IncomingMessage
}

/** FileService.write. */
export async function write(
  core: ServiceCore,
  who: Identity,
  raw: RelPath,
  body: Readable,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const rel = normalizeRelPath(raw)
  if (rel === '') throw new FileError('FILE_ERR_CONFLICT', 'The root is a folder, not a file.')
  const checkout = await core.acquire(who)
  const s = checkout.resource
  const tempRel = hiddenTempPath(rel)
  const temp = core.serverPath(s, tempRel)
  let uploaded = false
  try {
    const existing = await core.statWith(who, s, rel, { fresh: true }).catch(notFoundAsUndefined)
    checkPreconditions(existing, options)
    if (existing?.type === 'dir')
      throw new FileError('FILE_ERR_CONFLICT', 'A folder has this name.', { reason: 'is-directory' })
    const parent = parentOf(rel)
    if (!(await core.isDir(who, s, parent)))
      throw new FileError('FILE_ERR_CONFLICT', `The folder "/${parent}" does not exist.`, {
        reason: 'parent-missing',
      })
    const meter = new BodyMeter(options)
    // The upload reports body errors (it also checks a body that failed before it started
    // reading); this listener only keeps an early one from being an unhandled 'error'.
    body.on('error', () => undefined)
    uploaded = true
    await s.upload(temp, body, {
      onChunk: (chunk) => meter.update(chunk),
      releaseChunks: chunksAreOurs(body),
    })
    meter.verify()
    await swapIn(core.swapOps(s), { from: tempRel, to: rel, incoming: 'file', existing: kindOf(existing) })
    uploaded = false
    const mtime = options.mtime
    const timeSet = mtime !== undefined && (await trySetModified(core, s, rel, mtime))
    await core.cache.invalidate([rel])
    const stat = await core.statWith(who, s, rel, { fresh: true })
    checkout.release()
    if (mtime === undefined) return { created: existing === undefined, stat }
    // A server that said yes but shows another time did not keep it (a stat without a time cannot
    // tell, so the server's word stands).
    const mtimeApplied = timeSet && (stat.modified === undefined || showsTime(stat, mtime))
    if (timeSet && !mtimeApplied)
      core.log?.warn?.(
        { path: rel, shown: stat.modified?.toISOString() },
        'server did not keep the modification time',
      )
    return { created: existing === undefined, stat, mtimeApplied }
  } catch (err) {
    if (!body.destroyed) body.resume()
    if (uploaded) await removeTemp(core, who, s, temp)
    checkout.release({ error: err })
    throw toFileError(err)
  }
}

/** FileService.mkdir. */
export async function mkdir(
  core: ServiceCore,
  who: Identity,
  raw: RelPath,
  options: { parents?: boolean } = {},
): Promise<FileStat> {
  const rel = normalizeRelPath(raw)
  if (rel === '') throw new FileError('FILE_ERR_EXISTS', 'The root folder always exists.')
  return core.with(
    who,
    async (s) => {
      const dirs = options.parents ? rel.split('/').map((_, i, a) => a.slice(0, i + 1).join('/')) : [rel]
      for (const [i, dir] of dirs.entries()) {
        const existing = await core.statWith(who, s, dir, { fresh: true }).catch(notFoundAsUndefined)
        if (existing) {
          if (existing.type !== 'dir')
            throw new FileError('FILE_ERR_CONFLICT', `A file named "${dir}" is in the way.`, {
              reason: 'not-a-directory',
            })
          if (i === dirs.length - 1)
            throw new FileError('FILE_ERR_EXISTS', 'A folder with this name already exists.')
          continue
        }
        if (i === 0 && !options.parents && !(await core.isDir(who, s, parentOf(dir))))
          throw new FileError('FILE_ERR_CONFLICT', `The folder "/${parentOf(dir)}" does not exist.`, {
            reason: 'parent-missing',
          })
        try {
          await s.mkdir(core.serverPath(s, dir))
        } catch (err) {
          // Refused by the server: when the directory appeared since the check (another client
          // made it), it exists; the reply's text is not read (servers word it differently).
          if (!isFtpError(err, 'not-found') && !isFtpError(err, 'permission')) throw err
          const now = await core.statWith(who, s, dir, { fresh: true }).catch(() => undefined)
          if (now?.type !== 'dir') throw err
          if (i === dirs.length - 1)
            throw new FileError('FILE_ERR_EXISTS', 'A folder with this name already exists.', {
              cause: err,
            })
        }
        await core.cache.invalidate([dir])
      }
      return core.statWith(who, s, rel, { fresh: true })
    },
    { retry: false },
  )
}

/** FileService.delete. */
export async function deleteFile(core: ServiceCore, who: Identity, raw: RelPath): Promise<void> {
  const rel = normalizeRelPath(raw)
  await core.with(
    who,
    async (s) => {
      const stat = await core.statWith(who, s, rel, { fresh: true })
      if (stat.type === 'dir')
        throw new FileError('FILE_ERR_CONFLICT', 'This is a folder, not a file.', {
          reason: 'is-directory',
        })
      await s.delete(core.serverPath(s, rel))
      await core.cache.invalidate([rel])
    },
    { retry: false },
  )
}

/** FileService.rmdir. */
export async function rmdir(
  core: ServiceCore,
  who: Identity,
  raw: RelPath,
  options: { recursive?: boolean } = {},
): Promise<void> {
  const rel = normalizeRelPath(raw)
  if (rel === '') throw new FileError('FILE_ERR_FORBIDDEN', 'The root folder cannot be removed.')
  await core.with(
    who,
    async (s) => {
      const stat = await core.statWith(who, s, rel, { fresh: true })
      if (stat.type !== 'dir') throw notADirectory()
      const children = await s.list(core.serverPath(s, rel))
      if (children.length > 0 && !options.recursive)
        throw new FileError('FILE_ERR_NOT_EMPTY', 'The folder is not empty (remove it with recursive).')
      await core.removeTree(s, rel, children.length > 0)
      await core.cache.invalidate([rel], { subtree: true })
    },
    { retry: false },
  )
}

/** Removes an upload's temporary file, best effort (the session may be gone). */
export async function removeTemp(core: ServiceCore, who: Identity, s: Session, temp: string): Promise<void> {
  try {
    if (s.usable) await s.delete(temp)
    else await core.with(who, (fresh) => fresh.delete(temp), { retry: false })
  } catch (err) {
    // Not there (the upload never started) or the server is gone: nothing more can be done now.
    core.log?.debug?.({ err: (err as Error).message }, 'temporary upload file not removed')
  }
}
