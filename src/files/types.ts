import type { Readable } from 'node:stream'

/**
 * Who is asking. Every file operation runs as an identity: the FTP login it maps to. The pool
 * keys sessions by `key` (user name plus a hash of the password), never by the password itself.
 */
export interface Identity {
  user: string
  password: string
  /** Stable pool and cache key: `user:HMAC(password)` with a per-process key; made by `identityOf`. */
  key: string
  /**
   * The person the request acts for, as the gateway authenticated them: the FTP user with Basic
   * passthrough, the htpasswd (or token) user in service-account mode. Locks, audit lines and
   * ownership checks name this, never the shared FTP account.
   */
  principal: string
  /**
   * Groups of the principal, for mount rules (`group:NAME`); set by identity providers that know
   * them, absent otherwise.
   */
  groups?: readonly string[] | undefined
}

/** A path relative to the gateway root, normalised: no leading or trailing '/', '' for the root. */
export type RelPath = string

/** Metadata of one file or directory, as both HTTP faces show it. */
export interface FileStat {
  /** Relative path ('' for the root). */
  path: RelPath
  name: string
  type: 'file' | 'dir' | 'symlink' | 'unknown'
  /** Bytes; undefined for directories or when the server did not say. */
  size: number | undefined
  modified: Date | undefined
  /** Strong validator built from size, time and (where offered) the server's unique fact. */
  etag: string
  /**
   * Whether the logged-in FTP user may change this entry, when the server says so (MLSx `perm`
   * facts); absent when it does not (LIST, vsftpd): then only trying tells.
   */
  writable?: boolean
}

/** One page of a directory listing. */
export interface ListPage {
  path: RelPath
  entries: FileStat[]
  /** Opaque cursor for the next page; null on the last page. */
  next: string | null
}

/** A byte range, already validated against the file size (inclusive end). */
export interface ByteRange {
  start: number
  end: number
}

/** An open download: metadata first (for headers), then the body stream. */
export interface ReadResult {
  stat: FileStat
  /** The range actually served, when one was asked for. */
  range: ByteRange | undefined
  /** Streams exactly the file or the range; errors (never ends cleanly) when the transfer fails. */
  body: Readable
  /** The same bytes as `body` when they are already in memory (a small file): send them as is. */
  bytes?: Buffer | undefined
}

/** A requested byte range before it is checked against the size (see FileService.read). */
export interface RangeSpec {
  start?: number
  end?: number
}

/** Options of a write. */
export interface WriteOptions {
  /** Only replace when the current ETag matches (If-Match); '*' means "must exist". */
  ifMatch?: string | undefined
  /** '*' means "must not exist" (If-None-Match: *). */
  ifNoneMatch?: string | undefined
  /** Expected digest of the body, checked while streaming; the file is not put in place on mismatch. */
  digest?: { algorithm: 'md5' | 'sha-256' | 'sha-512'; base64: string } | undefined
  /** Modification time to set after the upload. */
  mtime?: Date | undefined
  /** Declared Content-Length, when known (a body ending early is then an error). */
  expectedLength?: number | undefined
}

/** What a write did. */
export interface WriteResult {
  created: boolean
  stat: FileStat
}

/** The one set of file operations both HTTP faces use. Errors are FileErrors (files/errors.ts). */
export interface FileService {
  stat(who: Identity, path: RelPath): Promise<FileStat>
  /** A page of a directory, sorted by name; `cursor` comes from the previous page's `next`. */
  list(who: Identity, path: RelPath, options?: { limit?: number; cursor?: string }): Promise<ListPage>
  /**
   * Opens a download; `range` is validated here (416 when unsatisfiable). `range` is inclusive:
   * `{ start, end }` for `bytes=start-end`, `{ start }` for `bytes=start-`, and `{ end: n }` with no
   * start for the suffix `bytes=-n` (the last n bytes). An end past the file's end is clamped.
   */
  read(who: Identity, path: RelPath, options?: { range?: RangeSpec }): Promise<ReadResult>
  /** Streams `body` to a temporary name and renames it into place only when complete. */
  write(who: Identity, path: RelPath, body: Readable, options?: WriteOptions): Promise<WriteResult>
  mkdir(who: Identity, path: RelPath, options?: { parents?: boolean }): Promise<FileStat>
  /** Deletes a file. */
  delete(who: Identity, path: RelPath): Promise<void>
  rmdir(who: Identity, path: RelPath, options?: { recursive?: boolean }): Promise<void>
  /** Moves a file or directory; with overwrite false an existing target is a conflict. Returns whether the target existed. */
  move(
    who: Identity,
    from: RelPath,
    to: RelPath,
    options?: { overwrite?: boolean },
  ): Promise<{ replaced: boolean }>
  /** Copies through the gateway (FTP has no server-side copy); directories recursively unless depth is 0. */
  copy(
    who: Identity,
    from: RelPath,
    to: RelPath,
    options?: { overwrite?: boolean; depth?: 0 | 'infinity' },
  ): Promise<{ replaced: boolean }>
  /** Sets a modification time. */
  setModified(who: Identity, path: RelPath, time: Date): Promise<void>
  /**
   * Refuses, without any I/O, a change the gateway's own rules forbid at `path` (a read-only
   * mount, no write rule for `who`, a hidden mount): faces call it before work that would reach
   * the server first (WebDAV's library stats a resource before it creates it). Optional: a
   * service without such rules has nothing to refuse.
   */
  assertMayChange?(who: Identity, path: RelPath): void
  /** Checks credentials with an FTP login (or a pooled session already verified for them). */
  verifyLogin(who: Identity): Promise<void>
}
