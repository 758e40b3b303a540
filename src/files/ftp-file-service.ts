/**
 * The FTP-backed FileService: one class implementing the interface, assembled from files by
 * concern (reads.ts, writes.ts, tree-ops.ts, times.ts) over the state they share (service-core.ts).
 */
import type { Readable } from 'node:stream'
import { abortPartial, appendPartial, beginPartial, commitPartial, partialSize } from './partials.js'
import { normalizeRelPath } from './paths.js'
import { list, read, stat } from './reads.js'
import { type FtpFileServiceOptions, ServiceCore } from './service-core.js'
import { setModified } from './times.js'
import { copy, move } from './tree-ops.js'
import type {
  FileService,
  FileStat,
  Identity,
  ListOptions,
  ListPage,
  PartialAppendOptions,
  PartialUpload,
  RangeSpec,
  ReadResult,
  RelPath,
  WriteOptions,
  WriteResult,
} from './types.js'
import { deleteFile, mkdir, rmdir, write } from './writes.js'

export type { FtpFileServiceOptions } from './service-core.js'

/**
 * FileService over an FTP upstream: paths confined to the root, FTP errors turned into file
 * errors, metadata cached per identity, uploads written to a temporary name and renamed into place.
 */
export class FtpFileService implements FileService {
  readonly #core: ServiceCore

  constructor(options: FtpFileServiceOptions) {
    this.#core = new ServiceCore(options)
  }

  /**
   * A caller's path, normalised and checked against the upstream's encoding before any FTP
   * command: a name the encoding cannot hold (or a non-canonical escape) is a 400, not a 404.
   */
  #rel(raw: RelPath): RelPath {
    const rel = normalizeRelPath(raw)
    this.#core.up.assertEncodable(rel)
    return rel
  }

  async verifyLogin(who: Identity): Promise<void> {
    // The pool is the one record of which credentials the server accepted and when (it re-verifies
    // them after FTP_REVERIFY_MS): trusted logins cost no session, so verifying never waits behind
    // the user's own busy transfers.
    if (this.#core.up.verified(who)) return
    await this.#core.with(who, async () => undefined)
  }

  /** Drops every pooled session of FTP user `user`, on every instance sharing the store. */
  dropUserSessions(user: string): Promise<void> {
    return this.#core.up.dropUser(user)
  }

  // stat and read are on every download's path: reads.ts's promise itself, no frame of ours around
  // it (a bad path is still a rejection).
  stat(who: Identity, path: RelPath, options: { fresh?: boolean } = {}): Promise<FileStat> {
    try {
      return stat(this.#core, who, this.#rel(path), options)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  async list(who: Identity, path: RelPath, options: ListOptions = {}): Promise<ListPage> {
    return list(this.#core, who, this.#rel(path), options)
  }

  read(who: Identity, path: RelPath, options: { range?: RangeSpec } = {}): Promise<ReadResult> {
    try {
      return read(this.#core, who, this.#rel(path), options)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  async write(
    who: Identity,
    path: RelPath,
    body: Readable,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    return write(this.#core, who, this.#rel(path), body, options)
  }

  async mkdir(who: Identity, path: RelPath, options: { parents?: boolean } = {}): Promise<FileStat> {
    return mkdir(this.#core, who, this.#rel(path), options)
  }

  async delete(who: Identity, path: RelPath): Promise<void> {
    return deleteFile(this.#core, who, this.#rel(path))
  }

  async rmdir(who: Identity, path: RelPath, options: { recursive?: boolean } = {}): Promise<void> {
    return rmdir(this.#core, who, this.#rel(path), options)
  }

  async move(
    who: Identity,
    from: RelPath,
    to: RelPath,
    options: { overwrite?: boolean } = {},
  ): Promise<{ replaced: boolean }> {
    return move(this.#core, who, this.#rel(from), this.#rel(to), options)
  }

  async copy(
    who: Identity,
    from: RelPath,
    to: RelPath,
    options: { overwrite?: boolean; depth?: 0 | 'infinity' } = {},
  ): Promise<{ replaced: boolean }> {
    return copy(this.#core, who, this.#rel(from), this.#rel(to), options)
  }

  async setModified(who: Identity, path: RelPath, time: Date): Promise<void> {
    return setModified(this.#core, who, this.#rel(path), time)
  }

  // --- resumable uploads (partials.ts) ---

  async beginPartial(
    who: Identity,
    path: RelPath,
    options?: Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'>,
  ): Promise<PartialUpload> {
    return beginPartial(this.#core, who, this.#rel(path), options)
  }

  partialSize(who: Identity, partial: PartialUpload): Promise<number> {
    return partialSize(this.#core, who, partial)
  }

  appendPartial(
    who: Identity,
    partial: PartialUpload,
    offset: number,
    body: Readable,
    options: PartialAppendOptions,
  ): Promise<number> {
    return appendPartial(this.#core, who, partial, offset, body, options)
  }

  commitPartial(
    who: Identity,
    partial: PartialUpload,
    options?: Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'>,
  ): Promise<WriteResult> {
    return commitPartial(this.#core, who, partial, options)
  }

  abortPartial(who: Identity, partial: PartialUpload): Promise<void> {
    return abortPartial(this.#core, who, partial)
  }
}
