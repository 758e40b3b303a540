/**
 * The FTP side of resumable uploads (FileService.beginPartial … abortPartial): how bytes are added
 * to a hidden temporary file on servers that append (APPE) and on servers that only restart a STOR
 * at an offset (REST + STOR), and how the offset is checked before each write. The file service
 * runs these on one pooled session; nothing here keeps state between calls, so any instance can
 * continue an upload another one began.
 */
import { Readable } from 'node:stream'
import { type FtpSession, isFtpError } from '../ftp/index.js'
import { FileError } from './errors.js'
import type { PartialAppendOptions, PartialUpload } from './types.js'

/** What a partial-upload step needs from the file service: the session and server paths. */
export interface PartialContext {
  session: FtpSession
  /** The absolute server path of a relative path. */
  serverPath(rel: string): string
}

/** The names uploads and copies use while they are unfinished: `.name.ftpgw-<12 hex>.part`. */
const HIDDEN_TEMP = /^\..*\.ftpgw-[0-9a-f]{12}\.part$/s

/** True for a temporary name of an unfinished upload or copy: never shown in listings. */
export function isHiddenTempName(name: string): boolean {
  return HIDDEN_TEMP.test(name)
}

/**
 * Decides how this server adds bytes to a file: an empty APPE onto the (just created, empty)
 * temporary file tells whether APPE works; where it is refused as not implemented, a server that
 * advertises REST STREAM is written with REST + STOR. Anything else is FILE_ERR_NOT_SUPPORTED,
 * naming why, so a client can fall back to a plain upload.
 */
export async function probeAppendMethod(ctx: PartialContext, temp: string): Promise<PartialUpload['method']> {
  try {
    await ctx.session.upload(ctx.serverPath(temp), Readable.from([]), { append: true })
    return 'append'
  } catch (err) {
    if (!isFtpError(err, 'unsupported')) throw err
    if (ctx.session.features.rest) return 'restart'
    throw new FileError(
      'FILE_ERR_NOT_SUPPORTED',
      'The FTP server can neither append to a file (APPE) nor restart an upload at an offset (REST STREAM): resumable uploads are not possible, use a plain PUT',
      { cause: err },
    )
  }
}

/** The size of the temporary file (SIZE on the server, never a cached stat). */
export async function sizeOf(ctx: PartialContext, partial: PartialUpload): Promise<number> {
  const size = await ctx.session.size(ctx.serverPath(partial.temp))
  if (!Number.isSafeInteger(size) || size < 0)
    throw new FileError('FILE_ERR_UPSTREAM', 'The FTP server answered SIZE with something that is not a size')
  return size
}

/**
 * Checks the offset against SIZE, then streams `body` onto the temporary file: APPE, or REST
 * offset + STOR (also for a rewrite over refused bytes). Returns the bytes written. A body longer
 * than `maxBytes` fails before its excess is written.
 */
export async function appendTo(
  ctx: PartialContext,
  partial: PartialUpload,
  offset: number,
  body: Readable,
  options: PartialAppendOptions & { releaseChunks: boolean },
): Promise<number> {
  const size = await sizeOf(ctx, partial)
  const fits = options.rewrite ? size >= offset : size === offset
  if (!fits) {
    // Nothing is written: the client asks (HEAD) where to go on from.
    throw new FileError(
      'FILE_ERR_CONFLICT',
      `Upload-Offset ${offset} does not match the ${size} bytes received`,
      {
        reason: 'offset-mismatch',
        size,
      },
    )
  }
  const restart = partial.method === 'restart' || (options.rewrite === true && size > offset)
  if (restart && !ctx.session.features.rest && offset > 0)
    throw new FileError(
      'FILE_ERR_NOT_SUPPORTED',
      'The FTP server cannot restart an upload at an offset (REST)',
    )
  let written = 0
  let tooLong = false
  body.on('error', () => undefined)
  try {
    await ctx.session.upload(ctx.serverPath(partial.temp), body, {
      // An append to an empty file is a STOR either way; REST 0 is never sent.
      append: !restart,
      offset: restart ? offset : undefined,
      releaseChunks: options.releaseChunks,
      onChunk: (chunk) => {
        if (written + chunk.length > options.maxBytes) {
          tooLong = true
          throw new FileError('FILE_ERR_BAD_REQUEST', 'The body runs past Upload-Length')
        }
        options.onChunk?.(chunk)
        written += chunk.length
      },
    })
  } catch (err) {
    if (tooLong)
      throw new FileError('FILE_ERR_BAD_REQUEST', 'The body runs past Upload-Length', { cause: err })
    throw err
  }
  return written
}
