import { stat } from 'node:fs/promises'
import path from 'node:path'
import { PathError } from '../path-resolver.js'
import type { Session } from '../session.js'
import { type CommandTable, quotePath } from './spec.js'

async function changeDir(s: Session, arg: string): Promise<void> {
  const v = s.virtual(arg)
  if (v === undefined) throw new PathError('Permission denied.')
  const real = await s.ctx.resolver.existing(v)
  if (!(await stat(real)).isDirectory()) return s.reply(550, 'Failed to change directory.')
  s.cwd = v
  return s.reply(250, 'Directory successfully changed.')
}

function printDir(s: Session): Promise<void> {
  return s.reply(257, `${quotePath(s.cwd)} is the current directory`)
}

function parentDir(s: Session): Promise<void> {
  // At the root CDUP stays put, as chrooted servers do; CWD .. there is an escape and gets 550.
  s.cwd = path.posix.dirname(s.cwd)
  return s.reply(250, 'Directory successfully changed.')
}

/** PWD, CWD, CDUP and their X-prefixed RFC 775 aliases. */
export const navigationCommands: CommandTable = {
  PWD: { handler: printDir },
  XPWD: { handler: printDir },
  CWD: { handler: changeDir },
  XCWD: { handler: changeDir },
  CDUP: { handler: parentDir },
  XCUP: { handler: parentDir },
}
