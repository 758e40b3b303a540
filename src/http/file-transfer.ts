/**
 * The one download path and the one upload path of the HTTP faces. REST (`rest/files.ts`) and
 * WebDAV (`webdav/get-put.ts`) both run a GET/HEAD and a PUT through here, so the rules between the
 * request headers and the file service are written once: validators, conditional requests,
 * Range/If-Range, the user-content headers, 206/Content-Range, small files as one write, the
 * client-left check, and the upload headers (length, preconditions, digest, X-OC-Mtime). Each face
 * keeps its own framing: how it stats, what a directory is, how errors are answered, which status an
 * upload gets, and how bytes reach its response (a `TransferSink`, file-transfer-sinks.ts).
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { isFileError } from '../files/errors.js'
import type { FileService, FileStat, Identity, RelPath, WriteOptions, WriteResult } from '../files/types.js'
import {
  evaluateRead,
  formatEtag,
  ifRangeMatches,
  parseRange,
  type RangeRequest,
  resolveRange,
} from './conditional.js'
import { parseContentLength, parseDigest, parseMtime, parseWritePreconditions } from './upload-headers.js'
import { userContentHeaders } from './user-content.js'

/**
 * Where a transfer's answer goes: the face's response, seen through three operations. Status and
 * headers are the transfer's; what `send` does with a body (Fastify's reply, a pipeline into a raw
 * response) is the face's.
 */
export interface TransferSink {
  /** Sets one response header. */
  header(name: string, value: string | number): void
  /**
   * Sends the status, the headers and the body: none, bytes already in memory (one write), or a
   * stream. A stream that fails after the headers went out must leave the client a broken
   * transfer, never a clean end; a client that leaves must get the stream destroyed.
   */
  send(status: number, body?: Buffer | Readable): void | Promise<void>
  /** True once the client has gone (request or response destroyed). */
  gone(): boolean
}

/** One header as a single string (repeated headers joined, as HTTP allows for lists). */
function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

/** Sets the validators of a file (ETag, and Last-Modified when the server gave a time). */
function setValidators(sink: Pick<TransferSink, 'header'>, stat: FileStat): void {
  sink.header('etag', formatEtag(stat.etag))
  if (stat.modified !== undefined) sink.header('last-modified', stat.modified.toUTCString())
}

/** A download request as both faces see it. */
export interface DownloadRequest {
  who: Identity
  path: RelPath
  /** GET sends the body; anything else (HEAD) only the headers. */
  method: string
  headers: IncomingHttpHeaders
  /** Content-Disposition: attachment whatever the type (REST's `?download=1`). */
  attachment?: boolean | undefined
  /**
   * How the face stats the path (WebDAV answers Apple's probe files from the listing); `fresh`
   * asks the server rather than a cache (before a 412).
   */
  stat: (options?: { fresh?: boolean }) => Promise<FileStat>
  /** What a directory at the path is: REST refuses it, WebDAV shows an index page. */
  directory: (stat: FileStat) => Promise<void>
}

/**
 * GET or HEAD of one file. Errors before the headers went out (a malformed Range, a missing file,
 * an unsatisfiable range) are thrown for the face to answer in its own way.
 */
export async function download(files: FileService, req: DownloadRequest, sink: TransferSink): Promise<void> {
  const isGet = req.method === 'GET'
  // Malformed ranges are refused before any file operation (RFC 9110 lets HEAD ignore Range).
  const range: RangeRequest = isGet ? parseRange(headerOf(req.headers, 'range')) : { kind: 'none' }
  let stat = await req.stat()
  let verdict: ReturnType<typeof evaluateRead> | undefined
  if (stat.type !== 'dir') {
    try {
      verdict = evaluateRead(req.headers, stat)
    } catch (err) {
      // The stat may be a cached one that another FTP client made stale: a 412 is the server's word.
      if (!isFileError(err, 'FILE_ERR_PRECONDITION')) throw err
      stat = await req.stat({ fresh: true })
      if (stat.type !== 'dir') verdict = evaluateRead(req.headers, stat)
    }
  }
  if (stat.type === 'dir') return req.directory(stat)
  setValidators(sink, stat)
  if (verdict === 'not-modified') return sink.send(304)
  const wanted = ifRangeMatches(headerOf(req.headers, 'if-range'), stat)
    ? resolveRange(range, stat.size)
    : undefined
  sink.header('accept-ranges', 'bytes')
  // Sandboxed, nosniff, attachment for active types (user-content.ts): a file never scripts this origin.
  const content = userContentHeaders(stat.name, { download: req.attachment === true })
  for (const [name, value] of Object.entries(content)) sink.header(name, value)
  if (!isGet) {
    // HEAD never opens a transfer: the stat has everything the headers need.
    if (stat.size !== undefined) sink.header('content-length', stat.size)
    return sink.send(200)
  }
  const result = await files.read(req.who, req.path, wanted === undefined ? {} : { range: wanted })
  if (sink.gone()) {
    // The client left while the transfer was being opened: nobody would read it.
    result.body.destroy()
    return
  }
  setValidators(sink, result.stat)
  const size = result.stat.size
  let status = 200
  if (result.range !== undefined) {
    const { start, end } = result.range
    status = 206
    sink.header('content-range', `bytes ${start}-${end}/${size ?? '*'}`)
    sink.header('content-length', end - start + 1)
  } else if (size !== undefined) sink.header('content-length', size)
  // A small file already in memory goes out as one write; anything else streams.
  return sink.send(status, result.bytes ?? result.body)
}

/** An upload request as both faces see it. */
export interface UploadRequest {
  who: Identity
  path: RelPath
  headers: IncomingHttpHeaders
  /** The request body, streamed straight into the file service. */
  body: Readable
  /** REST's `?mtime=` (the X-OC-Mtime header wins). */
  mtimeQuery?: string | undefined
  /**
   * Accept X-Expected-Entity-Length when Content-Length is absent (WebDAV: Finder streams chunked
   * bodies and declares the length there).
   */
  expectedEntityLength?: boolean | undefined
  /** Runs once every header is parsed and before the upstream is touched (WebDAV's lock check). */
  beforeWrite?: (() => void) | undefined
}

/**
 * Parses the upload headers (each malformed one refused with 400 before anything touches the
 * upstream) into write options; `mtimeSent` says whether X-OC-Mtime was given and accepted.
 */
export function uploadOptions(req: UploadRequest): { options: WriteOptions; mtimeSent: boolean } {
  const mtimeHeader = headerOf(req.headers, 'x-oc-mtime')
  // ownCloud/Nextcloud clients send the file's time as X-OC-Mtime.
  const mtime = parseMtime(mtimeHeader, req.mtimeQuery)
  const pre = parseWritePreconditions(
    headerOf(req.headers, 'if-match'),
    headerOf(req.headers, 'if-none-match'),
  )
  const digest = parseDigest(headerOf(req.headers, 'repr-digest'), headerOf(req.headers, 'content-md5'))
  const declared =
    parseContentLength(headerOf(req.headers, 'content-length')) ??
    (req.expectedEntityLength === true
      ? parseContentLength(headerOf(req.headers, 'x-expected-entity-length'))
      : undefined)
  const options: WriteOptions = {
    ...pre,
    ...(digest === undefined ? {} : { digest }),
    ...(mtime === undefined ? {} : { mtime }),
    ...(declared === undefined ? {} : { expectedLength: declared }),
  }
  return { options, mtimeSent: mtime !== undefined && mtimeHeader !== undefined }
}

/**
 * PUT of one file: parses the headers, writes atomically, and sets the ETag (and X-OC-MTime:
 * accepted when the client sent one and the server kept it). The face picks the status (201/204) and the body.
 */
export async function upload(
  files: FileService,
  req: UploadRequest,
  sink: Pick<TransferSink, 'header'>,
): Promise<WriteResult> {
  const { options, mtimeSent } = uploadOptions(req)
  req.beforeWrite?.()
  const result = await files.write(req.who, req.path, req.body, options)
  sink.header('etag', formatEtag(result.stat.etag))
  // Only a time the server really kept: a client told "accepted" does not send it again.
  if (mtimeSent && result.mtimeApplied === true) sink.header('x-oc-mtime', 'accepted')
  return result
}
