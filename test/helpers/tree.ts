/**
 * Gateways over several real FTP servers, as one tree: builds the configuration the config file
 * would (upstreams by name, mounts with rules) from running server handles, so tests say what the
 * tree looks like and nothing else.
 */
import type { GatewayConfig, MountConfig, Principal, UpstreamConfig } from '../../src/config.js'
import { loadConfig } from '../../src/config.js'
import type { GatewayOptions } from '../../src/gateway.js'
import type { GatewayHandle } from './gateway.js'
import { startGatewayWith, testGatewayEnv } from './gateway.js'
import type { FtpServerHandle } from './servers/index.js'

/** One upstream of a test tree. */
export interface TreeUpstream {
  name: string
  server: Pick<FtpServerHandle, 'host' | 'port' | 'tls' | 'user' | 'password' | 'caFile'>
  /** Log in with the server's account for everyone (a service account) instead of passing through. */
  service?: boolean
  /** Any upstream setting, as the config file would give it. */
  settings?: Partial<Omit<UpstreamConfig, 'name' | 'url'>>
}

/** One mount of a test tree; rules default to everyone. */
export interface TreeMount {
  path: string
  upstream: string
  root?: string
  readOnly?: boolean
  allow?: Principal[]
  write?: Principal[]
}

/** The URL of a test server (explicit TLS as `ftpes`). */
export function urlOf(u: TreeUpstream): string {
  const scheme = u.server.tls === 'explicit' ? 'ftpes' : u.server.tls === 'implicit' ? 'ftps' : 'ftp'
  const account = u.service
    ? `${encodeURIComponent(u.server.user)}:${encodeURIComponent(u.server.password)}@`
    : ''
  return `${scheme}://${account}${u.server.host}:${u.server.port}`
}

/** The configuration of a tree over `upstreams` with `mounts` (plus gateway settings in `env`). */
export function treeConfig(
  upstreams: TreeUpstream[],
  mounts: TreeMount[],
  env: Record<string, string> = {},
): GatewayConfig {
  const ups: UpstreamConfig[] = upstreams.map((u) => {
    const one = loadConfig({
      FTP_URL: urlOf(u),
      ...(u.server.caFile === undefined ? {} : { FTP_TLS_CA_FILE: u.server.caFile }),
    }).upstreams[0] as UpstreamConfig
    const up = { ...one, ...u.settings, name: u.name }
    return { ...up, serviceAccount: up.credentials === 'service' }
  })
  const base = loadConfig(testGatewayEnv({ FTP_URL: urlOf(upstreams[0] as TreeUpstream), ...env }))
  const ms: MountConfig[] = mounts.map((m) => ({
    path: m.path,
    upstream: m.upstream,
    root: m.root ?? '',
    readOnly: m.readOnly ?? false,
    allow: m.allow ?? ['*'],
    write: m.write ?? ['*'],
  }))
  return {
    ...base,
    upstreams: ups,
    mounts: ms,
    serviceAccount: ups.every((u) => u.credentials !== 'passthrough'),
  }
}

/** Starts a gateway over the tree. */
export function startTreeGateway(
  upstreams: TreeUpstream[],
  mounts: TreeMount[],
  env: Record<string, string> = {},
  options: Parameters<typeof startGatewayWith>[1] & GatewayOptions = {},
): Promise<GatewayHandle> {
  return startGatewayWith(treeConfig(upstreams, mounts, env), options)
}
