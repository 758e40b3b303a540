import type { ControlConnection } from './control-connection.js'
import { FtpError } from './errors.js'
import { errorFromReply } from './reply-errors.js'
import type { FtpReply } from './reply-parser.js'
import { Reply } from './status.js'

/** USER then PASS; a 230 straight after USER is accepted. Errors never carry the password. */
export async function login(conn: ControlConnection, user: string, password: string): Promise<void> {
  const userReply = await conn.request('USER', user)
  if (userReply.code === Reply.LoggedIn) return
  if (userReply.code !== Reply.NeedPassword) throw loginError(userReply)
  const passReply = await conn.request('PASS', password)
  if (passReply.code === Reply.LoggedIn || passReply.code === Reply.NotImplementedSuperfluous) return
  throw loginError(passReply)
}

function loginError(reply: FtpReply): FtpError {
  // The reply text may echo the user name but never the password; keep only the code.
  if (reply.code === Reply.NotLoggedIn || reply.code === Reply.NeedAccount) {
    return new FtpError('auth', `Login refused (${reply.code})`, { replyCode: reply.code })
  }
  return errorFromReply(reply, 'login')
}

/** Extracts the path from `257 "/a ""quoted"" dir" is current directory`. */
export function parseQuotedPath(text: string): string | undefined {
  const start = text.indexOf('"')
  if (start === -1) return undefined
  let out = ''
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '"') {
      if (text[i + 1] === '"') {
        out += '"'
        i++
        continue
      }
      return out
    }
    out += text[i]
  }
  return undefined
}
