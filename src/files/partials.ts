/**
 * FileService's resumable-upload operations (tus, src/http/rest/uploads/): the bytes go to a
 * hidden temporary file beside the destination, appended with APPE or REST + STOR
 * (partial-uploads.ts), and the complete file is renamed into place like any upload.
 */
import { Readable } from 'node:stream'
import { isFtpError } from '../ftp/index.js'
import { FileError } from './errors.js'
import {
  appendTo,
  isHiddenTempName,
  type PartialContext,
  probeAppendMethod,
  sizeOf,
} from './partial-uploads.js'
import { normalizeRelPath, parentOf } from './paths.js'
import { checkPreconditions, notFoundAsUndefined } from './preconditions.js'
import { hiddenTempPath, kindOf, swapIn } from './safe-replace.js'
import type { ServiceCore, Session } from './service-core.js'
import { toFileError } from './translate.js'
import type {
  FileStat,
  Identity,
  PartialAppendOptions,
  PartialUpload,
  RelPath,
  WriteOptions,
  WriteResult,
} from './types.js'
import { chunksAreOurs, removeTemp } from './writes.js'

type Preconditions = Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'>

/** How each upstream adds bytes to a file, once a resumable upload has found out. */
const appendMethods = new WeakMap<ServiceCore, PartialUpload['method']>()

function contextOf(core: ServiceCore, s: Session): PartialContext {
  return { session: s, serverPath: (rel) => core.serverPath(s, rel) }
}

/** A partial upload handed back by a caller: its temporary file must be the hidden sibling. */
function checked(partial: PartialUpload): PartialUpload {
  const path = normalizeRelPath(partial.path)
  const temp = normalizeRelPath(partial.temp)
  // State comes back from the store: never let it name anything but an upload's temporary file.
  if (parentOf(temp) !== parentOf(path) || !isHiddenTempName(temp.slice(temp.lastIndexOf('/') + 1)))
    throw new FileError('FILE_ERR_BAD_PATH', 'Not a temporary upload file')
  return { path, temp, method: partial.method }
}

/** What a write checks before any byte: preconditions, not a folder, the parent is a folder. */
async function checkTarget(
  core: ServiceCore,
  who: Identity,
  s: Session,
  rel: RelPath,
  options: Preconditions,
): Promise<FileStat | undefined> {
  const existing = await core.statWith(who, s, rel, { fresh: true }).catch(notFoundAsUndefined)
  checkPreconditions(existing, options)
  if (existing?.type === 'dir')
    throw new FileError('FILE_ERR_CONFLICT', 'A directory has that name', { reason: 'is-directory' })
  const parent = parentOf(rel)
  if (parent !== '' && !(await core.isDir(who, s, parent)))
    throw new FileError('FILE_ERR_CONFLICT', 'Parent directory does not exist', { reason: 'parent-missing' })
  return existing
}

/** FileService.beginPartial. */
export function beginPartial(
  core: ServiceCore,
  who: Identity,
  raw: RelPath,
  options: Preconditions = {},
): Promise<PartialUpload> {
  const rel = normalizeRelPath(raw)
  if (rel === '') throw new FileError('FILE_ERR_CONFLICT', 'Cannot write to the root')
  const temp = hiddenTempPath(rel)
  return core.with(
    who,
    async (s) => {
      await checkTarget(core, who, s, rel, options)
      const ctx = contextOf(core, s)
      // The temporary file exists from the start: SIZE answers 0 before the first byte. The
      // parent was just found to be a folder, so a 550 here means no permission to write there.
      await s.upload(ctx.serverPath(temp), Readable.from([])).catch((err: unknown) => {
        if (isFtpError(err, 'not-found'))
          throw new FileError('FILE_ERR_FORBIDDEN', 'The FTP server refused to create a file there', {
            cause: err,
          })
        throw err
      })
      let method = appendMethods.get(core)
      try {
        method ??= await probeAppendMethod(ctx, temp)
        appendMethods.set(core, method)
      } catch (err) {
        await removeTemp(core, who, s, ctx.serverPath(temp))
        throw err
      }
      return { path: rel, temp, method }
    },
    { retry: false },
  )
}

/** FileService.partialSize. */
export function partialSize(core: ServiceCore, who: Identity, partial: PartialUpload): Promise<number> {
  const p = checked(partial)
  return core.with(who, (s) => sizeOf(contextOf(core, s), p))
}

/** FileService.appendPartial. */
export async function appendPartial(
  core: ServiceCore,
  who: Identity,
  partial: PartialUpload,
  offset: number,
  body: Readable,
  options: PartialAppendOptions,
): Promise<number> {
  const p = checked(partial)
  const checkout = await core.acquire(who)
  try {
    const written = await appendTo(contextOf(core, checkout.resource), p, offset, body, {
      ...options,
      releaseChunks: chunksAreOurs(body),
    })
    checkout.release()
    return written
  } catch (err) {
    if (!body.destroyed) body.resume()
    checkout.release({ error: err, discard: !checkout.resource.usable })
    throw toFileError(err)
  }
}

/** FileService.commitPartial. */
export function commitPartial(
  core: ServiceCore,
  who: Identity,
  partial: PartialUpload,
  options: Preconditions = {},
): Promise<WriteResult> {
  const p = checked(partial)
  return core.with(
    who,
    async (s) => {
      const existing = await checkTarget(core, who, s, p.path, options)
      await swapIn(core.swapOps(s), {
        from: p.temp,
        to: p.path,
        incoming: 'file',
        existing: kindOf(existing),
      })
      await core.cache.invalidate([p.path])
      const stat = await core.statWith(who, s, p.path, { fresh: true })
      return { created: existing === undefined, stat }
    },
    { retry: false },
  )
}

/** FileService.abortPartial. */
export async function abortPartial(core: ServiceCore, who: Identity, partial: PartialUpload): Promise<void> {
  const p = checked(partial)
  await core.with(who, (s) => s.delete(core.serverPath(s, p.temp))).catch(notFoundAsUndefined)
}
