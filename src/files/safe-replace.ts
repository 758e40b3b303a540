/**
 * The rule for every move and copy that may replace something: refuse a destination that is the
 * source, inside it or above it before any FTP command, and never delete what is replaced until its
 * replacement is in place. An existing target is renamed aside to a hidden temporary name, the new
 * one is renamed in, and only then is the old one removed; when the rename in fails, the old one is
 * renamed back. Both HTTP faces reach this through FileService.move/copy.
 */
import { randomBytes } from 'node:crypto'
import { FileError } from './errors.js'
import { childOf, isWithin, nameOf, parentOf } from './paths.js'
import type { FileStat, RelPath } from './types.js'

/**
 * Refuses a move or copy whose destination overlaps the source: the same path, inside it (a folder
 * into itself) or above it (replacing the destination would delete the source first). A pure path
 * check, so nothing is sent upstream. 403 like RFC 4918 §9.8.5/§9.9.4 for the same resource.
 */
export function assertSeparate(from: RelPath, to: RelPath): void {
  if (from === '' || to === '')
    throw new FileError('FILE_ERR_FORBIDDEN', 'The root cannot be moved or replaced')
  if (from === to) throw new FileError('FILE_ERR_OVERLAP', 'Source and destination are the same')
  if (isWithin(to, from)) throw new FileError('FILE_ERR_OVERLAP', 'The destination is inside the source')
  if (isWithin(from, to)) throw new FileError('FILE_ERR_OVERLAP', 'The destination contains the source')
}

/**
 * A hidden sibling name for `rel`: `.name.ftpgw-<random>.part`, the convention uploads use for
 * their temporary files (the name is cut so the whole stays under 255 bytes).
 */
export function hiddenTempPath(rel: RelPath): RelPath {
  return childOf(parentOf(rel), `.${nameOf(rel).slice(0, 180)}.ftpgw-${randomBytes(6).toString('hex')}.part`)
}

/** The upstream operations a swap needs (relative paths; the file service supplies them). */
export interface SwapOps {
  rename(from: RelPath, to: RelPath): Promise<void>
  /** Removes a file, or a folder with everything in it. */
  remove(rel: RelPath, type: 'file' | 'dir'): Promise<void>
  /** Reports what could not be cleaned up or restored (nothing can be done about it now). */
  warn(message: string, detail: Record<string, unknown>): void
}

/** What a swap is asked to do. */
export interface Swap {
  /** The complete new thing: the source of a move, or a copy's finished temporary. */
  from: RelPath
  to: RelPath
  incoming: 'file' | 'dir'
  /** What is at `to` now (undefined: nothing). */
  existing: 'file' | 'dir' | undefined
}

/** A stat's type as swapIn sees it: folders, and everything else renamed like a file. */
export function kindOf(stat: FileStat): 'file' | 'dir'
export function kindOf(stat: FileStat | undefined): 'file' | 'dir' | undefined
export function kindOf(stat: FileStat | undefined): 'file' | 'dir' | undefined {
  if (stat === undefined) return undefined
  return stat.type === 'dir' ? 'dir' : 'file'
}

/**
 * Puts `from` at `to`. Without an existing target it is one rename; a file over a file is first
 * tried as one rename too (atomic on POSIX servers, never a moment without the file). Otherwise
 * the target is renamed aside first, so that a failing rename in leaves it where it was, and it is
 * deleted only once the new one is in place. A failed clean-up of the old one leaves a hidden
 * leftover and is reported, not thrown: the operation itself succeeded.
 */
export async function swapIn(ops: SwapOps, swap: Swap): Promise<void> {
  const { from, to, existing } = swap
  if (existing === undefined) {
    await ops.rename(from, to)
    return
  }
  if (existing === 'file' && swap.incoming === 'file') {
    // Some servers refuse to rename onto an existing file: then the careful way below.
    const done = await ops.rename(from, to).then(
      () => true,
      () => false,
    )
    if (done) return
  }
  const aside = hiddenTempPath(to)
  await ops.rename(to, aside)
  try {
    await ops.rename(from, to)
  } catch (err) {
    await ops.rename(aside, to).catch((restoreErr: unknown) =>
      ops.warn('replaced target could not be put back', {
        path: to,
        keptAs: aside,
        err: restoreErr instanceof Error ? restoreErr.message : String(restoreErr),
      }),
    )
    throw err
  }
  await ops.remove(aside, existing).catch((err: unknown) =>
    ops.warn('replaced target left under a hidden name', {
      path: to,
      keptAs: aside,
      err: err instanceof Error ? err.message : String(err),
    }),
  )
}
