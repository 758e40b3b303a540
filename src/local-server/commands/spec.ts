import type { Session } from '../session.js'
import type { CommandSpec as GenericSpec, CommandTable as GenericTable } from '../types.js'

/** A built-in command of the embedded server's sessions. */
export type CommandSpec = GenericSpec<Session>

/** Built-in commands by verb. */
export type CommandTable = GenericTable<Session>

/** `"path"` as in a 257 reply: embedded double quotes are doubled (RFC 959 appendix II). */
export function quotePath(p: string): string {
  return `"${p.replaceAll('"', '""')}"`
}
