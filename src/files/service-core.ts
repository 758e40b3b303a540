/**
 * What every part of the FTP-backed file service shares (ftp-file-service.ts assembles them): the
 * upstream, the caches, sessions from the pool with the one retry loop, a stat on a session, the
 * directory listing, and the session-level helpers the writes and tree operations reuse.
 */
import { type FtpLogger, type FtpSession, isFtpError } from '../ftp/index.js'
import type { Checkout } from '../pool/index.js'
import type { ContentCache } from './content-cache.js'
import { FileError } from './errors.js'
import type { MetadataCache } from './metadata-cache.js'
import { isHiddenTempName } from './partial-uploads.js'
import { childOf } from './paths.js'
import { notFoundAsUndefined } from './preconditions.js'
import type { SwapOps } from './safe-replace.js'
import { onSession } from './session-use.js'
import { rootStat, toFileStat } from './stat.js'
import { toFileError } from './translate.js'
import type { FileStat, Identity, RelPath } from './types.js'
import type { Upstream } from './upstream.js'

/** Dependencies of the FTP-backed file service. */
export interface FtpFileServiceOptions {
  upstream: Upstream
  cache: MetadataCache
  logger?: FtpLogger | undefined
  /**
   * Stat the file afresh for every download. Needed when several instances share the upstream:
   * another instance's write is announced by pub/sub a few milliseconds after its 201, and a
   * download sized from a stale entry cannot end correctly. (A "not found" is never answered from
   * a cache, with or without this.)
   */
  freshReads?: boolean | undefined
  /** Keeps small files' bytes while their metadata is cached (the same one the cache drops into). */
  content?: ContentCache | undefined
}

/** A pooled FTP session as the file service uses it. */
export type Session = FtpSession

/** The shared state and session helpers of one file service (one upstream). */
export class ServiceCore {
  readonly up: Upstream
  readonly cache: MetadataCache
  readonly log: FtpLogger | undefined
  readonly freshReads: boolean
  readonly content: ContentCache | undefined

  constructor(options: FtpFileServiceOptions) {
    this.up = options.upstream
    this.cache = options.cache
    this.log = options.logger
    this.freshReads = options.freshReads ?? false
    this.content = options.content
  }

  /** The server path of `rel` for session `s`. */
  serverPath(s: Session, rel: RelPath): string {
    return this.up.serverPath(s, rel)
  }

  async acquire(who: Identity): Promise<Checkout<Session>> {
    try {
      return await this.up.acquire(who)
    } catch (err) {
      throw toFileError(err)
    }
  }

  /** Runs `fn` on a pooled session; retries once on a fresh session when a pooled one proves stale. */
  with<T>(who: Identity, fn: (s: Session) => Promise<T>, options: { retry?: boolean } = {}): Promise<T> {
    return onSession(
      () => this.acquire(who),
      async (checkout) => {
        const result = await fn(checkout.resource)
        checkout.release()
        return result
      },
      options.retry !== false,
    )
  }

  /** The stat of `rel`: from the cache unless `fresh`, else asked on session `s` (and cached). */
  async statWith(
    who: Identity,
    s: Session,
    rel: RelPath,
    options: { fresh?: boolean } = {},
  ): Promise<FileStat> {
    if (rel === '') return rootStat()
    if (!options.fresh) {
      const cached = this.cache.getStat(who.key, rel)
      if (cached) return cached
    }
    let stat: FileStat
    try {
      stat = toFileStat(rel, await s.stat(this.serverPath(s, rel)))
    } catch (err) {
      if (isFtpError(err, 'not-found')) this.cache.reconcile(who.key, rel, undefined)
      throw err
    }
    // Another FTP client may have changed the folder since it was listed: a listing that
    // disagrees with what the server just said goes.
    this.cache.reconcile(who.key, rel, stat)
    this.cache.setStat(who.key, stat)
    return stat
  }

  /**
   * Whether `rel` is a folder, for the "parent missing" check of a write: a cached folder is
   * believed, anything else (no entry, or a cached file) is asked of the server first, since
   * another FTP client may have made the folder since it was cached.
   */
  async isDir(who: Identity, s: Session, rel: RelPath): Promise<boolean> {
    if (rel === '' || this.cache.getStat(who.key, rel)?.type === 'dir') return true
    const fresh = await this.statWith(who, s, rel, { fresh: true }).catch(notFoundAsUndefined)
    return fresh?.type === 'dir'
  }

  /** Every entry of a directory, sorted by name: the cached listing, else MLSD/LIST (then cached). */
  async listAll(who: Identity, rel: RelPath): Promise<FileStat[]> {
    const cached = this.cache.getListing(who.key, rel)
    if (cached) return cached
    // Taken before the server is asked: a write that lands meanwhile keeps this listing uncached.
    const epoch = this.cache.epoch
    return this.with(who, async (s) => {
      let infos: Awaited<ReturnType<Session['list']>>
      try {
        infos = await s.list(this.serverPath(s, rel))
      } catch (err) {
        // Listing a file fails like a missing directory (550) or a bad argument (vsftpd: 501 Not a
        // directory); say which it is, so that every operation answers a file-for-a-folder alike.
        if ((isFtpError(err, 'not-found') || isFtpError(err, 'bad-name')) && rel !== '') {
          const stat = await this.statWith(who, s, rel, { fresh: true }).catch(() => undefined)
          if (stat && stat.type !== 'dir') throw notADirectory()
          if (stat && isFtpError(err, 'not-found'))
            throw new FileError('FILE_ERR_FORBIDDEN', 'The server refused to list this folder.', {
              upstreamReply: err.message,
            })
        }
        throw err
      }
      const entries = infos
        // Unfinished uploads and copies are nobody's files yet (a resumable one may sit there for a day).
        .filter((info) => !isHiddenTempName(info.name))
        .map((info) => toFileStat(childOf(rel, info.name), info))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      this.cache.setListing(who.key, rel, entries, epoch)
      return entries
    })
  }

  /** The upstream operations swapIn runs, on one session. */
  swapOps(s: Session): SwapOps {
    return {
      rename: (a, b) => s.rename(this.serverPath(s, a), this.serverPath(s, b)),
      remove: (rel, type) =>
        type === 'dir' ? this.removeTree(s, rel, true) : s.delete(this.serverPath(s, rel)),
      warn: (message, detail) => this.log?.warn?.(detail, message),
    }
  }

  async removeTree(s: Session, rel: RelPath, hasChildren: boolean): Promise<void> {
    if (hasChildren) {
      for (const child of await s.list(this.serverPath(s, rel))) {
        const childRel = childOf(rel, child.name)
        if (child.type === 'dir') await this.removeTree(s, childRel, true)
        else await s.delete(this.serverPath(s, childRel))
      }
    }
    await s.rmdir(this.serverPath(s, rel))
  }
}

/** The one error for a file where a folder is expected (listing, rmdir, a file in a mkdir path). */
export function notADirectory(): FileError {
  return new FileError('FILE_ERR_CONFLICT', 'This is a file, not a folder.', { reason: 'not-a-directory' })
}
