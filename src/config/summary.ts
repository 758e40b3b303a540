/**
 * A configuration in a few lines, for people: what `check-config FILE` prints when the file is
 * valid, and what the start-up log could say. Never a secret (no password, no Redis URL
 * credentials, no session secret).
 */
import type { GatewayConfig } from '../config.js'

const SCHEMES = { none: 'ftp', explicit: 'ftpes', implicit: 'ftps' } as const

/** One line per upstream and per mount, then the environment's overrides. */
export function summarizeConfig(config: GatewayConfig): string[] {
  const lines: string[] = []
  if (config.configFile !== undefined) lines.push(`config file ${config.configFile}`)
  lines.push(
    `listens on ${config.host}:${config.port}; state ${config.redisUrl === undefined && config.redisSentinels === undefined && config.redisClusterNodes === undefined ? 'in memory (one instance)' : 'in Redis'}`,
  )
  for (const u of config.upstreams) {
    const account = u.serviceAccount ? ` as ${u.url.user} (service account)` : ' (users log in as themselves)'
    const flags = [
      u.readOnly && 'read-only',
      u.encoding !== 'utf8' && u.encoding,
      u.timezone !== 'UTC' && u.timezone,
    ]
      .filter((f): f is string => typeof f === 'string')
      .join(', ')
    lines.push(
      `upstream ${u.name}: ${SCHEMES[u.url.secure]}://${u.url.host}:${u.url.port}${u.url.root ?? ''}${account}${flags ? `; ${flags}` : ''}`,
    )
  }
  for (const m of config.mounts) {
    const rules = `allow ${m.allow.join(' ') || 'nobody'}, write ${m.write.join(' ') || 'nobody'}`
    lines.push(`mount ${m.path} -> ${m.upstream}:/${m.root}${m.readOnly ? ' (read-only)' : ''}; ${rules}`)
  }
  if (config.oidc !== undefined) {
    const o = config.oidc
    lines.push(
      `Bearer JWTs from ${o.issuer} for audience ${o.audience} (person: ${o.usernameClaim}, groups: ${o.groupsClaim})`,
    )
  }
  if (config.overriddenByEnv.length > 0)
    lines.push(`the environment overrides: ${config.overriddenByEnv.join(', ')}`)
  return lines
}
