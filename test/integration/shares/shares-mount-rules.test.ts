/**
 * A share is checked against its creator's access at every use, mount rules included: a link to a
 * file in a mount stops working (404, no FTP command) once a reload takes the creator off the
 * mount's `allow` list, and works again when the rule gives the access back (it was never revoked,
 * only refused). Over real vsftpd, one upstream mounted at /team.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FtpCommandEvent, onFtpCommand } from '../../../src/ftp/index.js'
import { basicAuth, type GatewayHandle, testKeyPrefix } from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { startTreeGateway, type TreeMount, type TreeUpstream, treeConfig } from '../../helpers/tree.js'

describe('a share under mount rules', () => {
  let server: FtpServerHandle
  let gw: GatewayHandle
  let upstreams: TreeUpstream[]
  const env = {
    REDIS_KEY_PREFIX: testKeyPrefix('share-rules'),
    SESSION_SECRET: 'share-mount-rules-secret-0123456',
  }
  const commands: FtpCommandEvent[] = []
  let unsubscribe: () => void

  const team = (allow: TreeMount['allow']): TreeMount[] => [{ path: '/team', upstream: 'main', allow }]

  beforeAll(async () => {
    server = await startVsftpd()
    await writeFile(path.join(server.root, 'doc.txt'), 'team document')
    upstreams = [{ name: 'main', server }]
    gw = await startTreeGateway(upstreams, team([`user:${server.user}`]), env)
    unsubscribe = onFtpCommand((e) => commands.push(e))
  }, 60_000)
  afterAll(async () => {
    unsubscribe?.()
    await gw?.close()
    await server?.stop()
  })

  it('stops working when a reload takes the creator off the mount, and works again when it is back', async () => {
    const made = await fetch(`${gw.url}/api/v1/shares`, {
      method: 'POST',
      headers: { authorization: basicAuth(server.user, server.password), 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/team/doc.txt', kind: 'read' }),
    })
    expect(made.status).toBe(201)
    const { id } = (await made.json()) as { id: string }
    const get = () => fetch(`${gw.url}/s/${id}/download`)
    expect(await (await get()).text()).toBe('team document')

    await gw.gateway.reload(treeConfig(upstreams, team(['user:somebody-else']), env))
    const before = commands.length
    const refused = await get()
    expect(refused.status).toBe(404)
    expect(await refused.text()).not.toContain('team document')
    // The rule decided it: no FTP command went out for the refused use.
    expect(commands.slice(before).map((c) => c.command)).toEqual([])

    await gw.gateway.reload(treeConfig(upstreams, team([`user:${server.user}`]), env))
    const back = await get()
    expect(back.status).toBe(200)
    expect(await back.text()).toBe('team document')
  })
})
