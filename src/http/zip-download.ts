/**
 * A folder, or some items of one folder, as a streamed zip download (issue 20). Shared by the faces
 * that offer zips: REST's `GET /api/v1/zip/{path}` for signed-in users, and share links, which call
 * `sendFolderZip` with the share creator's identity. Everything that can be refused is refused
 * before the headers go out: a bad selection (400, no FTP command), a path that is not a folder
 * (409), a missing or hidden one (404, from the tree's rules), a folder whose listed sizes exceed
 * ZIP_MAX_BYTES (413). After the headers, a failure ends the response as an error (the archive's
 * writer never writes the central directory then), never as a clean zip missing files.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { FileError } from '../files/errors.js'
import { MAX_NAME_BYTES, nameOf } from '../files/paths.js'
import type { FileService, Identity, RelPath } from '../files/types.js'
import { planZip } from '../files/zip/plan.js'
import { zipStream } from '../files/zip/writer.js'
import { type AuditLogger, auditOn } from './audit.js'
import { GatewayError } from './errors.js'
import type { TransferSink } from './file-transfer.js'
import { decodePercentStrict, displayPath } from './paths.js'
import { attachmentDisposition, USER_CONTENT_POLICY } from './user-content.js'

/** Most items one selection may name (a page of the listing at its largest). */
export const MAX_SELECTED = 10_000

/** The name of the download when the root is zipped (it has no name of its own). */
export const ROOT_ZIP_NAME = 'files.zip'

/**
 * The selected names of a raw query string (`name=a&name=b`; other parameters are the route's
 * business): each decoded exactly once like a path segment, and refused with 400 before any FTP
 * command when it could name anything but an item of the folder (empty, `.`, `..`, a '/' or a
 * backslash, control characters, over 255 bytes). Repeats count once. Undefined when no `name`
 * is given: the whole folder.
 */
export function parseSelection(rawQuery: string): string[] | undefined {
  const names: string[] = []
  for (const pair of rawQuery.split('&')) {
    const eq = pair.indexOf('=')
    const key = eq === -1 ? pair : pair.slice(0, eq)
    if (key !== 'name') continue
    // Form encoding: '+' is a space (a literal '+' comes as %2B).
    const name = decodePercentStrict((eq === -1 ? '' : pair.slice(eq + 1)).replaceAll('+', ' '))
    if (name === '' || name === '.' || name === '..')
      throw new FileError('FILE_ERR_BAD_PATH', 'A selected name is empty, "." or ".."')
    if (/[/\\]/.test(name)) throw new FileError('FILE_ERR_BAD_PATH', 'A selected name holds a "/" or "\\"')
    if (/[\u0000-\u001f\u007f]/.test(name))
      throw new FileError('FILE_ERR_BAD_PATH', 'A selected name holds a control character')
    if (Buffer.byteLength(name) > MAX_NAME_BYTES)
      throw new FileError('FILE_ERR_BAD_PATH', `A selected name is longer than ${MAX_NAME_BYTES} bytes`)
    if (!names.includes(name)) names.push(name)
    if (names.length > MAX_SELECTED)
      throw new GatewayError('GW_ERR_BAD_REQUEST', `At most ${MAX_SELECTED} items can be selected`)
  }
  return names.length === 0 ? undefined : names
}

/** The download's file name: the folder's name (or the one selected item's) and `.zip`. */
export function zipFileName(folder: RelPath, names?: readonly string[]): string {
  const base = names?.length === 1 ? names[0]! : nameOf(folder)
  return base === '' ? ROOT_ZIP_NAME : `${base}.zip`
}

/** What a zip download was asked for. */
export interface FolderZipRequest {
  /** Whose rights the files are read with (the caller, or a share's creator). */
  who: Identity
  /** The folder (a path in the gateway's tree). */
  folder: RelPath
  /** Items of the folder to zip instead of all of it (parseSelection). */
  names?: readonly string[] | undefined
  /** ZIP_MAX_BYTES (0: no cap). */
  maxBytes: number
  /** Where the audit line goes (a request's logger); absent: none written. */
  log?: AuditLogger | undefined
  /** The app's scope for the metrics (its store: several apps in one process count apart). */
  scope?: object | undefined
}

/** How a zip download ended. */
export interface FolderZipResult {
  outcome: 'success' | 'failure' | 'aborted'
  /** Bytes of the archive produced. */
  bytes: number
  /** Files written into it (folders not counted). */
  files: number
}

/** The channel zip downloads are reported on (metrics.ts subscribes). */
export const ZIP_EVENTS_CHANNEL = 'ftpgw:zips'
const channel = diagnosticsChannel.channel(ZIP_EVENTS_CHANNEL)

/** Subscribes to the zip downloads finished in `scope`; the returned function unsubscribes. */
export function onZipDownload(scope: object, handler: (result: FolderZipResult) => void): () => void {
  const listener = (message: unknown) => {
    const m = message as { scope: object; result: FolderZipResult }
    if (m.scope === scope) handler(m.result)
  }
  diagnosticsChannel.subscribe(ZIP_EVENTS_CHANNEL, listener)
  return () => {
    diagnosticsChannel.unsubscribe(ZIP_EVENTS_CHANNEL, listener)
  }
}

/**
 * Writes the zip of `req.folder` (or of `req.names` in it) to `sink` and resolves once the archive
 * ended, failed or was abandoned by the client. Throws, before any header, what can be refused
 * (the face answers it as a problem).
 */
export async function sendFolderZip(
  files: FileService,
  req: FolderZipRequest,
  sink: TransferSink,
): Promise<FolderZipResult> {
  const plan = await planZip(files, req.who, req.folder, { names: req.names, stopAbove: req.maxBytes })
  if (req.maxBytes > 0 && plan.totalBytes > req.maxBytes)
    throw new GatewayError(
      'GW_ERR_ZIP_TOO_LARGE',
      `The files add up to more than ${req.maxBytes} bytes (ZIP_MAX_BYTES); zip a smaller folder or fewer items`,
    )
  const output = zipStream(files, req.who, plan, { maxBytes: req.maxBytes })
  if (sink.gone()) output.stream.destroy()
  sink.header('content-type', 'application/zip')
  sink.header('content-disposition', attachmentDisposition(zipFileName(req.folder, req.names)))
  sink.header('content-security-policy', USER_CONTENT_POLICY)
  sink.header('cache-control', 'no-store')
  await sink.send(200, output.stream)
  const done = await output.done
  const result: FolderZipResult = {
    outcome: done.error !== undefined ? 'failure' : output.stream.readableEnded ? 'success' : 'aborted',
    bytes: done.bytes,
    files: done.files,
  }
  if (req.scope !== undefined && channel.hasSubscribers) channel.publish({ scope: req.scope, result })
  if (req.log !== undefined)
    auditOn(req.log, {
      action: 'zip',
      path: displayPath(req.folder),
      size: result.bytes,
      outcome: result.outcome,
      who: req.who,
      ...(done.error === undefined ? {} : { code: done.error.name }),
    })
  return result
}
