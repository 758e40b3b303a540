/**
 * The FileService the HTTP faces use: one tree over several upstreams (docs/architecture.md,
 * "The tree"). Each call is routed by path to the mount that holds it, checked against the
 * mount's rules before any FTP command (a hidden mount is 404, a write where the caller may not
 * write 403 read-only), run on that upstream's file service as the upstream's identity (the
 * caller's own login, or the upstream's service account), and its paths mapped back into the tree.
 * Folders that only hold mounts are virtual: listed, never written.
 */
import type { Readable } from 'node:stream'
import { AuthError } from '../auth/errors.js'
import { FileError, isFileError } from '../files/errors.js'
import { MAX_PAGE, pageOf } from '../files/listing-order.js'
import { childOf, nameOf, normalizeRelPath, parentOf } from '../files/paths.js'
import { assertSeparate } from '../files/safe-replace.js'
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
} from '../files/types.js'
import { copyAcross, moveAcross } from './cross-mount.js'
import type { Mount, MountTable, Resolved } from './mount-table.js'
import type { Side, UpstreamBinding } from './types.js'

/** A path inside a mount, with everything a call needs. */
interface Routed {
  rel: RelPath
  mount: Mount
  binding: UpstreamBinding
  /** The path on the upstream (relative to its base). */
  up: RelPath
  /** The identity the upstream sees. */
  who: Identity
  /** Whether the caller may change things in this mount (rules and read-only flags). */
  canWrite: boolean
}

const readOnly = (message: string) => new FileError('FILE_ERR_READ_ONLY', message)
const notFound = () => new FileError('FILE_ERR_NOT_FOUND', 'No such file or directory')

/** Options of the tree. */
export interface TreeOptions {
  table: MountTable
  upstreams: ReadonlyMap<string, UpstreamBinding>
}

/** The tree over every upstream. */
export class TreeFileService implements FileService {
  #table!: MountTable
  #ups!: ReadonlyMap<string, UpstreamBinding>
  #passthrough!: UpstreamBinding[]

  constructor(options: TreeOptions) {
    this.replace(options)
  }

  /**
   * Swaps in a new tree (a reloaded configuration): calls that started keep the upstreams they
   * were routed to, new calls see the new mounts.
   */
  replace(options: TreeOptions): void {
    for (const m of options.table.mounts)
      if (!options.upstreams.has(m.upstream)) throw new Error(`mount /${m.path}: no upstream ${m.upstream}`)
    this.#table = options.table
    this.#ups = options.upstreams
    this.#passthrough = [...options.upstreams.values()].filter((b) => b.serviceIdentity === undefined)
  }

  /** The upstreams the tree routes to, by name. */
  get upstreams(): ReadonlyMap<string, UpstreamBinding> {
    return this.#ups
  }

  /** The upstream name of the mount that holds `raw` for `who` (logs, audit); undefined when none. */
  whereIs(who: Identity, raw: RelPath): string | undefined {
    try {
      const r = this.#table.resolve(normalizeRelPath(raw), who)
      return r.kind === 'mount' ? r.mount.upstream : undefined
    } catch {
      return undefined
    }
  }

  /**
   * Whose view of the files `who` has: the upstreams with the FTP account each sees them as.
   * Callers that share state per view (WebDAV locks) share it exactly between identities that see
   * the same files.
   */
  viewOf(who: Identity): string {
    const parts: string[] = []
    // A person with no way onto an upstream sees none of its files there: no account to share.
    for (const b of this.#ups.values())
      parts.push(
        b.id,
        b.serviceIdentity === undefined && who.noFtpLogin ? '\0none' : this.#identityFor(b, who).user,
      )
    return parts.join('\0')
  }

  /**
   * How each upstream is reached for `who` (`/api/v1/me`): its service account, or the caller's
   * own credentials, which a person authenticated without any (a JWT) does not have there.
   */
  accountsOf(
    who: Identity,
  ): Array<{ name: string; credentials: 'passthrough' | 'service'; linked: boolean }> {
    return [...this.#ups.values()].map((b) =>
      b.serviceIdentity === undefined
        ? { name: b.name, credentials: 'passthrough', linked: who.noFtpLogin !== true }
        : { name: b.name, credentials: 'service', linked: true },
    )
  }

  verifyLogin(who: Identity): Promise<void> {
    // Service accounts need no check of the caller's password; the gateway authenticated them.
    if (this.#passthrough.length === 0) return Promise.resolve()
    // Nothing to try: such an identity carries no FTP password (and must never log in without one).
    if (who.noFtpLogin) return Promise.resolve()
    // One such upstream: its answer is the answer (what the loop would rethrow), with no frame of
    // our own around it; every request with Basic credentials comes through here.
    if (this.#passthrough.length === 1) return this.#passthrough[0]!.files.verifyLogin(who)
    return this.#verifyAny(who)
  }

  async #verifyAny(who: Identity): Promise<void> {
    let refused: unknown
    let failed: unknown
    // The login counts when any upstream that takes passthrough logins accepts it: a refusal on
    // one upstream (an account that exists only on some servers) does not lock the user out of
    // the others; its mounts answer 403 then.
    for (const b of this.#passthrough) {
      try {
        await b.files.verifyLogin(who)
        return
      } catch (err) {
        if (isFileError(err, 'FILE_ERR_UNAUTHORIZED')) refused ??= err
        else failed ??= err
      }
    }
    // An upstream that could not answer may have accepted it: that is not the client's fault.
    throw failed ?? refused
  }

  async dropUserSessions(user: string): Promise<void> {
    await Promise.all([...this.#ups.values()].map((b) => b.dropUserSessions(user)))
  }

  stat(who: Identity, raw: RelPath, options: { fresh?: boolean } = {}): Promise<FileStat> {
    // Every download stats first. The common case (a path in a mount with no mounts below it) is
    // the upstream's own promise, mapped into the tree only when the mount needs it, with no frame
    // of ours around it; failures are still rejections, never throws.
    try {
      const rel = normalizeRelPath(raw)
      const r = this.#table.resolve(rel, who)
      if (r.kind !== 'mount' || this.#table.hasMountsBelow(rel)) return this.#statAt(rel, r, who, options)
      const routed = this.#routed(rel, r.mount, r.inner, who)
      const stat = this.#call(() => routed.binding.files.stat(routed.who, routed.up, options))
      return this.#inTree(routed) ? stat : stat.then((s) => this.#toTree(routed, s))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  async #statAt(rel: RelPath, r: Resolved, who: Identity, options: { fresh?: boolean }): Promise<FileStat> {
    if (r.kind === 'hidden') throw notFound()
    if (r.kind === 'virtual') return virtualDir(rel)
    const routed = this.#routed(rel, r.mount, r.inner, who)
    try {
      return this.#toTree(
        routed,
        await this.#call(() => routed.binding.files.stat(routed.who, routed.up, options)),
      )
    } catch (err) {
      // A folder the mount does not have but that leads to mounts below it: shown as virtual.
      if (isFileError(err, 'FILE_ERR_NOT_FOUND') && this.#leadsToMounts(rel, who)) return virtualDir(rel)
      throw err
    }
  }

  async list(who: Identity, raw: RelPath, options: ListOptions = {}): Promise<ListPage> {
    const rel = normalizeRelPath(raw)
    const r = this.#table.resolve(rel, who)
    if (r.kind === 'hidden') throw notFound()
    const children = this.#table.hasMountsBelow(rel) ? this.#table.childrenOf(rel, who) : undefined
    if (r.kind === 'virtual') return pageOf(rel, this.#merged([], rel, children), options)
    // Named only when there is more than one server to tell apart.
    const upstream = this.#ups.size > 1 ? r.mount.upstream : undefined
    const routed = this.#routed(rel, r.mount, r.inner, who)
    if (children === undefined) {
      // The common case, one upstream's folder as it is: its own paging, no copy of the folder.
      const page = await this.#call(() => routed.binding.files.list(routed.who, routed.up, options))
      return { ...this.#pageToTree(routed, page), upstream }
    }
    const all: FileStat[] = []
    let cursor: string | undefined
    try {
      do {
        const page = await this.#call(() =>
          routed.binding.files.list(routed.who, routed.up, {
            limit: MAX_PAGE,
            ...(cursor === undefined ? {} : { cursor }),
          }),
        )
        for (const e of page.entries) all.push(this.#toTree(routed, e))
        cursor = page.next ?? undefined
      } while (cursor !== undefined)
    } catch (err) {
      // The mount has no such folder, but mounts below make it one (virtual, like /teams above /teams/x).
      if (!isFileError(err, 'FILE_ERR_NOT_FOUND') || !this.#leadsToMounts(rel, who)) throw err
    }
    // The merged folder is ordered, filtered and paged like any other (files/listing-order.ts).
    return { ...pageOf(rel, this.#merged(all, rel, children), options), upstream }
  }

  read(who: Identity, raw: RelPath, options: { range?: RangeSpec } = {}): Promise<ReadResult> {
    // Like stat: the upstream's promise itself where the tree changes nothing in the answer.
    try {
      const routed = this.#route(raw, who)
      const result = this.#call(() => routed.binding.files.read(routed.who, routed.up, options))
      return routed.rel === routed.up && routed.canWrite
        ? result
        : result.then((res) => ({ ...res, stat: this.#toTree(routed, res.stat) }))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  async write(who: Identity, raw: RelPath, body: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const routed = this.#routeWrite(raw, who)
    const result = await this.#call(() => routed.binding.files.write(routed.who, routed.up, body, options))
    const written = { created: result.created, stat: this.#toTree(routed, result.stat) }
    // Whether the server kept the asked-for time (X-OC-MTime: accepted is answered only then).
    return result.mtimeApplied === undefined ? written : { ...written, mtimeApplied: result.mtimeApplied }
  }

  async mkdir(who: Identity, raw: RelPath, options: { parents?: boolean } = {}): Promise<FileStat> {
    const rel = normalizeRelPath(raw)
    const r = this.#table.resolve(rel, who)
    // A mount point or a virtual folder exists already.
    if ((r.kind === 'mount' && r.inner === '') || r.kind === 'virtual')
      throw new FileError('FILE_ERR_EXISTS', 'Directory exists')
    const routed = this.#routeWrite(rel, who)
    return this.#toTree(
      routed,
      await this.#call(() => routed.binding.files.mkdir(routed.who, routed.up, options)),
    )
  }

  async delete(who: Identity, raw: RelPath): Promise<void> {
    const routed = this.#routeWrite(raw, who, { structural: true })
    await this.#call(() => routed.binding.files.delete(routed.who, routed.up))
  }

  async rmdir(who: Identity, raw: RelPath, options: { recursive?: boolean } = {}): Promise<void> {
    const routed = this.#routeWrite(raw, who, { structural: true })
    await this.#call(() => routed.binding.files.rmdir(routed.who, routed.up, options))
  }

  async move(
    who: Identity,
    rawFrom: RelPath,
    rawTo: RelPath,
    options: { overwrite?: boolean } = {},
  ): Promise<{ replaced: boolean }> {
    const from = this.#routeWrite(rawFrom, who, { structural: true })
    const to = this.#routeWrite(rawTo, who, { structural: true })
    if (from.binding === to.binding)
      return this.#call(() => from.binding.files.move(from.who, from.up, to.up, options))
    assertSeparate(from.rel, to.rel)
    return this.#call(() => moveAcross(this.#side(from), this.#side(to), options))
  }

  async copy(
    who: Identity,
    rawFrom: RelPath,
    rawTo: RelPath,
    options: { overwrite?: boolean; depth?: 0 | 'infinity' } = {},
  ): Promise<{ replaced: boolean }> {
    const from = this.#route(rawFrom, who)
    // A copy of a folder that holds mounts would copy only the upstream's part of it.
    if (this.#table.hasMountsBelow(from.rel) && options.depth !== 0)
      throw readOnly('The folder holds mount points; copy the mounts one by one')
    const to = this.#routeWrite(rawTo, who, { structural: true })
    if (from.binding === to.binding)
      return this.#call(() => from.binding.files.copy(from.who, from.up, to.up, options))
    assertSeparate(from.rel, to.rel)
    return this.#call(() => copyAcross(this.#side(from), this.#side(to), options))
  }

  // --- resumable uploads: the partial file lives beside its destination, in the same mount ---

  async beginPartial(
    who: Identity,
    raw: RelPath,
    options?: Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'>,
  ): Promise<PartialUpload> {
    const r = this.#routeWrite(raw, who)
    const partial = await this.#call(() => r.binding.files.beginPartial(r.who, r.up, options))
    return { ...partial, path: r.rel, temp: this.#sibling(r.rel, partial.temp) }
  }

  async partialSize(who: Identity, partial: PartialUpload): Promise<number> {
    const { r, up } = this.#partial(who, partial)
    return this.#call(() => r.binding.files.partialSize(r.who, up))
  }

  async appendPartial(
    who: Identity,
    partial: PartialUpload,
    offset: number,
    body: Readable,
    options: PartialAppendOptions,
  ): Promise<number> {
    const { r, up } = this.#partial(who, partial)
    return this.#call(() => r.binding.files.appendPartial(r.who, up, offset, body, options))
  }

  async commitPartial(
    who: Identity,
    partial: PartialUpload,
    options?: Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'>,
  ): Promise<WriteResult> {
    const { r, up } = this.#partial(who, partial)
    const result = await this.#call(() => r.binding.files.commitPartial(r.who, up, options))
    return { created: result.created, stat: this.#toTree(r, result.stat) }
  }

  async abortPartial(who: Identity, partial: PartialUpload): Promise<void> {
    const { r, up } = this.#partial(who, partial)
    await this.#call(() => r.binding.files.abortPartial(r.who, up))
  }

  /** A partial upload in tree paths, routed (checked for writing) and put in upstream paths. */
  #partial(who: Identity, partial: PartialUpload): { r: Routed; up: PartialUpload } {
    const r = this.#routeWrite(partial.path, who)
    return { r, up: { ...partial, path: r.up, temp: this.#sibling(r.up, partial.temp) } }
  }

  /** `temp`'s file name beside `rel` (temporary names live next to their destination). */
  #sibling(rel: RelPath, temp: RelPath): RelPath {
    return childOf(parentOf(rel), nameOf(temp))
  }

  assertMayChange(who: Identity, raw: RelPath): void {
    this.#routeWrite(raw, who)
  }

  async setModified(who: Identity, raw: RelPath, time: Date): Promise<void> {
    const routed = this.#routeWrite(raw, who)
    await this.#call(() => routed.binding.files.setModified(routed.who, routed.up, time))
  }

  // --- routing ---

  /** A path the caller may see inside a mount (virtual folders are folders: a conflict for files). */
  #route(raw: RelPath, who: Identity): Routed {
    const rel = normalizeRelPath(raw)
    const r = this.#table.resolve(rel, who)
    if (r.kind === 'hidden') throw notFound()
    if (r.kind === 'virtual')
      throw new FileError('FILE_ERR_CONFLICT', 'Is a directory', { reason: 'is-directory' })
    return this.#routed(rel, r.mount, r.inner, who)
  }

  /**
   * A path the caller may change: visible, in a mount they may write and that is not read-only.
   * `structural` operations (delete, move, being replaced) may not touch a mount point or a folder
   * holding one: that would change the tree's shape, which only the configuration does.
   */
  #routeWrite(raw: RelPath, who: Identity, opts: { structural?: boolean } = {}): Routed {
    const rel = normalizeRelPath(raw)
    const r = this.#table.resolve(rel, who)
    if (r.kind === 'hidden') {
      // Creating a name in a virtual folder: the folder is visible, so say why it fails.
      if (rel !== '' && this.#table.resolve(parentOf(rel), who).kind === 'virtual')
        throw readOnly('This folder only holds mounts; nothing can be created in it')
      throw notFound()
    }
    if (r.kind === 'virtual') throw readOnly('This folder only holds mounts; it cannot be changed')
    if (r.mount.readOnly || !r.mount.write.matches(who)) throw readOnly('This folder is read-only for you')
    if (opts.structural && (r.inner === '' || this.#table.hasMountsBelow(rel)))
      throw readOnly('A mount point cannot be removed, moved or replaced')
    return this.#routed(rel, r.mount, r.inner, who)
  }

  /** Whether a visible mount lies below `rel` (which makes `rel` a folder, virtual if need be). */
  #leadsToMounts(rel: RelPath, who: Identity): boolean {
    return [...this.#table.childrenOf(rel, who).values()].some((shown) => shown)
  }

  #routed(rel: RelPath, mount: Mount, inner: RelPath, who: Identity): Routed {
    const binding = this.#ups.get(mount.upstream) as UpstreamBinding
    const up = mount.root === '' ? inner : inner === '' ? mount.root : `${mount.root}/${inner}`
    const canWrite = !mount.readOnly && mount.write.matches(who)
    return { rel, mount, binding, up, who: this.#identityFor(binding, who), canWrite }
  }

  /**
   * The identity upstream `b` sees: its service account (the person kept for rules, locks and
   * audit), else the caller's own login, which a person authenticated without FTP credentials (a
   * JWT) does not have: 403, before any FTP command, rather than a login with an empty password.
   */
  #identityFor(b: UpstreamBinding, who: Identity): Identity {
    const svc = b.serviceIdentity
    if (svc === undefined && who.noFtpLogin)
      throw new AuthError('AUTH_ERR_NO_UPSTREAM_ACCOUNT', `no FTP account for you on upstream ${b.name}`)
    if (svc === undefined || svc.key === who.key) return who
    return { ...svc, principal: who.principal, groups: who.groups }
  }

  #side(r: Routed): Side {
    return { files: r.binding.files, who: r.who, path: r.up }
  }

  /** Runs an upstream call; a login one upstream refuses is that folder's 403, not the whole gateway's 401. */
  #call<T>(fn: () => Promise<T>): Promise<T> {
    // With one upstream there is nothing to translate: no async frame around the call.
    if (this.#ups.size <= 1) return fn()
    return this.#translated(fn)
  }

  async #translated<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (isFileError(err, 'FILE_ERR_UNAUTHORIZED') && this.#ups.size > 1)
        throw new FileError(
          'FILE_ERR_FORBIDDEN',
          'The server behind this folder does not accept your login',
          {
            cause: err,
          },
        )
      throw err
    }
  }

  // --- paths back into the tree ---

  /** Whether the upstream's stats are already the tree's (#toTree would return them as they are). */
  #inTree(r: Routed): boolean {
    return r.canWrite && r.mount.path === '' && r.mount.root === ''
  }

  #toTree(r: Routed, stat: FileStat): FileStat {
    if (!r.canWrite) stat = { ...stat, writable: false }
    if (r.mount.path === '' && r.mount.root === '') return stat
    // stat.path is on the upstream, within the mount's root: strip the root, prefix the mount.
    const inner = r.mount.root === '' ? stat.path : stat.path.slice(r.mount.root.length + 1)
    const path = r.mount.path === '' ? inner : inner === '' ? r.mount.path : `${r.mount.path}/${inner}`
    return { ...stat, path, name: nameOf(path) }
  }

  #pageToTree(r: Routed, page: ListPage): ListPage {
    if (r.mount.path === '' && r.mount.root === '' && r.canWrite) return page
    return { ...page, path: r.rel, entries: page.entries.map((e) => this.#toTree(r, e)) }
  }

  /** A folder's entries with the mounts below it shown (as folders) or hidden. */
  #merged(entries: FileStat[], rel: RelPath, children: Map<string, boolean> | undefined): FileStat[] {
    if (children === undefined) return entries
    const out = entries.filter((e) => !children.has(e.name))
    for (const [name, shown] of children) if (shown) out.push(virtualDir(childOf(rel, name)))
    return out
  }
}

/** A folder the tree makes up (a mount point's place in its parent, or a folder holding mounts). */
function virtualDir(rel: RelPath): FileStat {
  return {
    path: rel,
    name: nameOf(rel),
    type: 'dir',
    size: undefined,
    modified: undefined,
    etag: `"mount-${Buffer.from(rel, 'utf8').toString('base64url')}"`,
    writable: false,
  }
}
