/** The file service's reads: stat, a page of a listing, and downloads (whole, ranged, or from memory). */
import type { Readable } from 'node:stream'
import { type DownloadOptions, isFtpError } from '../ftp/index.js'
import { collect, inMemory, type SharedRead } from './content-cache.js'
import { FileError } from './errors.js'
import { pageOf } from './listing-order.js'
import { normalizeRelPath } from './paths.js'
import { resolveRange } from './preconditions.js'
import type { ServiceCore, Session } from './service-core.js'
import { onSession } from './session-use.js'
import { rootStat } from './stat.js'
import { toFileError } from './translate.js'
import type { FileStat, Identity, ListOptions, ListPage, RangeSpec, ReadResult, RelPath } from './types.js'

/** A download body's failure as its reader sees it: engine errors become FileErrors. */
function bodyError(err: Error): Error {
  return isFtpError(err) ? toFileError(err) : err
}

/**
 * FileService.stat. A cached entry answers (unless `fresh`); a miss, even one a cached listing
 * seems to confirm, asks the server: another FTP client or another instance may have just created
 * the file, and a 404 must never come from a cache.
 */
export async function stat(
  core: ServiceCore,
  who: Identity,
  raw: RelPath,
  options: { fresh?: boolean } = {},
): Promise<FileStat> {
  const rel = normalizeRelPath(raw)
  if (rel === '') return rootStat()
  const cached = options.fresh ? undefined : core.cache.getStat(who.key, rel)
  if (cached) return cached
  return core.with(who, (s) => core.statWith(who, s, rel, { fresh: true }))
}

/** FileService.list. */
export async function list(
  core: ServiceCore,
  who: Identity,
  raw: RelPath,
  options: ListOptions = {},
): Promise<ListPage> {
  const rel = normalizeRelPath(raw)
  return pageOf(rel, await core.listAll(who, rel), options)
}

/** FileService.read. */
export async function read(
  core: ServiceCore,
  who: Identity,
  raw: RelPath,
  options: { range?: RangeSpec } = {},
): Promise<ReadResult> {
  const rel = normalizeRelPath(raw)
  const cached = core.freshReads ? undefined : core.cache.getStat(who.key, rel)
  // A small file read a moment ago under the same cached stat: no session, no command.
  const held = cached?.type === 'file' ? core.content?.get(who.key, cached) : undefined
  if (cached && held) return inMemory(cached, held, options.range)
  // With a shared store every GET stats afresh (another instance may just have written), so
  // readers only share a download when the cache is this instance's own.
  const turn = core.freshReads ? undefined : core.content?.turn(who.key, rel)
  if (turn && 'joined' in turn) {
    const outcome = await turn.joined
    if (outcome && 'error' in outcome) throw outcome.error
    if (outcome?.bytes) return inMemory(outcome.stat, outcome.bytes, options.range)
    return readOnSession(core, who, rel, outcome?.stat ?? cached, options.range, undefined)
  }
  const lead = turn?.lead
  try {
    return await readOnSession(core, who, rel, cached, options.range, lead)
  } catch (err) {
    // The first settlement counts: an error after the stat was shared stays this reader's own.
    lead?.({ error: err })
    throw err
  } finally {
    lead?.(undefined)
  }
}

/** A download on a pooled session; `lead` shares what it learns with readers that joined it. */
async function readOnSession(
  core: ServiceCore,
  who: Identity,
  rel: RelPath,
  cached: FileStat | undefined,
  wanted: RangeSpec | undefined,
  lead: ((outcome: SharedRead) => void) | undefined,
): Promise<ReadResult> {
  // Nothing has reached the client before the download starts: a stale session is retried.
  return onSession(
    () => core.acquire(who),
    async (checkout) => {
      const s = checkout.resource
      let stat = cached ?? (await core.statWith(who, s, rel, { fresh: core.freshReads }))
      // A folder in the cache may be a file by now (another FTP client): the server decides a 409.
      if (stat.type === 'dir' && cached) stat = await core.statWith(who, s, rel, { fresh: true })
      if (stat.type === 'dir')
        throw new FileError('FILE_ERR_CONFLICT', 'This is a folder, not a file.', {
          reason: 'is-directory',
        })
      if (core.content?.fits(stat.size)) {
        // Small enough to read whole (bounded by the cache's file limit, and the engine fails a
        // transfer longer than the stat says): kept for the next reader, and a failure is still
        // a proper status rather than a broken body.
        // With a cached stat the lookup above already missed: no second lookup (or miss counted).
        let bytes = cached ? undefined : core.content.get(who.key, stat)
        if (!bytes) {
          bytes = await collect(await download(core, s, rel, { expectedSize: stat.size }))
          core.content.set(who.key, stat, bytes)
        }
        checkout.release()
        lead?.({ stat, bytes })
        return inMemory(stat, bytes, wanted)
      }
      lead?.({ stat })
      const range = wanted ? resolveRange(wanted, stat.size ?? 0) : undefined
      const body = await download(core, s, rel, {
        offset: range?.start,
        length: range ? range.end - range.start + 1 : undefined,
        expectedSize: stat.size,
        // The body fails with FileErrors, as everything above files/ expects (an FtpError raised
        // before the headers went out would be answered 500 instead of 504/502); the engine's
        // stream stays the body: no extra stream in the transfer path.
        errorFor: bodyError,
      })
      body.once('close', () => checkout.release(body.errored ? { error: body.errored } : undefined))
      return { stat, range, body }
    },
    true,
  )
}

/** Opens a download; a not-found means the cached stat was stale (the file went away since). */
async function download(
  core: ServiceCore,
  s: Session,
  rel: RelPath,
  options: DownloadOptions,
): Promise<Readable> {
  try {
    return await s.download(core.serverPath(s, rel), options)
  } catch (err) {
    if (isFtpError(err, 'not-found')) await core.cache.invalidate([rel])
    throw err
  }
}
