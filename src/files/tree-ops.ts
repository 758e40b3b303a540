/** The file service's move and copy (FTP has no server-side copy: a copy streams through the gateway). */
import { FileError } from './errors.js'
import { childOf, normalizeRelPath, parentOf } from './paths.js'
import { notFoundAsUndefined } from './preconditions.js'
import { read, stat } from './reads.js'
import { assertSeparate, hiddenTempPath, kindOf, swapIn } from './safe-replace.js'
import type { ServiceCore, Session } from './service-core.js'
import { toFileError } from './translate.js'
import type { FileStat, Identity, RelPath } from './types.js'
import { mkdir, write } from './writes.js'

/** FileService.move. */
export async function move(
  core: ServiceCore,
  who: Identity,
  rawFrom: RelPath,
  rawTo: RelPath,
  options: { overwrite?: boolean } = {},
): Promise<{ replaced: boolean }> {
  const from = normalizeRelPath(rawFrom)
  const to = normalizeRelPath(rawTo)
  assertSeparate(from, to)
  return core.with(
    who,
    async (s) => {
      const source = await core.statWith(who, s, from, { fresh: true })
      const target = await checkTarget(core, who, s, to, options.overwrite ?? false)
      try {
        await swapIn(core.swapOps(s), { from, to, incoming: kindOf(source), existing: kindOf(target) })
      } finally {
        // Also after a failure: a target that could not be put back has moved.
        await core.cache.invalidate([from, to], {
          subtree: source.type === 'dir' || target?.type === 'dir',
        })
      }
      return { replaced: target !== undefined }
    },
    { retry: false },
  )
}

/** FileService.copy. */
export async function copy(
  core: ServiceCore,
  who: Identity,
  rawFrom: RelPath,
  rawTo: RelPath,
  options: { overwrite?: boolean; depth?: 0 | 'infinity' } = {},
): Promise<{ replaced: boolean }> {
  const from = normalizeRelPath(rawFrom)
  const to = normalizeRelPath(rawTo)
  assertSeparate(from, to)
  const source = await stat(core, who, from)
  const target = await core.with(who, (s) => checkTarget(core, who, s, to, options.overwrite ?? false), {
    retry: false,
  })
  // The copy is built under a hidden name and swapped in whole: a copy that fails midway leaves
  // the target as it was and no half-copied tree under its name.
  const temp = hiddenTempPath(to)
  try {
    await copyTree(core, who, source, temp, options.depth ?? 'infinity')
    await core.with(
      who,
      (s) => swapIn(core.swapOps(s), { from: temp, to, incoming: kindOf(source), existing: kindOf(target) }),
      { retry: false },
    )
  } catch (err) {
    await discard(core, who, temp, kindOf(source))
    throw toFileError(err)
  } finally {
    await core.cache.invalidate([temp, to], { subtree: true })
  }
  return { replaced: target !== undefined }
}

/**
 * Checks a move/copy target without touching it: its parent must be a folder, and an existing
 * target is a conflict unless overwrite is on. The replacement itself is swapIn's (nothing is
 * deleted before what replaces it is in place).
 */
async function checkTarget(
  core: ServiceCore,
  who: Identity,
  s: Session,
  to: RelPath,
  overwrite: boolean,
): Promise<FileStat | undefined> {
  const parent = parentOf(to)
  if (parent !== '') {
    const p = await core.statWith(who, s, parent, { fresh: true }).catch(notFoundAsUndefined)
    if (p?.type !== 'dir')
      throw new FileError('FILE_ERR_CONFLICT', `The target's folder "/${parent}" does not exist.`, {
        reason: 'parent-missing',
        argument: 'to',
      })
  }
  const target = await core.statWith(who, s, to, { fresh: true }).catch(notFoundAsUndefined)
  if (target && !overwrite)
    throw new FileError('FILE_ERR_EXISTS', `The target "/${to}" already exists.`, { argument: 'to' })
  return target
}

/** Removes a copy's unfinished temporary (file or tree); it may not exist at all. */
async function discard(core: ServiceCore, who: Identity, temp: RelPath, type: 'file' | 'dir'): Promise<void> {
  try {
    await core.with(
      who,
      (s) => (type === 'dir' ? core.removeTree(s, temp, true) : s.delete(core.serverPath(s, temp))),
      { retry: false },
    )
  } catch (err) {
    core.log?.debug?.({ err: (err as Error).message, path: temp }, 'temporary copy not removed')
  }
}

/** Copies through the gateway with two sessions: one reading, one writing (FTP has no server-side copy). */
async function copyTree(
  core: ServiceCore,
  who: Identity,
  source: FileStat,
  to: RelPath,
  depth: 0 | 'infinity',
): Promise<void> {
  if (source.type !== 'dir') {
    const body = await read(core, who, source.path)
    // The copy keeps the source's time where the server can set one (the write reports, never fails on it).
    await write(core, who, to, body.body, source.modified ? { mtime: source.modified } : {})
    return
  }
  await mkdir(core, who, to)
  if (depth === 0) return
  const children = await core.listAll(who, source.path)
  for (const child of children) await copyTree(core, who, child, childOf(to, child.name), depth)
}
