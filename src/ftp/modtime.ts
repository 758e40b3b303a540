/**
 * Setting a file's modification time: FTP has four ways and each server knows a different one.
 * Measured on the test servers (issue 17):
 *
 * - `MFMT YYYYMMDDHHMMSS path` (draft-somers-ftp-mfxx): Pure-FTPd and ProFTPD, advertised in FEAT.
 * - `SITE UTIME YYYYMMDDhhmm[ss] path`: ProFTPD's mod_site_misc (its SITE HELP shows this form),
 *   also Pure-FTPd (not advertised). UTC: mod_site_misc converts with TZ=GMT.
 * - `SITE UTIME path atime mtime ctime UTC`: the five-argument form, same servers, explicitly UTC.
 * - `MDTM YYYYMMDDHHMMSS path`: vsftpd (`mdtm_write=YES`, its default, with `write_enable`). UTC
 *   with `use_localtime=NO` (the default); with `use_localtime=YES` (Debian's packaged config)
 *   vsftpd reads it, like its MDTM replies and LIST times, in the server's local time, so it is
 *   sent on the upstream's clock (FTP_TIMEZONE). A server without the write form
 *   reads the whole argument as a file name: its 550 cannot be told from a missing file, and a
 *   213 carrying a time means it reported on a file of that odd name, so neither counts.
 *
 * What a server refused as a command (500, 501, 502, 504) is remembered in a ModtimeMemory shared by
 * every session of one upstream, and the form that worked is tried first from then on.
 */
import { FtpError } from './errors.js'
import type { FtpFeatures } from './features.js'
import { formatMlsxTime } from './listing/index.js'
import type { ServerClock } from './listing/server-clock.js'
import { errorFromReply } from './reply-errors.js'
import type { FtpReply } from './reply-parser.js'
import { Reply, replyClass } from './status.js'

/** The ways to set a modification time, in the order they are tried. */
export type ModtimeForm = 'mfmt' | 'site-utime' | 'site-utime-5' | 'mdtm-write'

const ORDER: readonly ModtimeForm[] = ['mfmt', 'site-utime', 'site-utime-5', 'mdtm-write']

/** Replies that refuse the command or its shape rather than the file: that form is not available. */
const FORM_REFUSALS: ReadonlySet<number> = new Set([
  Reply.SyntaxError,
  Reply.SyntaxErrorArgs,
  Reply.NotImplemented,
  Reply.NotImplementedParam,
])

/** What one upstream's server has shown about setting times; shared by its sessions. */
export class ModtimeMemory {
  readonly #refused = new Set<ModtimeForm>()
  #works: ModtimeForm | undefined

  /** The form that last worked, if any. */
  get works(): ModtimeForm | undefined {
    return this.#works
  }

  /** The forms a server refused as commands (never tried again). */
  get refused(): readonly ModtimeForm[] {
    return [...this.#refused]
  }

  /**
   * The forms worth trying on a server with `features`, best first: MFMT only where FEAT offers it
   * (servers that do not advertise it do not have it), SITE UTIME whether advertised or not
   * (ProFTPD lists it only with mod_site_misc loaded, Pure-FTPd never), MDTM's write form only
   * where MDTM exists. The form that worked before comes first.
   */
  candidates(features: Pick<FtpFeatures, 'mfmt' | 'mdtm'>): ModtimeForm[] {
    const forms = ORDER.filter(
      (f) =>
        !this.#refused.has(f) && (f !== 'mfmt' || features.mfmt) && (f !== 'mdtm-write' || features.mdtm),
    )
    const works = this.#works
    return works && forms.includes(works) ? [works, ...forms.filter((f) => f !== works)] : forms
  }

  accept(form: ModtimeForm): void {
    this.#works = form
  }

  refuse(form: ModtimeForm): void {
    this.#refused.add(form)
    if (this.#works === form) this.#works = undefined
  }
}

/**
 * The command line of `form` for `file` and `time` (whole seconds). MFMT and SITE UTIME take UTC;
 * the MDTM write form takes the server's clock (`clock`, the LIST clock): vsftpd reads it in UTC
 * with `use_localtime=NO` and in local time with `use_localtime=YES`, like its LIST and MDTM.
 */
export function modtimeCommand(
  form: ModtimeForm,
  file: string,
  time: Date,
  clock?: ServerClock,
): { verb: string; arg: string } {
  const stamp = formatMlsxTime(time)
  switch (form) {
    case 'mfmt':
      return { verb: 'MFMT', arg: `${stamp} ${file}` }
    case 'site-utime':
      return { verb: 'SITE', arg: `UTIME ${stamp} ${file}` }
    case 'site-utime-5':
      return { verb: 'SITE', arg: `UTIME ${file} ${stamp} ${stamp} ${stamp} UTC` }
    case 'mdtm-write': {
      const wall = clock ? new Date(time.getTime() + clock.offsetAt(time)) : time
      return { verb: 'MDTM', arg: `${formatMlsxTime(wall)} ${file}` }
    }
  }
}

/** How a reply to `form` reads: the time was set, the form is not available here, or a real failure. */
export function modtimeOutcome(form: ModtimeForm, reply: FtpReply): 'set' | 'refused' | 'failed' {
  if (replyClass(reply.code) === 2) {
    // vsftpd answers a write "213 File modification time set."; a 213 carrying a time is a read of
    // a file whose name is the whole argument (a server without the write form).
    if (form === 'mdtm-write' && (reply.code !== Reply.FileStatus || /^\s*\d{14}/.test(reply.text)))
      return 'refused'
    return 'set'
  }
  return FORM_REFUSALS.has(reply.code) ? 'refused' : 'failed'
}

/** The error for a failed (not refused) reply to `form`. */
export function modtimeError(form: ModtimeForm, reply: FtpReply): FtpError {
  return errorFromReply(reply, form === 'mfmt' ? 'MFMT' : form === 'mdtm-write' ? 'MDTM' : 'SITE UTIME')
}

/** Nothing left to try. */
export function noModtimeForm(refused: readonly ModtimeForm[]): FtpError {
  return new FtpError(
    'unsupported',
    `Server offers no way to set modification times (tried: ${refused.join(', ') || 'none offered'})`,
  )
}
