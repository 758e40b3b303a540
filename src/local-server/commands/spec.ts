import type { Session } from '../session.js'
import type { FeatureName } from '../types.js'

/** A built-in command: its handler, whether it works before login, and the feature gating it. */
export interface CommandSpec {
  handler(s: Session, arg: string): Promise<void> | void
  /** Allowed before a successful login. */
  public?: boolean
  /** When this feature is off the command answers 502 and leaves FEAT. */
  feature?: FeatureName
}

export type CommandTable = Record<string, CommandSpec>

/** `"path"` as in a 257 reply: embedded double quotes are doubled (RFC 959 appendix II). */
export function quotePath(p: string): string {
  return `"${p.replaceAll('"', '""')}"`
}
