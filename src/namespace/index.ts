/** The tree over several upstreams: mounts, their rules, and moves and copies between servers. */
export { type Mount, MountTable, type Resolved } from './mount-table.js'
export { compileRules, type RuleList } from './rules.js'
export { TreeFileService, type TreeOptions } from './tree-service.js'
export type { UpstreamBinding } from './types.js'
export { type RuntimeDeps, UpstreamRuntime } from './upstream-runtime.js'
