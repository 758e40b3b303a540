import { FtpError, type FtpErrorKind } from './errors.js'
import type { FtpReply } from './reply-parser.js'
import { Reply } from './status.js'

/**
 * The one translation from an FTP error reply to an FtpError kind. The file layer refines
 * not-found (a 550 on an existing path is a permission failure) because only it can look.
 */
export function kindOfReply(code: number): FtpErrorKind {
  switch (code) {
    case Reply.FileUnavailable:
    case Reply.FileUnavailableTransient:
    case Reply.PageTypeUnknown:
      return 'not-found'
    case Reply.NotLoggedIn:
    case Reply.NeedAccount:
      return 'auth'
    case Reply.NeedAccountForStoring:
      return 'permission'
    case Reply.BadFileName:
    case Reply.SyntaxErrorArgs:
      return 'bad-name'
    case Reply.InsufficientStorage:
    case Reply.ExceededStorage:
      return 'storage-full'
    case Reply.CantOpenData:
    case Reply.TransferAborted:
    case Reply.LocalError:
      return 'data'
    case Reply.TlsRefused:
    case Reply.RequestDenied:
      return 'tls'
    case Reply.SyntaxError:
    case Reply.NotImplemented:
    case Reply.NotImplementedParam:
      return 'unsupported'
    case Reply.ServiceNotAvailable:
      return 'transient'
    default:
      return code >= 400 && code < 500 ? 'transient' : 'protocol'
  }
}

/** An FtpError for a reply that answered `command` (already redacted) with an error or surprise. */
export function errorFromReply(reply: FtpReply, command: string): FtpError {
  const firstLine = reply.text.split('\n')[0] ?? ''
  // vsftpd's "500 OOPS: …" is a fatal error of its session process: the connection is as good as gone.
  const kind = /^OOPS\b/.test(firstLine) ? 'connection' : kindOfReply(reply.code)
  return new FtpError(kind, `${command}: ${reply.code} ${firstLine}`.slice(0, 300), {
    replyCode: reply.code,
  })
}
