/**
 * The gateway's tree: where each upstream folder appears. A path belongs to the mount with the
 * longest path prefix (a mount shadows whatever the mount above it has under that name); folders
 * above mounts that no mount covers are virtual (listed, never written). Everything here is pure:
 * no I/O, so the rules are unit-tested on their own.
 */
import type { MountConfig } from '../config.js'
import { childOf, isWithin } from '../files/paths.js'
import type { Identity, RelPath } from '../files/types.js'
import { compileRules, type RuleList } from './rules.js'

/** One mount, compiled. */
export interface Mount {
  /** Where it appears, as a relative path ('' for `/`). */
  readonly path: RelPath
  readonly upstream: string
  /** Folder on the upstream, relative to its base ('' for the base). */
  readonly root: RelPath
  /** The mount's or its upstream's `readOnly`. */
  readonly readOnly: boolean
  readonly allow: RuleList
  readonly write: RuleList
}

/** Where a path lands. */
export type Resolved =
  /** Inside a mount the caller may see: `inner` is the path below the mount point. */
  | { kind: 'mount'; mount: Mount; inner: RelPath }
  /** A folder above mounts the caller may see, with no mount of its own. */
  | { kind: 'virtual' }
  /** Nothing the caller may see (an unknown path, or inside a mount hidden from them). */
  | { kind: 'hidden' }

type Who = Pick<Identity, 'principal' | 'groups'>

function toRel(path: string): RelPath {
  return path
    .split('/')
    .filter((s) => s !== '')
    .join('/')
}

/** The compiled mounts of one configuration. */
export class MountTable {
  /** Deepest first, so the first prefix match is the longest. */
  readonly #mounts: Mount[]
  /** True when there is one mount, at `/`, open to everyone: most single-server deployments. */
  readonly trivial: boolean

  constructor(mounts: readonly MountConfig[], readOnlyUpstreams: ReadonlySet<string> = new Set()) {
    this.#mounts = mounts
      .map((m) => ({
        path: toRel(m.path),
        upstream: m.upstream,
        root: toRel(m.root),
        readOnly: m.readOnly || readOnlyUpstreams.has(m.upstream),
        allow: compileRules(m.allow),
        write: compileRules(m.write),
      }))
      .sort((a, b) => depth(b.path) - depth(a.path))
    const only = this.#mounts[0]
    this.trivial = this.#mounts.length === 1 && only !== undefined && only.path === '' && only.allow.everyone
  }

  /** Every mount (deepest first). */
  get mounts(): readonly Mount[] {
    return this.#mounts
  }

  /** Where `rel` (normalised) lands for `who`. */
  resolve(rel: RelPath, who: Who): Resolved {
    for (const m of this.#mounts) {
      if (!isWithin(rel, m.path)) continue
      if (!m.allow.matches(who)) return { kind: 'hidden' }
      return { kind: 'mount', mount: m, inner: m.path === '' ? rel : rel.slice(m.path.length + 1) }
    }
    return this.#hasVisibleBelow(rel, who) ? { kind: 'virtual' } : { kind: 'hidden' }
  }

  /**
   * The children of folder `rel` that mounts decide: a name maps to `true` when it is shown as a
   * folder (a visible mount point, or a virtual folder on the way to one), `false` when it must not
   * be shown (a mount point hidden from `who`, which shadows whatever the folder has by that name).
   */
  childrenOf(rel: RelPath, who: Who): Map<string, boolean> {
    const out = new Map<string, boolean>()
    for (const m of this.#mounts) {
      if (m.path === rel || !isWithin(m.path, rel)) continue
      const below = rel === '' ? m.path : m.path.slice(rel.length + 1)
      const slash = below.indexOf('/')
      const name = slash === -1 ? below : below.slice(0, slash)
      const child = childOf(rel, name)
      if (slash === -1) {
        // The mount point itself decides for its name.
        out.set(name, m.allow.matches(who))
      } else if (!out.get(name) && this.#hasVisibleBelow(child, who)) {
        // A folder on the way to a visible mount; a hidden mount at `child` itself still wins.
        if (!this.#mounts.some((x) => x.path === child && !x.allow.matches(who))) out.set(name, true)
      }
    }
    return out
  }

  /** Whether any mount strictly below `rel` is visible to `who`. */
  hasMountsBelow(rel: RelPath): boolean {
    return this.#mounts.some((m) => m.path !== rel && isWithin(m.path, rel))
  }

  /** Whether `rel` is exactly a mount point. */
  isMountPoint(rel: RelPath): boolean {
    return this.#mounts.some((m) => m.path === rel)
  }

  #hasVisibleBelow(rel: RelPath, who: Who): boolean {
    return this.#mounts.some((m) => m.path !== rel && isWithin(m.path, rel) && m.allow.matches(who))
  }
}

function depth(rel: RelPath): number {
  return rel === '' ? 0 : rel.split('/').length
}
