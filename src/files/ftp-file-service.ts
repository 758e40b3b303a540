import { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { type DownloadOptions, type FtpLogger, type FtpSession, isFtpError } from '../ftp/index.js'
import type { Checkout } from '../pool/index.js'
import { type ContentCache, collect, inMemory, type SharedRead } from './content-cache.js'
import { BodyMeter } from './digest.js'
import { FileError, isFileError } from './errors.js'
import type { MetadataCache } from './metadata-cache.js'
import { decodeCursor, pageOf } from './pages.js'
import { childOf, normalizeRelPath, parentOf } from './paths.js'
import { checkPreconditions, notFoundAsUndefined, resolveRange } from './preconditions.js'
import { assertSeparate, hiddenTempPath, kindOf, type SwapOps, swapIn } from './safe-replace.js'
import { onSession } from './session-use.js'
import { rootStat, toFileStat } from './stat.js'
import { toFileError } from './translate.js'
import type {
  FileService,
  FileStat,
  Identity,
  ListPage,
  RangeSpec,
  ReadResult,
  RelPath,
  WriteOptions,
  WriteResult,
} from './types.js'
import type { Upstream } from './upstream.js'

/** Dependencies of the FTP-backed file service. */
export interface FtpFileServiceOptions {
  upstream: Upstream
  cache: MetadataCache
  logger?: FtpLogger | undefined
  /**
   * Stat the file afresh for every download, and never answer "not found" from a cached listing.
   * Needed when several instances share the upstream: another instance's write is announced by
   * pub/sub a few milliseconds after its 201, and a download sized from a stale entry cannot end
   * correctly, nor should a file just created be reported missing.
   */
  freshReads?: boolean | undefined
  /** Keeps small files' bytes while their metadata is cached (the same one the cache drops into). */
  content?: ContentCache | undefined
}

type Session = FtpSession

/**
 * Whether an upload body's chunks are nobody else's once read, so the engine may free each one as
 * soon as it is sent (ftp/memory/chunk-release.ts): a Node HTTP request body, whose parser copies
 * every chunk into memory of its own. Any other stream may hand out memory that is still in use (a
 * cached file's bytes, a download's lent read buffers, a caller's array), so its chunks are left
 * alone. Decided here, so callers (the HTTP faces) carry no memory option.
 */
function chunksAreOurs(body: Readable): boolean {
  return body instanceof IncomingMessage
}

/** A download body's failure as its reader sees it: engine errors become FileErrors. */
function bodyError(err: Error): Error {
  return isFtpError(err) ? toFileError(err) : err
}

/**
 * FileService over an FTP upstream: paths confined to the root, FTP errors turned into file
 * errors, metadata cached per identity, uploads written to a temporary name and renamed into place.
 */
export class FtpFileService implements FileService {
  readonly #up: Upstream
  readonly #cache: MetadataCache
  readonly #log: FtpLogger | undefined
  readonly #freshReads: boolean
  readonly #content: ContentCache | undefined

  constructor(options: FtpFileServiceOptions) {
    this.#up = options.upstream
    this.#cache = options.cache
    this.#log = options.logger
    this.#freshReads = options.freshReads ?? false
    this.#content = options.content
  }

  /**
   * A caller's path, normalised and checked against the upstream's encoding before any FTP
   * command: a name the encoding cannot hold (or a non-canonical escape) is a 400, not a 404.
   */
  #rel(raw: RelPath): RelPath {
    const rel = normalizeRelPath(raw)
    this.#up.assertEncodable(rel)
    return rel
  }

  async verifyLogin(who: Identity): Promise<void> {
    // The pool is the one record of which credentials the server accepted and when (it re-verifies
    // them after FTP_REVERIFY_MS): trusted logins cost no session, so verifying never waits behind
    // the user's own busy transfers.
    if (this.#up.verified(who)) return
    await this.#with(who, async () => undefined)
  }

  /** Drops every pooled session of FTP user `user`, on every instance sharing the store. */
  dropUserSessions(user: string): Promise<void> {
    return this.#up.dropUser(user)
  }

  async stat(who: Identity, raw: RelPath): Promise<FileStat> {
    const rel = this.#rel(raw)
    if (rel === '') return rootStat()
    const cached = this.#cache.getStat(who.key, rel)
    if (cached) return cached
    // A "missing" answer from a cached listing is wrong right after another instance created the
    // file (its invalidation is still in flight), so with a shared store a miss asks the server.
    if (!this.#freshReads && this.#cache.knownMissing(who.key, rel))
      throw new FileError('FILE_ERR_NOT_FOUND', 'No such file or directory')
    return this.#with(who, (s) => this.#statWith(who, s, rel))
  }

  async list(
    who: Identity,
    raw: RelPath,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ListPage> {
    const rel = this.#rel(raw)
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
    const entries = await this.#listAll(who, rel)
    return pageOf(rel, entries, options.limit ?? 1000, after)
  }

  async read(who: Identity, raw: RelPath, options: { range?: RangeSpec } = {}): Promise<ReadResult> {
    const rel = this.#rel(raw)
    const cached = this.#freshReads ? undefined : this.#cache.getStat(who.key, rel)
    // A small file read a moment ago under the same cached stat: no session, no command.
    const held = cached?.type === 'file' ? this.#content?.get(who.key, cached) : undefined
    if (cached && held) return inMemory(cached, held, options.range)
    // With a shared store every GET stats afresh (another instance may just have written), so
    // readers only share a download when the cache is this instance's own.
    const turn = this.#freshReads ? undefined : this.#content?.turn(who.key, rel)
    if (turn && 'joined' in turn) {
      const outcome = await turn.joined
      if (outcome && 'error' in outcome) throw outcome.error
      if (outcome?.bytes) return inMemory(outcome.stat, outcome.bytes, options.range)
      return this.#read(who, rel, outcome?.stat ?? cached, options.range, undefined)
    }
    const lead = turn?.lead
    try {
      return await this.#read(who, rel, cached, options.range, lead)
    } catch (err) {
      // The first settlement counts: an error after the stat was shared stays this reader's own.
      lead?.({ error: err })
      throw err
    } finally {
      lead?.(undefined)
    }
  }

  /** A download on a pooled session; `lead` shares what it learns with readers that joined it. */
  async #read(
    who: Identity,
    rel: RelPath,
    cached: FileStat | undefined,
    wanted: RangeSpec | undefined,
    lead: ((outcome: SharedRead) => void) | undefined,
  ): Promise<ReadResult> {
    // Nothing has reached the client before the download starts: a stale session is retried.
    return onSession(
      () => this.#acquire(who),
      async (checkout) => {
        const s = checkout.resource
        const stat = cached ?? (await this.#statWith(who, s, rel, { fresh: this.#freshReads }))
        if (stat.type === 'dir') throw new FileError('FILE_ERR_CONFLICT', 'Is a directory')
        if (this.#content?.fits(stat.size)) {
          // Small enough to read whole (bounded by the cache's file limit, and the engine fails a
          // transfer longer than the stat says): kept for the next reader, and a failure is still
          // a proper status rather than a broken body.
          // With a cached stat the lookup above already missed: no second lookup (or miss counted).
          let bytes = cached ? undefined : this.#content.get(who.key, stat)
          if (!bytes) {
            bytes = await collect(await this.#download(s, rel, { expectedSize: stat.size }))
            this.#content.set(who.key, stat, bytes)
          }
          checkout.release()
          lead?.({ stat, bytes })
          return inMemory(stat, bytes, wanted)
        }
        lead?.({ stat })
        const range = wanted ? resolveRange(wanted, stat.size ?? 0) : undefined
        const body = await this.#download(s, rel, {
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
  async #download(s: Session, rel: RelPath, options: DownloadOptions): Promise<Readable> {
    try {
      return await s.download(this.#up.serverPath(s, rel), options)
    } catch (err) {
      if (isFtpError(err, 'not-found')) await this.#cache.invalidate([rel])
      throw err
    }
  }

  async write(who: Identity, raw: RelPath, body: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const rel = this.#rel(raw)
    if (rel === '') throw new FileError('FILE_ERR_CONFLICT', 'Cannot write to the root')
    const checkout = await this.#acquire(who)
    const s = checkout.resource
    const target = this.#up.serverPath(s, rel)
    const tempRel = hiddenTempPath(rel)
    const temp = this.#up.serverPath(s, tempRel)
    let uploaded = false
    try {
      const existing = await this.#statWith(who, s, rel, { fresh: true }).catch(notFoundAsUndefined)
      checkPreconditions(existing, options)
      if (existing?.type === 'dir')
        throw new FileError('FILE_ERR_CONFLICT', 'A directory has that name', { reason: 'is-directory' })
      const parent = parentOf(rel)
      if (parent !== '') {
        const p = await this.#statWith(who, s, parent).catch(notFoundAsUndefined)
        if (p?.type !== 'dir')
          throw new FileError('FILE_ERR_CONFLICT', 'Parent directory does not exist', {
            reason: 'parent-missing',
          })
      }
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
      await swapIn(this.#swapOps(s), { from: tempRel, to: rel, incoming: 'file', existing: kindOf(existing) })
      uploaded = false
      if (options.mtime)
        await s.setModified(target, options.mtime).catch((err) => this.#ignoreUnsupported(err))
      await this.#cache.invalidate([rel])
      const stat = await this.#statWith(who, s, rel, { fresh: true })
      checkout.release()
      return { created: existing === undefined, stat }
    } catch (err) {
      if (!body.destroyed) body.resume()
      if (uploaded) await this.#removeTemp(who, s, temp)
      checkout.release({ error: err })
      throw toFileError(err)
    }
  }

  async mkdir(who: Identity, raw: RelPath, options: { parents?: boolean } = {}): Promise<FileStat> {
    const rel = this.#rel(raw)
    if (rel === '') throw new FileError('FILE_ERR_EXISTS', 'The root exists')
    return this.#with(
      who,
      async (s) => {
        const dirs = options.parents ? rel.split('/').map((_, i, a) => a.slice(0, i + 1).join('/')) : [rel]
        for (const [i, dir] of dirs.entries()) {
          const existing = await this.#statWith(who, s, dir, { fresh: true }).catch(notFoundAsUndefined)
          if (existing) {
            if (existing.type !== 'dir') throw new FileError('FILE_ERR_CONFLICT', 'A file is in the way')
            if (i === dirs.length - 1) throw new FileError('FILE_ERR_EXISTS', 'Directory exists')
            continue
          }
          if (i === 0 && !options.parents && parentOf(dir) !== '') {
            const parent = await this.#statWith(who, s, parentOf(dir)).catch(notFoundAsUndefined)
            if (parent?.type !== 'dir')
              throw new FileError('FILE_ERR_CONFLICT', 'Parent directory does not exist', {
                reason: 'parent-missing',
              })
          }
          try {
            await s.mkdir(this.#up.serverPath(s, dir))
          } catch (err) {
            // Refused by the server: when the directory appeared since the check (another client
            // made it), it exists; the reply's text is not read (servers word it differently).
            if (!isFtpError(err, 'not-found') && !isFtpError(err, 'permission')) throw err
            const now = await this.#statWith(who, s, dir, { fresh: true }).catch(() => undefined)
            if (now?.type !== 'dir') throw err
            if (i === dirs.length - 1)
              throw new FileError('FILE_ERR_EXISTS', 'Directory exists', { cause: err })
          }
          await this.#cache.invalidate([dir])
        }
        return this.#statWith(who, s, rel, { fresh: true })
      },
      { retry: false },
    )
  }

  async delete(who: Identity, raw: RelPath): Promise<void> {
    const rel = this.#rel(raw)
    await this.#with(
      who,
      async (s) => {
        const stat = await this.#statWith(who, s, rel, { fresh: true })
        if (stat.type === 'dir') throw new FileError('FILE_ERR_CONFLICT', 'Is a directory')
        await s.delete(this.#up.serverPath(s, rel))
        await this.#cache.invalidate([rel])
      },
      { retry: false },
    )
  }

  async rmdir(who: Identity, raw: RelPath, options: { recursive?: boolean } = {}): Promise<void> {
    const rel = this.#rel(raw)
    if (rel === '') throw new FileError('FILE_ERR_FORBIDDEN', 'Cannot remove the root')
    await this.#with(
      who,
      async (s) => {
        const stat = await this.#statWith(who, s, rel, { fresh: true })
        if (stat.type !== 'dir') throw new FileError('FILE_ERR_CONFLICT', 'Not a directory')
        const children = await s.list(this.#up.serverPath(s, rel))
        if (children.length > 0 && !options.recursive)
          throw new FileError('FILE_ERR_NOT_EMPTY', 'Directory is not empty')
        await this.#removeTree(s, rel, children.length > 0)
        await this.#cache.invalidate([rel], { subtree: true })
      },
      { retry: false },
    )
  }

  async move(
    who: Identity,
    rawFrom: RelPath,
    rawTo: RelPath,
    options: { overwrite?: boolean } = {},
  ): Promise<{ replaced: boolean }> {
    const from = this.#rel(rawFrom)
    const to = this.#rel(rawTo)
    assertSeparate(from, to)
    return this.#with(
      who,
      async (s) => {
        const source = await this.#statWith(who, s, from, { fresh: true })
        const target = await this.#checkTarget(who, s, to, options.overwrite ?? false)
        try {
          await swapIn(this.#swapOps(s), { from, to, incoming: kindOf(source), existing: kindOf(target) })
        } finally {
          // Also after a failure: a target that could not be put back has moved.
          await this.#cache.invalidate([from, to], {
            subtree: source.type === 'dir' || target?.type === 'dir',
          })
        }
        return { replaced: target !== undefined }
      },
      { retry: false },
    )
  }

  async copy(
    who: Identity,
    rawFrom: RelPath,
    rawTo: RelPath,
    options: { overwrite?: boolean; depth?: 0 | 'infinity' } = {},
  ): Promise<{ replaced: boolean }> {
    const from = this.#rel(rawFrom)
    const to = this.#rel(rawTo)
    assertSeparate(from, to)
    const source = await this.stat(who, from)
    const target = await this.#with(who, (s) => this.#checkTarget(who, s, to, options.overwrite ?? false), {
      retry: false,
    })
    // The copy is built under a hidden name and swapped in whole: a copy that fails midway leaves
    // the target as it was and no half-copied tree under its name.
    const temp = hiddenTempPath(to)
    try {
      await this.#copyTree(who, source, temp, options.depth ?? 'infinity')
      await this.#with(
        who,
        (s) =>
          swapIn(this.#swapOps(s), { from: temp, to, incoming: kindOf(source), existing: kindOf(target) }),
        { retry: false },
      )
    } catch (err) {
      await this.#discard(who, temp, kindOf(source))
      throw toFileError(err)
    } finally {
      await this.#cache.invalidate([temp, to], { subtree: true })
    }
    return { replaced: target !== undefined }
  }

  async setModified(who: Identity, raw: RelPath, time: Date): Promise<void> {
    const rel = this.#rel(raw)
    await this.#with(who, async (s) => {
      await s.setModified(this.#up.serverPath(s, rel), time)
      await this.#cache.invalidate([rel])
    })
  }

  // --- internals ---

  async #acquire(who: Identity): Promise<Checkout<Session>> {
    try {
      return await this.#up.acquire(who)
    } catch (err) {
      throw toFileError(err)
    }
  }

  /** Runs `fn` on a pooled session; retries once on a fresh session when a pooled one proves stale. */
  #with<T>(who: Identity, fn: (s: Session) => Promise<T>, options: { retry?: boolean } = {}): Promise<T> {
    return onSession(
      () => this.#acquire(who),
      async (checkout) => {
        const result = await fn(checkout.resource)
        checkout.release()
        return result
      },
      options.retry !== false,
    )
  }

  async #statWith(
    who: Identity,
    s: Session,
    rel: RelPath,
    options: { fresh?: boolean } = {},
  ): Promise<FileStat> {
    if (rel === '') return rootStat()
    if (!options.fresh) {
      const cached = this.#cache.getStat(who.key, rel)
      if (cached) return cached
    }
    const info = await s.stat(this.#up.serverPath(s, rel))
    const stat = toFileStat(rel, info)
    this.#cache.setStat(who.key, stat)
    return stat
  }

  async #listAll(who: Identity, rel: RelPath): Promise<FileStat[]> {
    const cached = this.#cache.getListing(who.key, rel)
    if (cached) return cached
    return this.#with(who, async (s) => {
      let infos: Awaited<ReturnType<Session['list']>>
      try {
        infos = await s.list(this.#up.serverPath(s, rel))
      } catch (err) {
        // Listing a file fails like a missing directory; say which it is.
        if (isFtpError(err, 'not-found') && rel !== '') {
          const stat = await this.#statWith(who, s, rel, { fresh: true }).catch(() => undefined)
          if (stat && stat.type !== 'dir') throw new FileError('FILE_ERR_CONFLICT', 'Not a directory')
          if (stat) throw new FileError('FILE_ERR_FORBIDDEN', 'Listing refused by the server')
        }
        throw err
      }
      const entries = infos
        .map((info) => toFileStat(childOf(rel, info.name), info))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      this.#cache.setListing(who.key, rel, entries)
      return entries
    })
  }

  /**
   * Checks a move/copy target without touching it: its parent must be a folder, and an existing
   * target is a conflict unless overwrite is on. The replacement itself is swapIn's (nothing is
   * deleted before what replaces it is in place).
   */
  async #checkTarget(
    who: Identity,
    s: Session,
    to: RelPath,
    overwrite: boolean,
  ): Promise<FileStat | undefined> {
    const parent = parentOf(to)
    if (parent !== '') {
      const p = await this.#statWith(who, s, parent, { fresh: true }).catch(notFoundAsUndefined)
      if (p?.type !== 'dir') throw new FileError('FILE_ERR_CONFLICT', 'Destination parent does not exist')
    }
    const target = await this.#statWith(who, s, to, { fresh: true }).catch(notFoundAsUndefined)
    if (target && !overwrite) throw new FileError('FILE_ERR_EXISTS', 'Destination exists')
    return target
  }

  /** The upstream operations swapIn runs, on one session. */
  #swapOps(s: Session): SwapOps {
    return {
      rename: (a, b) => s.rename(this.#up.serverPath(s, a), this.#up.serverPath(s, b)),
      remove: (rel, type) =>
        type === 'dir' ? this.#removeTree(s, rel, true) : s.delete(this.#up.serverPath(s, rel)),
      warn: (message, detail) => this.#log?.warn?.(detail, message),
    }
  }

  /** Removes a copy's unfinished temporary (file or tree); it may not exist at all. */
  async #discard(who: Identity, temp: RelPath, type: 'file' | 'dir'): Promise<void> {
    try {
      await this.#with(
        who,
        (s) => (type === 'dir' ? this.#removeTree(s, temp, true) : s.delete(this.#up.serverPath(s, temp))),
        { retry: false },
      )
    } catch (err) {
      this.#log?.debug?.({ err: (err as Error).message, path: temp }, 'temporary copy not removed')
    }
  }

  async #removeTree(s: Session, rel: RelPath, hasChildren: boolean): Promise<void> {
    if (hasChildren) {
      for (const child of await s.list(this.#up.serverPath(s, rel))) {
        const childRel = childOf(rel, child.name)
        if (child.type === 'dir') await this.#removeTree(s, childRel, true)
        else await s.delete(this.#up.serverPath(s, childRel))
      }
    }
    await s.rmdir(this.#up.serverPath(s, rel))
  }

  /** Copies through the gateway with two sessions: one reading, one writing (FTP has no server-side copy). */
  async #copyTree(who: Identity, source: FileStat, to: RelPath, depth: 0 | 'infinity'): Promise<void> {
    if (source.type !== 'dir') {
      const read = await this.read(who, source.path)
      await this.write(who, to, read.body)
      if (source.modified)
        await this.setModified(who, to, source.modified).catch((err) => this.#ignoreUnsupported(err))
      return
    }
    await this.mkdir(who, to)
    if (depth === 0) return
    const children = await this.#listAll(who, source.path)
    for (const child of children) await this.#copyTree(who, child, childOf(to, child.name), depth)
  }

  async #removeTemp(who: Identity, s: Session, temp: string): Promise<void> {
    try {
      if (s.usable) await s.delete(temp)
      else await this.#with(who, (fresh) => fresh.delete(temp), { retry: false })
    } catch (err) {
      // Not there (the upload never started) or the server is gone: nothing more can be done now.
      this.#log?.debug?.({ err: (err as Error).message }, 'temporary upload file not removed')
    }
  }

  #ignoreUnsupported(err: unknown): void {
    if (isFtpError(err, 'unsupported') || isFileError(err, 'FILE_ERR_NOT_SUPPORTED')) return
    throw err
  }
}
