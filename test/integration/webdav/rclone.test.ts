/** rclone's WebDAV client round-trips a 200-file tree through /dav/ onto vsftpd, compared byte for byte. */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { type RunningGateway, runCommand, startGateway } from './harness.js'

const NAMES = ['plain', 'with space', 'Grüße', '日本語', 'emoji 🎉', 'ça va']

describe('rclone over /dav/', () => {
  let ftp: FtpServerHandle
  let gw: RunningGateway
  let local: string
  let env: NodeJS.ProcessEnv
  const files = new Map<string, Buffer>()

  const rclone = async (...args: string[]) => {
    const r = await runCommand('rclone', [...args, '--retries', '1', '--low-level-retries', '2'], {
      env,
      timeoutMs: 60_000,
    })
    if (r.code !== 0) throw new Error(`rclone ${args.join(' ')} failed (${r.code}): ${r.stderr}`)
    return r.stdout
  }

  beforeAll(async () => {
    ftp = await startVsftpd()
    gw = await startGateway(ftp)
    local = await mkdtemp(path.join(tmpdir(), 'ftpgw-rclone-'))
    // 200 files over nested directories, named with spaces and non-ASCII characters.
    for (let i = 0; i < 200; i++) {
      const dir = path.join(NAMES[i % NAMES.length] as string, `sub ${i % 4}`)
      const rel = path.join(dir, `${NAMES[(i + 1) % NAMES.length]} ${i}.bin`)
      const body = randomBytes(1 + ((i * 7919) % 20_000))
      files.set(rel, body)
      await mkdir(path.join(local, 'src', dir), { recursive: true })
      await writeFile(path.join(local, 'src', rel), body)
    }
    const obscured = await runCommand('rclone', ['obscure', ftp.password])
    env = {
      RCLONE_CONFIG: path.join(local, 'rclone.conf'),
      RCLONE_CONFIG_GW_TYPE: 'webdav',
      RCLONE_CONFIG_GW_URL: gw.url,
      RCLONE_CONFIG_GW_VENDOR: 'other',
      RCLONE_CONFIG_GW_USER: ftp.user,
      RCLONE_CONFIG_GW_PASS: obscured.stdout.trim(),
    }
  })
  afterAll(async () => {
    await gw?.gateway.close(100)
    await ftp?.stop()
    if (local) await rm(local, { recursive: true, force: true })
  })

  it('copies, checks, lists, deletes and moves', { timeout: 85_000 }, async () => {
    await rclone('copy', path.join(local, 'src'), 'gw:tree', '--transfers', '4')
    // Byte comparison through the gateway (downloads every file) ...
    await rclone('check', path.join(local, 'src'), 'gw:tree', '--download')
    // ... and on vsftpd's disk.
    for (const [rel, body] of files) {
      expect((await readFile(path.join(ftp.root, 'tree', rel))).equals(body), rel).toBe(true)
    }

    const listing = JSON.parse(await rclone('lsjson', '-R', '--files-only', 'gw:tree')) as Array<{
      Path: string
      Size: number
    }>
    expect(listing).toHaveLength(200)
    const sizes = new Map(listing.map((e) => [e.Path, e.Size]))
    for (const [rel, body] of files) expect(sizes.get(rel.split(path.sep).join('/')), rel).toBe(body.length)

    const [first, second] = [...files.keys()] as [string, string]
    await rclone('deletefile', `gw:tree/${first}`)
    await expect(readFile(path.join(ftp.root, 'tree', first))).rejects.toThrow()

    const target = 'moved/日本語 target.bin'
    await rclone('moveto', `gw:tree/${second}`, `gw:tree/${target}`)
    await expect(readFile(path.join(ftp.root, 'tree', second))).rejects.toThrow()
    expect((await readFile(path.join(ftp.root, 'tree', target))).equals(files.get(second) as Buffer)).toBe(
      true,
    )

    // Back down again, compared on the local disk.
    await rclone('copy', 'gw:tree', path.join(local, 'back'))
    const back = await readFile(path.join(local, 'back', target))
    expect(back.equals(files.get(second) as Buffer)).toBe(true)
    const third = [...files.keys()][2] as string
    expect((await readFile(path.join(local, 'back', third))).equals(files.get(third) as Buffer)).toBe(true)
  })
})
