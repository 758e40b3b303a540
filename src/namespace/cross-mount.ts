/**
 * Move and copy between two upstreams: FTP has no server-to-server copy the gateway could rely on
 * (FXP is disabled nearly everywhere), so bytes stream through the gateway, one download feeding
 * one upload, never held whole. A file lands under a hidden temporary name and is renamed into
 * place only when complete and of the source's size (the destination's write does that); a folder
 * is built under a hidden temporary name and renamed into place whole. A move deletes its source
 * only after the copy is in place, so a failure leaves the source intact and nothing at the
 * destination.
 */
import { FileError, isFileError } from '../files/errors.js'
import { MAX_PAGE } from '../files/pages.js'
import { childOf } from '../files/paths.js'
import { hiddenTempPath } from '../files/safe-replace.js'
import type { FileStat } from '../files/types.js'
import type { Side } from './types.js'

/** Copies `from` (on one upstream) to `to` (on another). */
export async function copyAcross(
  from: Side,
  to: Side,
  options: { overwrite?: boolean; depth?: 0 | 'infinity' } = {},
): Promise<{ replaced: boolean }> {
  const source = await from.files.stat(from.who, from.path)
  const existing = await to.files.stat(to.who, to.path).catch((err: unknown) => {
    if (isFileError(err, 'FILE_ERR_NOT_FOUND')) return undefined
    throw err
  })
  if (existing && !options.overwrite) throw new FileError('FILE_ERR_EXISTS', 'Destination exists')
  if (source.type !== 'dir') {
    if (existing?.type === 'dir')
      throw new FileError('FILE_ERR_CONFLICT', 'A directory has that name', { reason: 'is-directory' })
    await copyFile(from, to, source)
    return { replaced: existing !== undefined }
  }
  // A folder: built whole under a hidden name beside the target, then renamed over it.
  const temp = hiddenTempPath(to.path)
  try {
    await to.files.mkdir(to.who, temp)
    if (options.depth !== 0) await copyChildren(from, { ...to, path: temp }, source.path)
    await to.files.move(to.who, temp, to.path, { overwrite: existing !== undefined })
  } catch (err) {
    await to.files.rmdir(to.who, temp, { recursive: true }).catch(() => undefined)
    throw err
  }
  return { replaced: existing !== undefined }
}

/** Moves `from` to `to` across upstreams: a complete copy first, then the source goes. */
export async function moveAcross(
  from: Side,
  to: Side,
  options: { overwrite?: boolean } = {},
): Promise<{ replaced: boolean }> {
  const result = await copyAcross(from, to, { ...options, depth: 'infinity' })
  const source = await from.files.stat(from.who, from.path)
  if (source.type === 'dir') await from.files.rmdir(from.who, from.path, { recursive: true })
  else await from.files.delete(from.who, from.path)
  return result
}

async function copyFile(from: Side, to: Side, source: FileStat): Promise<void> {
  const read = await from.files.read(from.who, from.path)
  try {
    await to.files.write(to.who, to.path, read.body, {
      // The destination refuses a body that ends short of the source's size.
      ...(source.size === undefined ? {} : { expectedLength: source.size }),
      ...(source.modified === undefined ? {} : { mtime: source.modified }),
    })
  } finally {
    // A write refused before reading (a precondition) must not leave the download running.
    if (!read.body.destroyed) read.body.destroy()
  }
}

async function copyChildren(from: Side, to: Side, dir: string): Promise<void> {
  let cursor: string | undefined
  do {
    const page = await from.files.list(from.who, dir, {
      limit: MAX_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    })
    for (const child of page.entries) {
      const target = childOf(to.path, child.name)
      if (child.type === 'dir') {
        await to.files.mkdir(to.who, target)
        await copyChildren(from, { ...to, path: target }, child.path)
      } else {
        await copyFile({ ...from, path: child.path }, { ...to, path: target }, child)
      }
    }
    cursor = page.next ?? undefined
  } while (cursor !== undefined)
}
