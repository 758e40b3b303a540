/**
 * What a folder zip will hold, decided before its first byte: the folder (or the selected items of
 * it) walked through the FileService's listings, so the tree's rules apply as they do to any
 * listing (a hidden mount is absent, never named), and the sum of the listed sizes is known for
 * ZIP_MAX_BYTES before anything is sent. Only metadata is kept (one small record per entry), never
 * file bytes. Symbolic links are left out: the gateway never follows a link the FTP server lists,
 * so a link pointing out of the folder (or out of the server's root) cannot pull files into a zip.
 */
import { FileError } from '../errors.js'
import { MAX_PAGE } from '../listing-order.js'
import type { FileService, FileStat, Identity, RelPath } from '../types.js'

/** One entry of the zip: a folder (its name ends in '/') or a file. */
export interface ZipPlanEntry {
  /** The name inside the zip, relative to the zipped folder ('sub/a.txt', 'sub/'). */
  name: string
  /** The path in the gateway's tree. */
  path: RelPath
  type: 'file' | 'dir'
  /** Listed size in bytes (0 when the server gave none). */
  size: number
  modified: Date | undefined
}

/** A planned zip. */
export interface ZipPlan {
  /** The zipped folder. */
  folder: RelPath
  entries: ZipPlanEntry[]
  /** Sum of the files' listed sizes. */
  totalBytes: number
}

/**
 * The zip name of an entry from its path segments below the zipped folder. Zip names separate
 * folders with '/' only, and readers on Windows (and zip-stream itself) take a backslash for a
 * separator too: a backslash inside an FTP name becomes '_' so a name stays one entry where it was.
 */
export function zipEntryName(segments: readonly string[], type: 'file' | 'dir'): string {
  const name = segments.map((s) => s.replaceAll('\\', '_')).join('/')
  return type === 'dir' ? `${name}/` : name
}

/** True for the entry types a zip includes (a symlink or an unknown type is never followed). */
export function isZippable(stat: Pick<FileStat, 'type'>): stat is { type: 'file' | 'dir' } {
  return stat.type === 'file' || stat.type === 'dir'
}

/** Every entry of a folder, all pages, in the listing's order. */
async function listAll(files: FileService, who: Identity, dir: RelPath): Promise<FileStat[]> {
  const all: FileStat[] = []
  let cursor: string | undefined
  do {
    const page = await files.list(who, dir, { limit: MAX_PAGE, ...(cursor === undefined ? {} : { cursor }) })
    all.push(...page.entries)
    cursor = page.next ?? undefined
  } while (cursor !== undefined)
  return all
}

/**
 * Plans the zip of `folder`, or of the items `names` of it (each a name in the folder, not a path;
 * a name the caller's listing does not show is FILE_ERR_NOT_FOUND). A path that is not a folder is
 * FILE_ERR_CONFLICT `not-a-directory`. `stopAbove` ends the walk early (FILE_ERR_BAD_REQUEST is not
 * right for it, so it returns what it has with `totalBytes` past the limit): a folder far over
 * ZIP_MAX_BYTES is refused without listing all of it.
 */
export async function planZip(
  files: FileService,
  who: Identity,
  folder: RelPath,
  options: { names?: readonly string[] | undefined; stopAbove?: number | undefined } = {},
): Promise<ZipPlan> {
  const stat = await files.stat(who, folder)
  if (stat.type !== 'dir')
    throw new FileError('FILE_ERR_CONFLICT', 'Only a folder can be zipped', { reason: 'not-a-directory' })
  const plan: ZipPlan = { folder, entries: [], totalBytes: 0 }
  let top = (await listAll(files, who, folder)).filter(isZippable)
  if (options.names !== undefined) {
    const byName = new Map(top.map((e) => [e.name, e]))
    top = options.names.map((n) => {
      const found = byName.get(n)
      if (found === undefined) throw new FileError('FILE_ERR_NOT_FOUND', `No "${n}" in this folder`)
      return found
    })
  }
  const stop = options.stopAbove
  const over = () => stop !== undefined && stop > 0 && plan.totalBytes > stop
  const visit = async (entries: readonly FileStat[], prefix: readonly string[]): Promise<void> => {
    for (const e of entries) {
      if (!isZippable(e) || over()) continue
      const segments = [...prefix, e.name]
      const size = e.type === 'file' ? (e.size ?? 0) : 0
      plan.entries.push({
        name: zipEntryName(segments, e.type),
        path: e.path,
        type: e.type,
        size,
        modified: e.modified,
      })
      plan.totalBytes += size
      if (e.type === 'dir') await visit(await listAll(files, who, e.path), segments)
    }
  }
  await visit(top, [])
  return plan
}
