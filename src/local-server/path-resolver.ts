import { lstat, realpath } from 'node:fs/promises'
import path from 'node:path'

/** A path that is outside the root, or cannot be resolved safely; sessions answer 550. */
export class PathError extends Error {
  constructor(
    message: string,
    readonly code: 'escape' | 'not-found' = 'escape',
  ) {
    super(message)
    this.name = 'PathError'
  }
}

/**
 * Joins a command argument to the session's virtual CWD and normalises it. Virtual paths are
 * POSIX, absolute from the served root. Returns undefined when `..` would climb above the root,
 * so an escape attempt is refused rather than silently clamped.
 */
export function toVirtual(cwd: string, arg: string): string | undefined {
  const start = arg.startsWith('/') ? [] : cwd.split('/').filter(Boolean)
  for (const part of arg.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (start.length === 0) return undefined
      start.pop()
    } else {
      start.push(part)
    }
  }
  return '/' + start.join('/')
}

/** Maps virtual paths to real ones, confined to the root even through symlinks. */
export class PathResolver {
  private realRoot: string | undefined

  constructor(readonly root: string) {}

  /** The root after symlink resolution, computed once. */
  async rootReal(): Promise<string> {
    this.realRoot ??= await realpath(this.root)
    return this.realRoot
  }

  private inside(real: string, root: string): boolean {
    return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)
  }

  /**
   * An existing entry, following symlinks: realpath must stay inside the root. Used for
   * everything that reads or enters the target (RETR, CWD, LIST, SIZE…).
   */
  async existing(virtual: string): Promise<string> {
    const root = await this.rootReal()
    let real: string
    try {
      real = await realpath(path.join(root, virtual))
    } catch {
      throw new PathError('No such file or directory', 'not-found')
    }
    if (!this.inside(real, root)) throw new PathError('Permission denied')
    return real
  }

  /**
   * The entry itself, not following a final symlink: the parent is resolved and confined, the
   * name is appended. Used for DELE, RMD, RNFR/RNTO and MKD, which act on the link, not its target.
   */
  async entry(virtual: string): Promise<string> {
    if (virtual === '/') return this.rootReal()
    const parent = await this.existing(path.posix.dirname(virtual))
    return path.join(parent, path.posix.basename(virtual))
  }

  /**
   * Where a write goes (STOR/APPE): like `entry`, but an existing symlink is followed only when
   * it resolves inside the root; a dangling or escaping link is refused so a write never lands
   * outside.
   */
  async writable(virtual: string): Promise<string> {
    const target = await this.entry(virtual)
    const st = await lstat(target).catch(() => undefined)
    if (st?.isSymbolicLink()) {
      try {
        return await this.existing(virtual)
      } catch {
        throw new PathError('Permission denied')
      }
    }
    return target
  }
}
