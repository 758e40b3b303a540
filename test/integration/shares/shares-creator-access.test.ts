/**
 * A share is checked against its creator's access at every use, over real vsftpd:
 * - mount rules: a link to a file in a mount stops working (404, no FTP command) once a reload
 *   takes the creator off the mount's `allow` list, and works again when the rule gives the access
 *   back (it was never revoked, only refused);
 * - the path: a deleted file's link is 404;
 * - credentials: once the creator's FTP password changes on the server, the next use after
 *   FTP_REVERIFY_MS logs in afresh as the creator, is refused, and the link answers 404.
 */
import { execFileSync } from 'node:child_process'
import { unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FtpCommandEvent, onFtpCommand } from '../../../src/ftp/index.js'
import { basicAuth, type GatewayHandle, testKeyPrefix } from '../../helpers/gateway.js'
import { startVsftpd, type VsftpdHandle } from '../../helpers/servers/index.js'
import { startTreeGateway, type TreeMount, type TreeUpstream, treeConfig } from '../../helpers/tree.js'
import { waitFor } from '../../helpers/wait-for.js'

// A user of this file alone: its password is changed during the test.
const CREATOR = { name: 'ftpgw-share-creator', password: 'creator-pw-T4n8' }

describe('a share follows its creator’s access', () => {
  let server: VsftpdHandle
  let gw: GatewayHandle
  let upstreams: TreeUpstream[]
  let home: string
  const env = {
    REDIS_KEY_PREFIX: testKeyPrefix('share-access'),
    SESSION_SECRET: 'share-creator-access-secret-0123',
  }
  const commands: FtpCommandEvent[] = []
  let unsubscribe: () => void

  const team = (allow: NonNullable<TreeMount['allow']>): TreeMount[] => [
    { path: '/team', upstream: 'main', allow },
  ]

  async function share(user: string, password: string, filePath: string): Promise<string> {
    const made = await fetch(`${gw.url}/api/v1/shares`, {
      method: 'POST',
      headers: { authorization: basicAuth(user, password), 'content-type': 'application/json' },
      body: JSON.stringify({ path: filePath, kind: 'read' }),
    })
    expect(made.status).toBe(201)
    return ((await made.json()) as { id: string }).id
  }

  beforeAll(async () => {
    server = await startVsftpd({ users: [CREATOR] })
    home = server.users[0]!.root
    await writeFile(path.join(server.root, 'doc.txt'), 'team document')
    await writeFile(path.join(home, 'mine.txt'), 'the creator’s file')
    await writeFile(path.join(home, 'gone.txt'), 'soon gone')
    // Sessions of one credential are reused only 200 ms after its last login: a changed password shows quickly.
    upstreams = [{ name: 'main', server, settings: { reverifyMs: 200 } }]
    gw = await startTreeGateway(upstreams, team([`user:${server.user}`, `user:${CREATOR.name}`]), env)
    unsubscribe = onFtpCommand((e) => commands.push(e))
  }, 60_000)
  afterAll(async () => {
    unsubscribe?.()
    await gw?.close()
    await server?.stop()
  })

  it('stops working when a reload takes the creator off the mount, and works again when it is back', async () => {
    const id = await share(server.user, server.password, '/team/doc.txt')
    const get = () => fetch(`${gw.url}/s/${id}/download`)
    expect(await (await get()).text()).toBe('team document')

    await gw.gateway.reload(treeConfig(upstreams, team([`user:${CREATOR.name}`]), env))
    const before = commands.length
    const refused = await get()
    expect(refused.status).toBe(404)
    expect(await refused.text()).not.toContain('team document')
    // The rule decided it: no FTP command went out for the refused use.
    expect(commands.slice(before).map((c) => c.command)).toEqual([])

    await gw.gateway.reload(treeConfig(upstreams, team([`user:${server.user}`, `user:${CREATOR.name}`]), env))
    const back = await get()
    expect(back.status).toBe(200)
    expect(await back.text()).toBe('team document')
  })

  it('stops working when the path is gone', async () => {
    const id = await share(CREATOR.name, CREATOR.password, '/team/gone.txt')
    expect((await fetch(`${gw.url}/s/${id}/download`)).status).toBe(200)
    await unlink(path.join(home, 'gone.txt'))
    expect(
      await waitFor(async () => (await fetch(`${gw.url}/s/${id}/download`)).status === 404, 10_000),
    ).toBe(true)
  })

  it('stops working when the creator’s FTP password changes on the server', async () => {
    const id = await share(CREATOR.name, CREATOR.password, '/team/mine.txt')
    expect((await fetch(`${gw.url}/s/${id}/download`)).status).toBe(200)
    execFileSync('chpasswd', { input: `${CREATOR.name}:changed-pw-1\n` })
    try {
      const refused = async () => {
        const res = await fetch(`${gw.url}/s/${id}/download`)
        return res.status === 404 && !res.headers.has('www-authenticate')
      }
      expect(await waitFor(refused, 15_000, 100)).toBe(true)
    } finally {
      execFileSync('chpasswd', { input: `${CREATOR.name}:${CREATOR.password}\n` })
    }
  })
})
