/**
 * GATEWAY_CONFIG: a YAML or JSON file with the gateway's settings by their dotted `key` (a dotted
 * key is a nested mapping: `redis.url` is `redis: { url: … }`), `upstreams.<name>` with the
 * upstream-scoped settings, and `mounts:`. Every value goes through the same parser as its
 * environment variable (src/config/spec.ts), so the bounds are the same; every problem is
 * collected, with its line; a key nobody reads is a problem, never silently ignored.
 *
 * This module only reads the file; src/config.ts merges it with the environment (which overrides
 * gateway settings) and builds the upstreams.
 */
import path from 'node:path'
import {
  type ConfigSource,
  describeNode,
  type FileEntry,
  type FileNode,
  readConfigSource,
  unknownKeyProblem,
} from './file-source.js'
import { type FileMount, readMounts } from './mounts.js'
import { SETTINGS, type Setting, type SettingId, type SettingValues } from './spec.js'

/** A gateway-scoped setting the file sets. */
export interface FileSetting {
  /** Parsed by the spec's parser. */
  value: unknown
  /** As written (for warnings that depend on the spelling, such as `trustProxy: true`). */
  raw: unknown
  /** The dotted key and its line. */
  key: string
  line: number
}

/** One `upstreams.<name>` entry. */
export interface FileUpstream {
  name: string
  /** Line of the name. */
  line: number
  /** `url` as written (a secret: it may carry a password); undefined when missing (a problem). */
  url: string | undefined
  /** The upstream-scoped settings the file sets, parsed, by setting id. */
  values: Partial<SettingValues>
  /** Line of every key the file sets, by full path (`upstreams.web.pool.total`). */
  lines: ReadonlyMap<string, number>
}

/** What a config file says, validated key by key. */
export interface ConfigFile {
  source: ConfigSource
  settings: ReadonlyMap<SettingId, FileSetting>
  upstreams: readonly FileUpstream[]
  mounts: readonly FileMount[]
}

/** Settings whose environment form is a comma list: a YAML list is accepted too. */
const LIST_SETTINGS: ReadonlySet<SettingId> = new Set([
  'trustProxy',
  'gatewayAdmins',
  'redisSentinels',
  'redisClusterNodes',
  'oidcScopes',
])
/** Settings that name a file: relative paths in a config file are relative to its folder. */
const PATH_SETTINGS: ReadonlySet<SettingId> = new Set([
  'ftpPasswordFile',
  'ftpTlsCaFile',
  'htpasswdFile',
  'tlsCertFile',
  'tlsKeyFile',
  'oidcClientSecretFile',
])
const UPSTREAM_NAME = /^[a-z0-9-]+$/

/** Nested keys of one scope: `redis` -> { url -> 'redisUrl', … }. */
type KeyTree = Map<string, KeyTree | SettingId>

function keyTree(scope: Setting<unknown>['scope']): KeyTree {
  const root: KeyTree = new Map()
  for (const [id, s] of Object.entries(SETTINGS) as Array<[SettingId, Setting<unknown>]>) {
    if (s.scope !== scope || s.key === '') continue
    const parts = s.key.split('.')
    let node = root
    for (const part of parts.slice(0, -1)) {
      let next = node.get(part)
      if (next === undefined) {
        next = new Map()
        node.set(part, next)
      }
      if (typeof next === 'string') throw new Error(`setting key ${s.key} nests under a setting`)
      node = next
    }
    node.set(parts.at(-1) as string, id)
  }
  return root
}

const GATEWAY_KEYS = keyTree('gateway')
const UPSTREAM_KEYS = keyTree('upstream')
/** The dotted keys of gateway settings: what the file may say besides `upstreams` and `mounts`. */
export const GATEWAY_FILE_KEYS: readonly string[] = Object.values(SETTINGS)
  .filter((s) => s.scope === 'gateway' && s.key !== '')
  .map((s) => s.key)

/** Reads and validates `file`, appending every problem (each as `file:line: …`). */
export function readConfigFile(file: string, problems: string[]): ConfigFile {
  const source = readConfigSource(file, problems)
  const settings = new Map<SettingId, FileSetting>()
  const upstreams: FileUpstream[] = []
  const result = { source, settings, upstreams, mounts: [] as FileMount[] }
  const root = source.root
  if (root === undefined) return result
  if (root.kind !== 'map') {
    problems.push(
      source.at(
        root.line,
        `the file must be a mapping of settings, upstreams and mounts (got ${describeNode(root)})`,
      ),
    )
    return result
  }
  let mountsNode: FileNode | undefined
  let upstreamsEntry: FileEntry | undefined
  const gatewayEntries: FileEntry[] = []
  for (const entry of root.entries) {
    if (entry.key === 'upstreams') upstreamsEntry = entry
    else if (entry.key === 'mounts') mountsNode = entry.value
    else if (entry.key === 'local')
      problems.push(
        source.at(
          entry.line,
          'local: is for local mode only (DATA_DIR, LOCAL_USER, LOCAL_PASSWORD without a config file)',
        ),
      )
    else gatewayEntries.push(entry)
  }
  walk(source, gatewayEntries, GATEWAY_KEYS, '', problems, ['upstreams', 'mounts'], (id, key, entry) => {
    const parsed = parseLeaf(source, id, key, entry.value, problems)
    if (parsed) settings.set(id, { ...parsed, key, line: entry.line })
  })

  const names = new Map<string, number>()
  if (upstreamsEntry === undefined)
    problems.push(source.at(undefined, 'upstreams is required: at least one FTP server, by name'))
  else {
    const node = upstreamsEntry.value
    if (node.kind !== 'map' || node.entries.length === 0)
      problems.push(
        source.at(
          node.line,
          `upstreams must map names to FTP servers, such as upstreams: { web: { url: ftp://host } } (got ${describeNode(node)})`,
        ),
      )
    else
      for (const entry of node.entries) {
        const up = readUpstream(source, entry, problems)
        if (up) {
          upstreams.push(up)
          names.set(up.name, up.line)
        }
      }
  }
  // Mounts are checked against the upstream names even when an upstream has problems of its own.
  result.mounts = readMounts(source, mountsNode, names, problems)
  return result
}

function readUpstream(source: ConfigSource, entry: FileEntry, problems: string[]): FileUpstream | undefined {
  const name = entry.key
  if (!UPSTREAM_NAME.test(name)) {
    problems.push(
      source.at(
        entry.line,
        `upstream name ${JSON.stringify(name)} must be lower-case letters, digits and dashes`,
      ),
    )
    return undefined
  }
  const up: FileUpstream = { name, line: entry.line, url: undefined, values: {}, lines: new Map() }
  const lines = up.lines as Map<string, number>
  const node = entry.value
  if (node.kind !== 'map') {
    problems.push(
      source.at(
        node.line,
        `upstreams.${name} must be a mapping with at least url (got ${describeNode(node)})`,
      ),
    )
    return up
  }
  walk(source, node.entries, UPSTREAM_KEYS, `upstreams.${name}.`, problems, [], (id, key, e) => {
    lines.set(key, e.line)
    const parsed = parseLeaf(source, id, key, e.value, problems)
    if (!parsed) return
    if (id === 'ftpUrl') up.url = parsed.value as string
    else (up.values as Record<string, unknown>)[id] = parsed.value
  })
  if (up.url === undefined && !lines.has(`upstreams.${name}.url`))
    problems.push(source.at(entry.line, `upstreams.${name}.url is required (such as ftpes://host:21/base)`))
  return up
}

/** Walks mapping entries against a key tree, calling `leaf` for every setting and reporting every other key. */
function walk(
  source: ConfigSource,
  entries: readonly FileEntry[],
  tree: KeyTree,
  prefix: string,
  problems: string[],
  alsoKnown: readonly string[],
  leaf: (id: SettingId, key: string, entry: FileEntry) => void,
): void {
  for (const entry of entries) {
    const found = tree.get(entry.key)
    const key = `${prefix}${entry.key}`
    if (found === undefined) {
      const dotted = entry.key.includes('.') && resolvesTo(tree, entry.key.split('.'))
      problems.push(
        dotted
          ? source.at(
              entry.line,
              `${key}: write a dotted key as nested mappings (${entry.key.replace('.', ': { ')} … })`,
            )
          : unknownKeyProblem(source, entry, prefix, [...tree.keys(), ...alsoKnown]),
      )
    } else if (typeof found === 'string') leaf(found, key, entry)
    else if (entry.value.kind !== 'map')
      problems.push(
        source.at(
          entry.line,
          `${key} must be a mapping of ${[...found.keys()].join(', ')} (got ${describeNode(entry.value)})`,
        ),
      )
    else walk(source, entry.value.entries, found, `${key}.`, problems, [], leaf)
  }
}

function resolvesTo(tree: KeyTree, parts: string[]): boolean {
  let node: KeyTree | SettingId | undefined = tree
  for (const part of parts) node = typeof node === 'string' || node === undefined ? undefined : node.get(part)
  return typeof node === 'string'
}

/** One setting's value: through the spec's parser, with the file's line on any problem. */
function parseLeaf(
  source: ConfigSource,
  id: SettingId,
  key: string,
  node: FileNode,
  problems: string[],
): { value: unknown; raw: unknown } | undefined {
  let raw: unknown
  if (node.kind === 'scalar' && node.value === null) {
    problems.push(source.at(node.line, `${key} has no value (leave the key out to keep the default)`))
    return undefined
  }
  if (node.kind === 'scalar') raw = node.value
  else if (
    node.kind === 'seq' &&
    LIST_SETTINGS.has(id) &&
    node.items.every((i) => i.kind === 'scalar' && i.value !== null)
  )
    // The environment's comma form; an empty list stays a list (`admins: []` is nobody, not "").
    raw =
      node.items.length === 0 ? [] : node.items.map((i) => String((i as { value: unknown }).value)).join(',')
  else {
    const what = LIST_SETTINGS.has(id) ? 'a value or a list of values' : 'a single value'
    problems.push(source.at(node.line, `${key} must be ${what} (got ${describeNode(node)})`))
    return undefined
  }
  const parsed = SETTINGS[id].parse(raw, key)
  if (!parsed.ok) {
    problems.push(source.at(node.line, parsed.problem))
    return undefined
  }
  // A file's relative paths mean what they say next to the file, wherever the gateway was started.
  if (PATH_SETTINGS.has(id) && typeof parsed.value === 'string')
    return { value: path.resolve(path.dirname(path.resolve(source.file)), parsed.value), raw }
  return { value: parsed.value, raw }
}

/**
 * Gateway settings come from the file unless the environment sets them (12-factor: the
 * environment wins, and the overrides are recorded). Upstream settings cannot come from the
 * environment with a file: they would be ignored, so each one set is a problem.
 */
export function mergeConfigFile(
  file: ConfigFile,
  env: NodeJS.ProcessEnv,
  v: SettingValues,
  overriddenByEnv: string[],
  problems: string[],
): void {
  for (const [id, s] of Object.entries(SETTINGS) as Array<[SettingId, (typeof SETTINGS)[SettingId]]>) {
    const fromFile = file.settings.get(id)
    if (fromFile !== undefined) {
      if (isUnset(env[s.env])) (v as Record<SettingId, unknown>)[id] = fromFile.value
      else overriddenByEnv.push(s.env)
    }
    // FTP_URL with GATEWAY_CONFIG is already a problem of its own.
    if (s.scope === 'upstream' && s.env !== 'FTP_URL' && !isUnset(env[s.env]))
      problems.push(
        `${s.env} is set, but GATEWAY_CONFIG describes the upstreams: set upstreams.<name>.${s.key} in ${file.source.file} instead`,
      )
  }
}

/** The environment's problems first, then the file's in line order (as an editor would walk them). */
export function byLine(file: ConfigFile, problems: string[]): string[] {
  const prefix = `${file.source.file}:`
  const lineOf = (p: string) =>
    p.startsWith(prefix) ? Number(/^(\d+)/.exec(p.slice(prefix.length))?.[1] ?? 0) : -1
  return problems
    .map((p, i) => ({ p, i, line: lineOf(p) }))
    .sort((a, b) => a.line - b.line || a.i - b.i)
    .map((x) => x.p)
}

/** The line of the key a problem names first (its subject). */
export function lineOfFirstKey(problem: string, lines: ReadonlyMap<string, number>): number | undefined {
  let best: { index: number; length: number; line: number } | undefined
  for (const [key, line] of lines) {
    const index = problem.indexOf(key)
    if (index < 0) continue
    if (!best || index < best.index || (index === best.index && key.length > best.length))
      best = { index, length: key.length, line }
  }
  return best?.line
}

const isUnset = (raw: string | undefined) => raw === undefined || raw === ''
