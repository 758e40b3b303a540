/**
 * The webdav-server FileSystem over the file service. The library's own MKCOL, DELETE and OPTIONS
 * run on it; every other method has a handler of ours. Lock enforcement is ours too: `isLocked`
 * asks whether the request submitted the tokens of every lock protecting the path (the library
 * compares users, which lets a second client with the same login through).
 */
import { Readable } from 'node:stream'
import { v2 } from 'webdav-server'
import { type FileErrorCode, isFileError } from '../../files/errors.js'
import type { RelPath } from '../../files/types.js'
import { assertUnlocked, type DavServices, type DavState, davState, sendError } from './context.js'
import { statForDav } from './propfind.js'

type Callback<T> = (error?: Error, value?: T) => void

// webdav-server maps errors to statuses by identity, and its MKCOL and DELETE read some of them
// with WebDAV meanings (an existing resource is 405 for MKCOL, a missing parent 409): these file
// errors become its singletons.
const ERRORS: Partial<Record<FileErrorCode, Error>> = {
  FILE_ERR_NOT_FOUND: v2.Errors.ResourceNotFound,
  FILE_ERR_EXISTS: v2.Errors.ResourceAlreadyExists,
  FILE_ERR_CONFLICT: v2.Errors.IntermediateResourceMissing,
  // A refused operation on an existing path is 403, never 401 (a 401 makes Windows prompt again).
  FILE_ERR_FORBIDDEN: v2.Errors.Forbidden,
  FILE_ERR_READ_ONLY: v2.Errors.Forbidden,
  FILE_ERR_STORAGE_FULL: v2.Errors.InsufficientStorage,
}

/** The library's singleton for a file error; InvalidOperation (500) when it has none. */
function libraryError(err: unknown): Error {
  return (isFileError(err) ? ERRORS[err.code] : undefined) ?? v2.Errors.InvalidOperation
}

/**
 * The error to hand webdav-server for a failed MKCOL or DELETE. One the library has no singleton
 * for (503 with Retry-After, 504, 502...) is answered here with the catalogue's status, as every
 * handler of ours answers it (context.ts sendError); the library then finds the response ended.
 * Not for `_type`: the library also calls it while setting up every request and ignores its errors.
 */
function operationError(ctx: v2.RequestContext, err: unknown): Error {
  const known = isFileError(err) ? ERRORS[err.code] : undefined
  if (known !== undefined) return known
  const res = (ctx as v2.HTTPRequestContext).response
  if (res) sendError(res, err)
  return v2.Errors.InvalidOperation
}

function relOf(path: v2.Path): RelPath {
  return path.paths.join('/')
}

/** The request state when the context is a real HTTP request (the library also makes fake ones). */
function stateOf(ctx: v2.RequestContext): DavState | undefined {
  const req = (ctx as v2.HTTPRequestContext).request
  return req ? davState(req) : undefined
}

/** The FileSystem webdav-server runs MKCOL, DELETE and OPTIONS on. */
export class GatewayFileSystem extends v2.FileSystem {
  constructor(private readonly svc: Pick<DavServices, 'files'>) {
    super(new v2.VirtualSerializer())
    this.doNotSerialize()
  }

  /** Locked unless the request submitted every protecting lock's token (membership and subtree included). */
  override isLocked(ctx: v2.RequestContext, path: v2.Path | string, ...rest: unknown[]): void {
    const callback = rest[rest.length - 1] as Callback<boolean>
    const st = stateOf(ctx)
    if (!st) {
      callback(undefined, false)
      return
    }
    try {
      assertUnlocked(st, relOf(new v2.Path(path)), { subtree: true, membership: true })
      callback(undefined, false)
    } catch {
      callback(undefined, true)
    }
  }

  protected _lockManager(_path: v2.Path, _ctx: unknown, callback: Callback<v2.ILockManager>): void {
    // Never consulted for decisions (isLocked is ours); the library only needs an object here.
    callback(undefined, new v2.LocalLockManager())
  }

  protected _propertyManager(_path: v2.Path, _ctx: unknown, callback: Callback<v2.IPropertyManager>): void {
    callback(undefined, new v2.LocalPropertyManager())
  }

  protected _type(path: v2.Path, ctx: v2.TypeInfo, callback: Callback<v2.ResourceType>): void {
    const rel = relOf(path)
    const st = stateOf(ctx.context)
    // The root, and the library's credential-less probe for the Allow header, never touch FTP.
    if (rel === '' || !st) {
      callback(undefined, v2.ResourceType.Directory)
      return
    }
    statForDav(this.svc.files, st.who, rel).then(
      (s) => callback(undefined, s.type === 'dir' ? v2.ResourceType.Directory : v2.ResourceType.File),
      (err: unknown) => callback(libraryError(err)),
    )
  }

  protected override _size(_path: v2.Path, _ctx: v2.SizeInfo, callback: Callback<number>): void {
    callback(undefined, 0)
  }

  protected override _create(path: v2.Path, ctx: v2.CreateInfo, callback: Callback<void>): void {
    const st = stateOf(ctx.context)
    if (!st) {
      callback(v2.Errors.Forbidden)
      return
    }
    const rel = relOf(path)
    const op = ctx.type.isDirectory
      ? this.svc.files.mkdir(st.who, rel)
      : this.svc.files.write(st.who, rel, Readable.from([]), { ifNoneMatch: '*' })
    op.then(
      () => callback(),
      // An existing directory is FILE_ERR_EXISTS ("already exists": 405 for MKCOL).
      (err: unknown) => callback(operationError(ctx.context, err)),
    )
  }

  protected override _delete(path: v2.Path, ctx: v2.DeleteInfo, callback: Callback<void>): void {
    const st = stateOf(ctx.context)
    if (!st) {
      callback(v2.Errors.Forbidden)
      return
    }
    const rel = relOf(path)
    if (rel === '') {
      callback(v2.Errors.Forbidden)
      return
    }
    const run = async () => {
      const stat = await this.svc.files.stat(st.who, rel)
      if (stat.type === 'dir') await this.svc.files.rmdir(st.who, rel, { recursive: true })
      else await this.svc.files.delete(st.who, rel)
      // Locks and dead properties (of the caller's scope) vanish with their resources.
      await st.svc.locks.removeWithin(rel)
      await st.svc.props.removeWithin(rel)
    }
    run().then(
      () => callback(),
      (err: unknown) => callback(operationError(ctx.context, err)),
    )
  }
}
