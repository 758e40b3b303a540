/**
 * The file service's modification times. The engine picks the server's way of setting one
 * (ftp/modtime.ts: MFMT, SITE UTIME, vsftpd's MDTM write form) and remembers what the server
 * refused; here a time counts as kept only when a fresh stat of the file shows it, because a
 * client is told so (X-OC-MTime: accepted, a PROPPATCH 200) and will not send it again.
 */
import { isFtpError } from '../ftp/index.js'
import { FileError } from './errors.js'
import { normalizeRelPath } from './paths.js'
import type { ServiceCore, Session } from './service-core.js'
import type { FileStat, Identity, RelPath } from './types.js'

/** Whether a stat shows `time` to the second (FTP times carry no milliseconds). */
export function showsTime(stat: Pick<FileStat, 'modified'>, time: Date): boolean {
  if (stat.modified === undefined) return false
  return Math.floor(stat.modified.getTime() / 1000) === Math.floor(time.getTime() / 1000)
}

/**
 * Tries to set `rel`'s time on session `s`; true when a command succeeded. A refusal is not an
 * error of the caller's (the file is written either way): it is logged and reported as false. A
 * failure that leaves the session unusable is thrown, as the caller cannot go on with it.
 */
export async function trySetModified(
  core: ServiceCore,
  s: Session,
  rel: RelPath,
  time: Date,
): Promise<boolean> {
  try {
    const form = await s.setModified(core.serverPath(s, rel), time)
    core.log?.debug?.({ path: rel, form }, 'modification time set')
    return true
  } catch (err) {
    if (!s.usable) throw err
    const level = isFtpError(err, 'unsupported') ? 'debug' : 'warn'
    core.log?.[level]?.({ path: rel, err: (err as Error).message }, 'modification time not set')
    return false
  }
}

/** FileService.setModified: sets the time and checks that the server shows it. */
export async function setModified(core: ServiceCore, who: Identity, raw: RelPath, time: Date): Promise<void> {
  const rel = normalizeRelPath(raw)
  await core.with(who, async (s) => {
    try {
      await s.setModified(core.serverPath(s, rel), time)
    } finally {
      await core.cache.invalidate([rel])
    }
    const stat = await core.statWith(who, s, rel, { fresh: true })
    if (stat.modified !== undefined && !showsTime(stat, time))
      throw new FileError('FILE_ERR_NOT_SUPPORTED', 'The server did not keep the modification time')
  })
}
