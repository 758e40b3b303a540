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
  /**
   * How the gateway authenticated the person: Basic credentials, an API token, a Bearer JWT from
   * the OpenID provider, the browse page's session cookie, or a session from the OpenID sign-in
   * (`oidc`, whichever way its token arrives). For `/api/v1/me` and audit lines.
   */
  method?: 'basic' | 'token' | 'jwt' | 'cookie' | 'oidc' | 'app-password' | undefined
  /**
   * True when `user` and `password` are no FTP login (a JWT names a person only): such an identity
   * reaches only upstreams with a service account, and is refused (403) on the others, never tried
   * as a login there.
   */
  noFtpLogin?: true | undefined
  /**
   * The person's own FTP accounts on `mapped` upstreams, by upstream name (auth/linked-accounts.ts
   * loads them from the store when the request is authenticated); an upstream absent here is not
   * linked (403 AUTH_ERR_NOT_LINKED there).
   */
  linked?: ReadonlyMap<string, Identity> | undefined
  /** The store could not be read for `linked`: mapped upstreams answer 503, not 403. */
  linkedUnavailable?: true | undefined
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
  /** Entries in the whole folder after the filter (all pages together). */
  total: number
  /** Position of this page's first entry in the whole sorted, filtered folder (0-based). */
  offset: number
  /**
   * The server the folder lives on (its `upstreams.<name>`), when the service fronts several;
   * absent for a folder that only holds mounts.
   */
  upstream?: string | undefined
}

/** What a listing is sorted by: the name (natural order), size, modification time or extension. */
export type ListSort = 'name' | 'size' | 'modified' | 'type'
/** Sort direction. Folders come first in both. */
export type SortOrder = 'asc' | 'desc'

/**
 * Options of a listing. The whole folder is filtered and sorted before a page is cut, so every page
 * continues the previous one in the same order (files/listing-order.ts).
 */
export interface ListOptions {
  /** Entries per page, 1-10,000 (default 1,000). */
  limit?: number
  /**
   * The previous page's `next`. It carries the sort, order and filter it was made under: leave them
   * out to continue, or repeat them; different ones are a bad request.
   */
  cursor?: string
  /** Start at this position instead of a cursor (page numbers); ignored with a cursor. */
  offset?: number
  /** Default `name`: natural order ("file2" before "file10"), case folded, folders first. */
  sort?: ListSort
  /** Default `asc`. */
  order?: SortOrder
  /** Keep only names containing this text, case-insensitively (at most 255 characters). */
  q?: string
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
  /**
   * When `mtime` was asked for: whether the server kept it (a time-setting command succeeded and
   * the file's fresh stat shows that second). X-OC-MTime: accepted is answered only when true.
   */
  mtimeApplied?: boolean
}

/**
 * A resumable upload's bytes on the server until it completes: a hidden temporary file beside the
 * destination (`.name.ftpgw-<hex>.part`, never listed), grown by appends and renamed into place by
 * `commitPartial`. Plain data: callers keep it in their own state (the store) and hand it back, so
 * any instance can continue an upload another one began.
 */
export interface PartialUpload {
  /** The destination. */
  path: RelPath
  /** The hidden temporary file the bytes go to. */
  temp: RelPath
  /** How bytes are added: APPE, or REST + STOR where the server refuses APPE. */
  method: 'append' | 'restart'
}

/** Options of `appendPartial`. */
export interface PartialAppendOptions {
  /**
   * Most bytes the body may bring (the upload's remaining length). A longer body fails with
   * FILE_ERR_BAD_REQUEST after at most this many bytes were written.
   */
  maxBytes: number
  /**
   * Write from `offset` although the file may hold more (bytes past `offset` were refused, e.g. by
   * a checksum): REST + STOR over them instead of an append, and SIZE must be at least `offset`.
   */
  rewrite?: boolean | undefined
  /** Sees each chunk before it is written (a digest of the body, progress). */
  onChunk?: ((chunk: Buffer) => void) | undefined
}

/** The one set of file operations both HTTP faces use. Errors are FileErrors (files/errors.ts). */
export interface FileService {
  /**
   * Metadata of a path; may answer from a short-lived cache of what the server said (never a "not
   * found": a miss always asks the server). `fresh` asks the server in any case, for a caller
   * about to refuse a request on what the stat shows (a failed If-Match: the FTP server's other
   * clients may have changed the file since).
   */
  stat(who: Identity, path: RelPath, options?: { fresh?: boolean }): Promise<FileStat>
  /** A page of a directory, filtered and sorted over the whole folder (see ListOptions). */
  list(who: Identity, path: RelPath, options?: ListOptions): Promise<ListPage>
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
  /**
   * Sets a modification time; resolves only once the server shows it, else FILE_ERR_NOT_SUPPORTED
   * (the server has no way to set times, or did not keep it).
   */
  setModified(who: Identity, path: RelPath, time: Date): Promise<void>
  /**
   * Refuses, without any I/O, a change the gateway's own rules forbid at `path` (a read-only
   * mount, no write rule for `who`, a hidden mount): faces call it before work that would reach
   * the server first (WebDAV's library stats a resource before it creates it). Optional: a
   * service without such rules has nothing to refuse.
   */
  assertMayChange?(who: Identity, path: RelPath): void
  /**
   * Starts a resumable upload to `path`: checks what a write would (preconditions, not a folder,
   * the parent exists), creates the empty hidden temporary file and decides how bytes will be
   * added (APPE, else REST + STOR). FILE_ERR_NOT_SUPPORTED when the server can do neither.
   */
  beginPartial(
    who: Identity,
    path: RelPath,
    options?: Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'>,
  ): Promise<PartialUpload>
  /** The bytes the temporary file holds (SIZE, never cached); FILE_ERR_NOT_FOUND when it is gone. */
  partialSize(who: Identity, partial: PartialUpload): Promise<number>
  /**
   * Streams `body` onto the temporary file at `offset` and returns how many bytes were written.
   * The file's size is checked first (SIZE): when it is not `offset`, nothing is written and the
   * error is FILE_ERR_CONFLICT with reason 'offset-mismatch' and the actual size in `size`.
   */
  appendPartial(
    who: Identity,
    partial: PartialUpload,
    offset: number,
    body: Readable,
    options: PartialAppendOptions,
  ): Promise<number>
  /**
   * Renames the complete temporary file into place (the old file stays whole until then, as with
   * `write`), re-checking the preconditions against the destination as it is now.
   */
  commitPartial(
    who: Identity,
    partial: PartialUpload,
    options?: Pick<WriteOptions, 'ifMatch' | 'ifNoneMatch'>,
  ): Promise<WriteResult>
  /** Deletes the temporary file (already gone is fine). */
  abortPartial(who: Identity, partial: PartialUpload): Promise<void>
  /** Checks credentials with an FTP login (or a pooled session already verified for them). */
  verifyLogin(who: Identity): Promise<void>
}
