/**
 * The `mounts:` list of a config file: where each upstream folder appears in the gateway's tree
 * and who may see and change it. Paths are normalised and unique, every mount names an upstream
 * the file declares, and every rule entry is one the namespace can match; every problem names its
 * line. Matching itself belongs to the namespace (issue 17); this module only validates.
 */

import {
  type ConfigSource,
  describeNode,
  type FileEntry,
  type FileNode,
  unknownKeyProblem,
} from './file-source.js'
import { boolSetting } from './spec.js'

/** What a rule entry matches: everyone, one user (the person, `Identity.principal`) or a group. */
export type PrincipalMatch = '*' | `user:${string}` | `group:${string}`

/**
 * One entry of a mount's `allow` or `write` list. A `!` prefix excludes: the first entry that
 * matches decides, so `["!user:intern", "*"]` is everyone but the intern.
 */
export type Principal = PrincipalMatch | `!${PrincipalMatch}`

/** A mount as the file gives it, validated (the shape of `MountConfig` in src/config.ts). */
export interface FileMount {
  path: string
  upstream: string
  root: string
  readOnly: boolean
  allow: readonly Principal[]
  write: readonly Principal[]
}

const MOUNT_KEYS = ['path', 'upstream', 'root', 'readOnly', 'allow', 'write'] as const
/** `*`, `user:NAME` or `group:NAME`, optionally `!`-prefixed; names have no spaces or control characters. */
const PRINCIPAL = /^!?(\*|(user|group):[^\s\p{Cc}]+)$/u

/** True when `entry` is a rule entry the namespace can match. */
export function isPrincipal(entry: string): entry is Principal {
  return PRINCIPAL.test(entry)
}

/**
 * Normalises a folder path: `/`-separated, no empty, `.` or `..` segment, no control character
 * or backslash. Returns the segments, or a problem.
 */
function segmentsOf(raw: string): string[] | string {
  if (/[\p{Cc}\\]/u.test(raw)) return 'must not contain control characters or backslashes'
  const segments = raw.split('/').filter((s) => s !== '')
  if (segments.some((s) => s === '.' || s === '..')) return 'must not contain . or .. segments'
  return segments
}

/**
 * Reads `mounts:` (undefined when the key is absent: then every upstream is mounted at
 * `/<name>`, open to everyone, as the README says).
 */
export function readMounts(
  source: ConfigSource,
  node: FileNode | undefined,
  upstreams: ReadonlyMap<string, number>,
  problems: string[],
): FileMount[] {
  if (node === undefined)
    return [...upstreams.keys()].map((name) => ({
      path: `/${name}`,
      upstream: name,
      root: '',
      readOnly: false,
      allow: ['*'],
      write: ['*'],
    }))
  if (node.kind !== 'seq' || node.items.length === 0) {
    problems.push(
      source.at(
        node.line,
        `mounts must be a list of { path, upstream, root, readOnly, allow, write } (got ${describeNode(node)}); leave the key out to mount every upstream at /<name>`,
      ),
    )
    return []
  }
  const mounts: FileMount[] = []
  const seen = new Map<string, number>()
  const mentioned = new Set<string>()
  node.items.forEach((item, i) => {
    const name = `mounts[${i}]`
    if (item.kind !== 'map') {
      problems.push(
        source.at(item.line, `${name} must be a mapping with path and upstream (got ${describeNode(item)})`),
      )
      return
    }
    const get = (key: string) => item.entries.find((e) => e.key === key)
    for (const e of item.entries)
      if (!(MOUNT_KEYS as readonly string[]).includes(e.key))
        problems.push(unknownKeyProblem(source, e, `${name}.`, MOUNT_KEYS))
    const before = problems.length
    const path = readPath(source, name, item, get('path'), problems)
    const upstream = readUpstream(source, name, item, get('upstream'), upstreams, problems)
    if (upstream !== undefined) mentioned.add(upstream)
    const root = readRoot(source, name, get('root'), problems)
    const readOnly = readBool(source, `${name}.readOnly`, get('readOnly'), problems)
    const allow = readRules(source, `${name}.allow`, get('allow'), problems)
    const write = readRules(source, `${name}.write`, get('write'), problems)
    if (path !== undefined) {
      const other = seen.get(path)
      if (other !== undefined)
        problems.push(source.at(get('path')?.line, `${name}.path ${path} is already mounted (line ${other})`))
      else seen.set(path, get('path')?.line ?? item.line)
    }
    if (problems.length === before && path !== undefined && upstream !== undefined)
      mounts.push({ path, upstream, root, readOnly, allow, write })
  })
  for (const [upstream, line] of upstreams)
    if (!mentioned.has(upstream))
      problems.push(
        source.at(line, `upstreams.${upstream} is not mounted (add a mount for it, or remove it)`),
      )
  return mounts
}

function readPath(
  source: ConfigSource,
  name: string,
  item: FileNode & { kind: 'map' },
  entry: FileEntry | undefined,
  problems: string[],
): string | undefined {
  if (entry === undefined) {
    problems.push(
      source.at(item.line, `${name}.path is required (where the mount appears, such as /partner)`),
    )
    return undefined
  }
  const v = entry.value
  if (v.kind !== 'scalar' || typeof v.value !== 'string' || !v.value.startsWith('/')) {
    problems.push(
      source.at(v.line, `${name}.path must be an absolute path such as /partner (got ${describeNode(v)})`),
    )
    return undefined
  }
  const segments = segmentsOf(v.value)
  if (typeof segments === 'string') {
    problems.push(source.at(v.line, `${name}.path ${segments}`))
    return undefined
  }
  return `/${segments.join('/')}`
}

function readUpstream(
  source: ConfigSource,
  name: string,
  item: FileNode & { kind: 'map' },
  entry: FileEntry | undefined,
  upstreams: ReadonlyMap<string, number>,
  problems: string[],
): string | undefined {
  if (entry === undefined) {
    problems.push(source.at(item.line, `${name}.upstream is required (the name of one of upstreams)`))
    return undefined
  }
  const v = entry.value
  const known = [...upstreams.keys()].join(', ') || 'none declared'
  if (v.kind !== 'scalar' || typeof v.value !== 'string' || !upstreams.has(v.value)) {
    problems.push(
      source.at(v.line, `${name}.upstream ${describeNode(v)} is not one of the upstreams (${known})`),
    )
    return undefined
  }
  return v.value
}

function readRoot(
  source: ConfigSource,
  name: string,
  entry: FileEntry | undefined,
  problems: string[],
): string {
  if (entry === undefined) return ''
  const v = entry.value
  if (v.kind !== 'scalar' || typeof v.value !== 'string' || v.value === '') {
    problems.push(
      source.at(
        v.line,
        `${name}.root must be a folder on the upstream such as / or /web (got ${describeNode(v)})`,
      ),
    )
    return ''
  }
  const segments = segmentsOf(v.value)
  if (typeof segments === 'string') {
    problems.push(source.at(v.line, `${name}.root ${segments} (it is relative to the upstream's base)`))
    return ''
  }
  // Relative to the upstream's base (its URL's path, else the login's home): '' is the base.
  return segments.join('/')
}

function readBool(
  source: ConfigSource,
  name: string,
  entry: FileEntry | undefined,
  problems: string[],
): boolean {
  if (entry === undefined) return false
  const v = entry.value
  if (v.kind !== 'scalar' || v.value === null) {
    problems.push(source.at(v.line, `${name} must be true or false (got ${describeNode(v)})`))
    return false
  }
  const parsed = boolSetting(v.value, name)
  if (parsed.ok) return parsed.value
  problems.push(source.at(v.line, parsed.problem))
  return false
}

function readRules(
  source: ConfigSource,
  name: string,
  entry: FileEntry | undefined,
  problems: string[],
): Principal[] {
  if (entry === undefined) return ['*']
  const v = entry.value
  // One entry may be written without the brackets: `allow: group:finance`.
  const items = v.kind === 'seq' ? v.items : [v]
  const rules: Principal[] = []
  for (const item of items) {
    if (item.kind === 'scalar' && typeof item.value === 'string' && isPrincipal(item.value.trim()))
      rules.push(item.value.trim() as Principal)
    else
      problems.push(
        source.at(
          item.line,
          `${name} entries must be "*", "user:NAME" or "group:NAME", optionally with a leading ! to exclude (got ${describeNode(item)})`,
        ),
      )
  }
  return rules
}
