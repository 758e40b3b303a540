/**
 * The small estate the OpenID tests share: a vsftpd whose service account serves `/team` (for
 * group `staff`) and `/ops` (for group `ops`), and optionally the same server again at `/direct`
 * without a service account (passthrough, which a person signed in by OIDC cannot use).
 */
import { chown, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { FtpServerHandle } from './servers/index.js'

/** Writes `rel` (folders made as needed) under the server's root, owned by its FTP user. */
export async function writeOwned(server: FtpServerHandle, rel: string, text: string): Promise<void> {
  const file = path.join(server.root, rel)
  await mkdir(path.dirname(file), { recursive: true })
  await chown(path.dirname(file), server.uid, server.gid)
  await writeFile(file, text)
  await chown(file, server.uid, server.gid)
}

/**
 * The estate's GATEWAY_CONFIG file, for the provider's issuer and client; `direct` adds the
 * passthrough upstream at `/direct`.
 */
export function teamEstateYaml(
  server: FtpServerHandle,
  idp: { issuer: string; clientId: string; clientSecret: string },
  withDirect: 'direct' | 'no-direct',
): string {
  const o = { ...idp, direct: withDirect === 'direct' }
  const account = `${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}`
  const direct = o.direct ? `  direct:\n    url: ftp://127.0.0.1:${server.port}\n` : ''
  const directMount = o.direct ? '  - path: /direct\n    upstream: direct\n' : ''
  return `oidc:
  issuer: ${o.issuer}
  clientId: ${o.clientId}
  clientSecret: ${o.clientSecret}
upstreams:
  vs:
    url: ftp://${account}@127.0.0.1:${server.port}
${direct}mounts:
  - path: /team
    upstream: vs
    root: team
    allow: [group:staff]
  - path: /ops
    upstream: vs
    root: ops
    allow: [group:ops]
${directMount}`
}
