/**
 * `gateway.example.yaml`, generated from the spec (`npx tsx scripts/generate-config-docs.ts`; a
 * unit test fails while the file differs): every key of a config file with its doc, its
 * environment variable and its default, so the example cannot drift from what the loader reads.
 */
import { stringify } from 'yaml'
import { LIVE_SETTINGS } from './reload.js'
import { SETTINGS, type Setting, type SettingId } from './spec.js'

/** Where the example lives, relative to the repository. */
export const EXAMPLE_FILE = 'gateway.example.yaml'

/**
 * What the example shows for settings without a default value. A unit test requires an entry
 * for every such setting, so a new one cannot be left out of the example.
 */
export const EXAMPLE_VALUES: Partial<Record<SettingId, unknown>> = {
  host: '0.0.0.0',
  tlsCertFile: '/etc/ftp-gateway/tls/tls.crt',
  tlsKeyFile: '/etc/ftp-gateway/tls/tls.key',
  ftpUrl: 'ftpes://exchange@ftp.partner.example:21/outgoing',
  ftpActiveAddress: '203.0.113.5',
  ftpActivePorts: '40000-40100',
  ftpTlsCaFile: '/etc/ftp-gateway/partner-ca.pem',
  ftpPasswordFile: '/run/secrets/partner-ftp',
  redisUrl: 'redis://redis:6379',
  redisSentinels: ['sentinel-1:26379', 'sentinel-2:26379', 'sentinel-3:26379'],
  redisClusterNodes: ['redis-1:6379', 'redis-2:6379', 'redis-3:6379'],
  sessionSecret: 'a-long-random-string-from-your-secret-store',
  htpasswdFile: '/etc/ftp-gateway/htpasswd',
  otelEndpoint: 'http://otel-collector:4318',
  oidcIssuer: 'https://login.example.com/realms/staff',
  oidcClientId: 'ftp-gateway',
  oidcClientSecret: 'from-your-secret-store',
  oidcClientSecretFile: '/run/secrets/oidc-client-secret',
  oidcAudience: 'ftp-gateway',
}

/** The upstream settings the example sets for real (the rest are shown commented, at their default). */
const UPSTREAM_LIVE: ReadonlySet<SettingId> = new Set(['ftpUrl', 'ftpPasswordFile', 'ftpTlsCaFile'])

const WIDTH = 100

function scalar(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(scalar).join(', ')}]`
  return stringify(v).trimEnd()
}

/** `# text`, wrapped at WIDTH, indented. */
function comment(text: string, indent: string): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line !== '' && indent.length + 2 + line.length + 1 + word.length > WIDTH) {
      lines.push(`${indent}# ${line}`)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(`${indent}# ${line}`)
  return lines
}

interface Leaf {
  id: SettingId
  s: Setting<unknown>
}
type Tree = Map<string, Tree | Leaf>

function tree(scope: Setting<unknown>['scope']): Tree {
  const root: Tree = new Map()
  for (const [id, s] of Object.entries(SETTINGS) as Array<[SettingId, Setting<unknown>]>) {
    if (s.scope !== scope || s.key === '') continue
    const parts = s.key.split('.')
    let node = root
    for (const part of parts.slice(0, -1)) {
      const next = (node.get(part) as Tree | undefined) ?? new Map()
      node.set(part, next)
      node = next
    }
    node.set(parts.at(-1) as string, { id, s })
  }
  return root
}

/** Lines for a key tree; a group whose keys are all commented out is commented out too. */
function emit(
  t: Tree,
  indent: string,
  live: (id: SettingId) => boolean,
  note: (s: Setting<unknown>) => string,
): string[] {
  const out: string[] = []
  for (const [key, node] of t) {
    if (node instanceof Map) {
      const inner = emit(node, `${indent}  `, live, note)
      const anyLive = inner.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
      if (indent === '' && out.length > 0) out.push('')
      out.push(`${indent}${anyLive ? '' : '# '}${key}:`, ...inner)
      continue
    }
    const { id, s } = node
    const value = s.fallback === undefined || live(id) ? EXAMPLE_VALUES[id] : s.fallback
    if (value === undefined) throw new Error(`${s.env} has no default: give it an example in EXAMPLE_VALUES`)
    if (indent === '' && out.length > 0) out.push('')
    out.push(...comment(s.doc, indent), ...comment(note(s), indent))
    out.push(`${indent}${live(id) ? '' : '# '}${key}: ${scalar(value)}`)
  }
  return out
}

const HEADER = `# ftp-gateway configuration: GATEWAY_CONFIG=/path/to/this/file.yaml
# Generated from src/config/spec.ts by \`npx tsx scripts/generate-config-docs.ts\`: every key the
# loader reads, with its meaning, its environment variable and its default. Copy it and keep what
# you change; a key commented out shows its default (or an example where the default is "unset").
#
# - YAML or JSON, same keys. A dotted key of the README (redis.url) is a nested mapping here.
#   Relative paths (passwordFile, tls.caFile, htpasswd) are relative to this file's folder.
# - Checked at start: every problem is reported at once, with its line; an unknown key is an error.
# - The environment overrides the gateway settings here (PORT, REDIS_URL…; logged at start).
#   FTP_URL and the other FTP_* variables are refused with a config file: upstreams live here.
# - SIGHUP re-reads the file: upstreams, mounts and logLevel change for new requests (transfers in
#   flight finish); an invalid file is refused and the running configuration stays. Settings marked
#   "restart" keep their running value until the gateway restarts (a warning names them).`

const UPSTREAMS = `# The FTP servers, by name ([a-z0-9-]+). Each has its own settings, connection pool and health.
upstreams:
  # Every key an upstream takes; the environment's FTP_* variables set the same for its single
  # upstream at / when there is no config file.
  partner:`

const OTHER_UPSTREAMS = `  # An old server: names in latin1, a clock in local time, dot files listed, never written.
  legacy:
    url: ftp://legacy.example.internal
    encoding: latin1
    timezone: Europe/Berlin
    listHidden: true
    readOnly: true
  # HTTP users' own credentials pass through to a server whose URL has no user.
  web:
    url: ftp://web.example.internal:21/srv/www`

const MOUNTS = `# Where each upstream folder appears in the gateway's one tree (REST, WebDAV, the browse page).
# Without \`mounts\`, every upstream appears at /<name>, open to everyone; with it, every upstream
# must be mounted at least once.
mounts:
  # path: where it appears (unique; a folder holding mounts lists them).
  # upstream: a name from upstreams. root: the folder on that upstream, relative to its base (the
  # URL's path, else the login's home); default /. readOnly: refuse writes here (403); default false.
  # allow: who may see it: "*", "user:NAME", "group:NAME", "!" in front to exclude; the first entry
  # that matches decides, no match means no; default ["*"]. Anyone else gets 404, not 403.
  # write: who may change it (within allow); default ["*"].
  - path: /
    upstream: web
    root: /
    readOnly: false
    allow: ["*"]
    write: ["*"]
  - path: /partner
    upstream: partner
    allow: ["group:finance", "user:auditor"]
    write: ["group:finance"]
  - path: /archive
    upstream: legacy
    root: /archive
    allow: ["!user:intern", "*"]
    write: []`

/** The whole example file. */
export function exampleConfigYaml(): string {
  const gateway = emit(
    tree('gateway'),
    '',
    () => false,
    (s) =>
      `env ${s.env}; default ${s.defaultDoc}; ${LIVE_SETTINGS.has(idOf(s)) ? 'reloaded on SIGHUP' : 'restart'}`,
  )
  const upstream = emit(
    tree('upstream'),
    '    ',
    (id) => UPSTREAM_LIVE.has(id),
    (s) => `env ${s.env} (no config file); default ${s.defaultDoc}`,
  )
  return [
    HEADER,
    '',
    '# The gateway as a whole.',
    '',
    ...gateway,
    '',
    UPSTREAMS,
    ...upstream,
    OTHER_UPSTREAMS,
    '',
    MOUNTS,
    '',
  ].join('\n')
}

function idOf(s: Setting<unknown>): SettingId {
  return (Object.entries(SETTINGS) as Array<[SettingId, Setting<unknown>]>).find(
    ([, x]) => x === s,
  )?.[0] as SettingId
}
