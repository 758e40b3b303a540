/** Test builders for the tree (src/namespace): a mount with everyone allowed unless overridden. */
import type { MountConfig } from '../../src/config.js'

/** A mount of `upstream` at `path`, open to everyone, writable, at the upstream's base. */
export function mount(path: string, upstream: string, extra: Partial<MountConfig> = {}): MountConfig {
  return { path, upstream, root: '', readOnly: false, allow: ['*'], write: ['*'], ...extra }
}
