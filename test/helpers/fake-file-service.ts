/**
 * An in-memory FileService that follows the contract in src/files/types.ts: directories, files as
 * Buffers streamed in chunks, strong ETags, name-ordered pages with opaque cursors, FileErrors for
 * missing/existing/conflicting targets, and WriteOptions honoured (preconditions, digest checked
 * while streaming, nothing put in place on mismatch or short body). Every call is recorded, and
 * faults can be injected (an error for the next call of a method, a read body that fails midway).
 */

import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { FileError } from '../../src/files/errors.js'
import { pageOf } from '../../src/files/listing-order.js'
import { assertSeparate } from '../../src/files/safe-replace.js'
import type {
  FileService,
  FileStat,
  Identity,
  ListOptions,
  ListPage,
  PartialAppendOptions,
  PartialUpload,
  ReadResult,
  RelPath,
  WriteOptions,
  WriteResult,
} from '../../src/files/types.js'

type Node = { type: 'dir'; modified: Date } | { type: 'file'; data: Buffer; modified: Date }

/** One recorded call. */
export interface Call {
  method: keyof FileService
  path: RelPath
  args: unknown[]
}

const DIGESTS = { md5: 'md5', 'sha-256': 'sha256', 'sha-512': 'sha512' } as const

function parentOf(p: RelPath): RelPath {
  const i = p.lastIndexOf('/')
  return i === -1 ? '' : p.slice(0, i)
}

/** The fake. */
export class FakeFileService implements FileService {
  readonly calls: Call[] = []
  /** Bytes per body chunk. */
  chunkSize = 4
  /** When set, read bodies fail with this error after this many bytes. */
  failReadAfter: { bytes: number; error: Error } | undefined
  /** False: like a server that cannot set times (a write keeps its own time, setModified refuses). */
  keepsTimes = true
  /** Read bodies destroyed before their end (client went away). */
  readonly destroyedBodies: Readable[] = []
  private readonly nodes = new Map<RelPath, Node>([['', { type: 'dir', modified: new Date(0) }]])
  private readonly faults = new Map<keyof FileService, Error>()
  private clock = Date.UTC(2024, 0, 2, 3, 4, 5)

  /** Adds a file (and its parents). */
  putFile(path: RelPath, data: string | Buffer, modified?: Date): void {
    this.ensureDirs(parentOf(path))
    this.nodes.set(path, { type: 'file', data: Buffer.from(data), modified: modified ?? this.tick() })
  }

  /** Adds a directory (and its parents). */
  putDir(path: RelPath): void {
    this.ensureDirs(path)
  }

  /** The content of a file, or undefined. */
  content(path: RelPath): Buffer | undefined {
    const n = this.nodes.get(path)
    return n?.type === 'file' ? n.data : undefined
  }

  /** True when something exists at path. */
  exists(path: RelPath): boolean {
    return this.nodes.has(path)
  }

  /** Makes the next call of `method` throw `error`. */
  failNext(method: keyof FileService, error: Error): void {
    this.faults.set(method, error)
  }

  /** Calls of one method (or all). */
  callsOf(method?: keyof FileService): Call[] {
    return method === undefined ? this.calls : this.calls.filter((c) => c.method === method)
  }

  private tick(): Date {
    this.clock += 1000
    return new Date(this.clock)
  }

  private ensureDirs(path: RelPath): void {
    if (path === '') return
    this.ensureDirs(parentOf(path))
    if (!this.nodes.has(path)) this.nodes.set(path, { type: 'dir', modified: this.tick() })
  }

  private record(method: keyof FileService, path: RelPath, ...args: unknown[]): void {
    this.calls.push({ method, path, args })
    const fault = this.faults.get(method)
    if (fault !== undefined) {
      this.faults.delete(method)
      throw fault
    }
  }

  private node(path: RelPath): Node {
    const n = this.nodes.get(path)
    if (n === undefined) throw new FileError('FILE_ERR_NOT_FOUND', `Not found: ${path}`)
    return n
  }

  private statOf(path: RelPath, n: Node): FileStat {
    const size = n.type === 'file' ? n.data.length : undefined
    const etag = `"${n.type === 'file' ? 'f' : 'd'}${size ?? 0}-${n.modified.getTime().toString(16)}"`
    return {
      path,
      name: path.slice(path.lastIndexOf('/') + 1),
      type: n.type,
      size,
      modified: n.modified,
      etag,
    }
  }

  private children(dir: RelPath): RelPath[] {
    const prefix = dir === '' ? '' : `${dir}/`
    return [...this.nodes.keys()]
      .filter((p) => p !== '' && p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
      .sort()
  }

  private parentMustBeDir(path: RelPath): void {
    const parent = this.nodes.get(parentOf(path))
    if (parent?.type !== 'dir')
      throw new FileError('FILE_ERR_CONFLICT', 'Parent directory missing', { reason: 'parent-missing' })
  }

  async stat(_who: Identity, path: RelPath): Promise<FileStat> {
    this.record('stat', path)
    return this.statOf(path, this.node(path))
  }

  async list(_who: Identity, path: RelPath, options: ListOptions = {}): Promise<ListPage> {
    this.record('list', path, options)
    const n = this.node(path)
    if (n.type !== 'dir')
      throw new FileError('FILE_ERR_CONFLICT', 'This is a file, not a folder.', { reason: 'not-a-directory' })
    // The real order, filter and paging rules, over this fake's entries.
    return pageOf(
      path,
      this.children(path).map((p) => this.statOf(p, this.node(p))),
      options,
    )
  }

  async read(
    _who: Identity,
    path: RelPath,
    options: { range?: { start?: number; end?: number } } = {},
  ): Promise<ReadResult> {
    this.record('read', path, options)
    const n = this.node(path)
    if (n.type !== 'file')
      throw new FileError('FILE_ERR_CONFLICT', 'This is a folder, not a file.', { reason: 'is-directory' })
    const size = n.data.length
    let range: ReadResult['range']
    if (options.range !== undefined) {
      const start = options.range.start ?? 0
      const end = Math.min(options.range.end ?? size - 1, size - 1)
      if (start >= size || end < start) throw new FileError('FILE_ERR_RANGE', 'Unsatisfiable', { size })
      range = { start, end }
    }
    const slice = range === undefined ? n.data : n.data.subarray(range.start, range.end + 1)
    return { stat: this.statOf(path, n), range, body: this.bodyOf(slice) }
  }

  private bodyOf(data: Buffer): Readable {
    const chunk = this.chunkSize
    const fail = this.failReadAfter
    let offset = 0
    const body = new Readable({
      read() {
        // Asynchronous, like a socket: headers go out before a mid-body failure.
        setTimeout(() => {
          if (fail !== undefined && offset >= fail.bytes) {
            body.destroy(fail.error)
            return
          }
          if (offset >= data.length) {
            body.push(null)
            return
          }
          const end = Math.min(
            offset + chunk,
            data.length,
            fail === undefined ? Number.POSITIVE_INFINITY : fail.bytes,
          )
          body.push(data.subarray(offset, end))
          offset = end
        }, 1)
      },
    })
    body.on('close', () => {
      if (!body.readableEnded) this.destroyedBodies.push(body)
    })
    return body
  }

  async write(
    _who: Identity,
    path: RelPath,
    body: Readable,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    this.record('write', path, options)
    const existing = this.nodes.get(path)
    if (existing?.type === 'dir')
      throw new FileError('FILE_ERR_CONFLICT', 'A directory is in the way', { reason: 'is-directory' })
    this.parentMustBeDir(path)
    if (options.ifNoneMatch === '*' && existing !== undefined)
      throw new FileError('FILE_ERR_PRECONDITION', 'Exists (If-None-Match: *)')
    if (options.ifMatch !== undefined) {
      if (existing === undefined) throw new FileError('FILE_ERR_PRECONDITION', 'No current file')
      if (options.ifMatch !== '*' && options.ifMatch !== this.statOf(path, existing).etag) {
        throw new FileError('FILE_ERR_PRECONDITION', 'ETag differs')
      }
    }
    const hash = options.digest === undefined ? undefined : createHash(DIGESTS[options.digest.algorithm])
    const chunks: Buffer[] = []
    for await (const c of body) {
      const b = Buffer.isBuffer(c) ? c : Buffer.from(c as string)
      hash?.update(b)
      chunks.push(b)
    }
    const data = Buffer.concat(chunks)
    if (options.expectedLength !== undefined && data.length < options.expectedLength) {
      throw new FileError('FILE_ERR_INCOMPLETE_BODY', 'Body shorter than Content-Length')
    }
    if (hash !== undefined && hash.digest('base64') !== options.digest?.base64) {
      throw new FileError('FILE_ERR_DIGEST_MISMATCH', 'Digest mismatch')
    }
    const kept = options.mtime !== undefined && this.keepsTimes
    const node: Node = { type: 'file', data, modified: kept ? (options.mtime as Date) : this.tick() }
    this.nodes.set(path, node)
    const result: WriteResult = { created: existing === undefined, stat: this.statOf(path, node) }
    return options.mtime === undefined ? result : { ...result, mtimeApplied: kept }
  }

  async mkdir(_who: Identity, path: RelPath, options: { parents?: boolean } = {}): Promise<FileStat> {
    this.record('mkdir', path, options)
    const existing = this.nodes.get(path)
    if (existing !== undefined) {
      if (existing.type === 'dir' && options.parents === true) return this.statOf(path, existing)
      throw new FileError('FILE_ERR_EXISTS', 'Exists')
    }
    if (options.parents === true) this.ensureDirs(parentOf(path))
    else this.parentMustBeDir(path)
    const node: Node = { type: 'dir', modified: this.tick() }
    this.nodes.set(path, node)
    return this.statOf(path, node)
  }

  /** Partial uploads' bytes by temporary path (never listed, like the real service's hidden files). */
  readonly partials = new Map<RelPath, Buffer>()

  async beginPartial(
    who: Identity,
    path: RelPath,
    options: Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'> = {},
  ): Promise<PartialUpload> {
    this.record('beginPartial', path, options)
    const existing = this.nodes.get(path)
    if (existing?.type === 'dir')
      throw new FileError('FILE_ERR_CONFLICT', 'A directory is in the way', { reason: 'is-directory' })
    this.parentMustBeDir(path)
    if (options.ifNoneMatch === '*' && existing !== undefined)
      throw new FileError('FILE_ERR_EXISTS', 'Exists')
    if (options.ifMatch !== undefined && existing === undefined)
      throw new FileError('FILE_ERR_PRECONDITION', 'No current file')
    void who
    const temp = `${parentOf(path) === '' ? '' : `${parentOf(path)}/`}.${path.split('/').pop()}.ftpgw-${'0'.repeat(12)}.part`
    this.partials.set(temp, Buffer.alloc(0))
    return { path, temp, method: 'append' }
  }

  async partialSize(_who: Identity, partial: PartialUpload): Promise<number> {
    this.record('partialSize', partial.path)
    const data = this.partials.get(partial.temp)
    if (data === undefined) throw new FileError('FILE_ERR_NOT_FOUND', 'No partial upload')
    return data.length
  }

  async appendPartial(
    _who: Identity,
    partial: PartialUpload,
    offset: number,
    body: Readable,
    options: PartialAppendOptions,
  ): Promise<number> {
    this.record('appendPartial', partial.path, offset)
    const data = this.partials.get(partial.temp)
    if (data === undefined) throw new FileError('FILE_ERR_NOT_FOUND', 'No partial upload')
    if (options.rewrite ? data.length < offset : data.length !== offset)
      throw new FileError('FILE_ERR_CONFLICT', 'Offset mismatch', {
        reason: 'offset-mismatch',
        size: data.length,
      })
    let written = 0
    let next = data.subarray(0, offset)
    for await (const c of body) {
      const b = Buffer.isBuffer(c) ? c : Buffer.from(c as string)
      if (written + b.length > options.maxBytes) throw new FileError('FILE_ERR_BAD_REQUEST', 'Too long')
      options.onChunk?.(b)
      written += b.length
      next = Buffer.concat([next, b])
      this.partials.set(
        partial.temp,
        options.rewrite ? Buffer.concat([next, data.subarray(next.length)]) : next,
      )
    }
    return written
  }

  async commitPartial(
    _who: Identity,
    partial: PartialUpload,
    options: Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'> = {},
  ): Promise<WriteResult> {
    this.record('commitPartial', partial.path, options)
    const data = this.partials.get(partial.temp)
    if (data === undefined) throw new FileError('FILE_ERR_NOT_FOUND', 'No partial upload')
    const existing = this.nodes.get(partial.path)
    if (options.ifNoneMatch === '*' && existing !== undefined)
      throw new FileError('FILE_ERR_EXISTS', 'Exists')
    this.partials.delete(partial.temp)
    const node: Node = { type: 'file', data, modified: this.tick() }
    this.nodes.set(partial.path, node)
    return { created: existing === undefined, stat: this.statOf(partial.path, node) }
  }

  async abortPartial(_who: Identity, partial: PartialUpload): Promise<void> {
    this.record('abortPartial', partial.path)
    this.partials.delete(partial.temp)
  }

  async delete(_who: Identity, path: RelPath): Promise<void> {
    this.record('delete', path)
    if (this.node(path).type !== 'file')
      throw new FileError('FILE_ERR_CONFLICT', 'This is a folder, not a file.', { reason: 'is-directory' })
    this.nodes.delete(path)
  }

  async rmdir(_who: Identity, path: RelPath, options: { recursive?: boolean } = {}): Promise<void> {
    this.record('rmdir', path, options)
    if (this.node(path).type !== 'dir')
      throw new FileError('FILE_ERR_CONFLICT', 'This is a file, not a folder.', { reason: 'not-a-directory' })
    const inside = [...this.nodes.keys()].filter((p) => p.startsWith(`${path}/`))
    if (inside.length > 0 && options.recursive !== true)
      throw new FileError('FILE_ERR_NOT_EMPTY', 'Not empty')
    for (const p of [...inside, path]) this.nodes.delete(p)
  }

  private transfer(
    from: RelPath,
    to: RelPath,
    overwrite: boolean,
    keepSource: boolean,
  ): { replaced: boolean } {
    // The real service's rule: an overlap is refused before anything else is looked at.
    assertSeparate(from, to)
    this.node(from)
    const replaced = this.nodes.has(to)
    if (replaced && !overwrite) throw new FileError('FILE_ERR_EXISTS', 'Target exists', { argument: 'to' })
    const parent = this.nodes.get(parentOf(to))
    if (parent?.type !== 'dir')
      throw new FileError('FILE_ERR_CONFLICT', 'Target folder missing', {
        reason: 'parent-missing',
        argument: 'to',
      })
    for (const p of [...this.nodes.keys()].filter((k) => k === to || k.startsWith(`${to}/`)))
      this.nodes.delete(p)
    const moved = [...this.nodes.entries()].filter(([k]) => k === from || k.startsWith(`${from}/`))
    for (const [k, n] of moved) {
      this.nodes.set(to + k.slice(from.length), n)
      if (!keepSource) this.nodes.delete(k)
    }
    return { replaced }
  }

  async move(_who: Identity, from: RelPath, to: RelPath, options: { overwrite?: boolean } = {}) {
    this.record('move', from, to, options)
    return this.transfer(from, to, options.overwrite === true, false)
  }

  async copy(
    _who: Identity,
    from: RelPath,
    to: RelPath,
    options: { overwrite?: boolean; depth?: 0 | 'infinity' } = {},
  ) {
    this.record('copy', from, to, options)
    return this.transfer(from, to, options.overwrite === true, true)
  }

  async setModified(_who: Identity, path: RelPath, time: Date): Promise<void> {
    this.record('setModified', path, time)
    const n = this.node(path)
    if (!this.keepsTimes) throw new FileError('FILE_ERR_NOT_SUPPORTED', 'No way to set times')
    n.modified = time
  }

  async verifyLogin(_who: Identity): Promise<void> {
    this.record('verifyLogin', '')
  }
}
