/**
 * The tree with WebDAV clients and big files (issue 17): litmus 104/104 inside a mount below `/`
 * (vsftpd at /drive, Pure-FTPd at /), and a 1 GiB copy and move between the two servers streamed
 * through the gateway with its memory flat.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chown, open, stat } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle } from '../../helpers/gateway.js'
import { rssGrowthDuring } from '../../helpers/rss.js'
import { type FtpServerHandle, startPureFtpd, startVsftpd } from '../../helpers/servers/index.js'
import { startTreeGateway } from '../../helpers/tree.js'
import { runLitmus } from '../webdav/harness.js'

const GIB = 1024 * 1024 * 1024

let drive: FtpServerHandle
let pure: FtpServerHandle
let gw: GatewayHandle

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Writes `bytes` of varied content (a random block, each MiB stamped with its index). */
async function writeBig(file: string, bytes: number): Promise<void> {
  const block = Buffer.alloc(1 << 20)
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i)
  const fh = await open(file, 'w')
  try {
    for (let off = 0; off < bytes; off += block.length) {
      block.writeUInt32LE(off / block.length, 0)
      await fh.write(block, 0, Math.min(block.length, bytes - off), off)
    }
  } finally {
    await fh.close()
  }
}

beforeAll(async () => {
  ;[drive, pure] = await Promise.all([startVsftpd(), startPureFtpd()])
  gw = await startTreeGateway(
    [
      { name: 'pure', server: pure, service: true },
      { name: 'drive', server: drive },
    ],
    [
      { path: '/', upstream: 'pure' },
      { path: '/drive', upstream: 'drive' },
    ],
    { FTP_POOL_MAX: '8' },
  )
}, 60_000)

afterAll(async () => {
  await gw?.close()
  await Promise.all([drive?.stop(), pure?.stop()])
})

describe('WebDAV inside a mount', () => {
  it('passes litmus 104/104 in /dav/drive/ (a mount below /)', { timeout: 120_000 }, async () => {
    const { summary, output } = await runLitmus(`${gw.url}/dav/drive/`, drive.user, drive.password)
    expect(summary.failures, output).toEqual([])
    expect(summary.passed).toBe(104)
  })
})

describe('1 GiB between two servers', () => {
  it('copies then moves it across, byte for byte, with the gateway memory flat', {
    timeout: 240_000,
  }, async () => {
    const source = path.join(drive.root, 'big.bin')
    await writeBig(source, GIB)
    await chown(source, drive.uid, drive.gid)
    const want = await sha256(source)
    const auth = { authorization: basicAuth(drive.user, drive.password) }

    const copyGrowth = await rssGrowthDuring(async () => {
      const res = await fetch(`${gw.url}/api/v1/copy`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ from: '/drive/big.bin', to: '/big.bin' }),
      })
      expect(res.status, await res.text()).toBeLessThan(300)
    })
    const copied = path.join(pure.root, 'big.bin')
    expect((await stat(copied)).size).toBe(GIB)
    expect(await sha256(copied)).toBe(want)
    expect((await stat(source)).size).toBe(GIB)

    const moveGrowth = await rssGrowthDuring(async () => {
      const res = await fetch(`${gw.url}/dav/big.bin`, {
        method: 'MOVE',
        headers: { ...auth, destination: `${gw.url}/dav/drive/back.bin` },
      })
      expect(res.status).toBe(201)
    })
    const back = path.join(drive.root, 'back.bin')
    expect(await sha256(back)).toBe(want)
    await expect(stat(copied)).rejects.toThrow()

    // Streamed: a copy held in memory would add 1 GiB; buffers in flight are a few MiB. What grows
    // is garbage not yet collected, more on Node 24 (a larger young generation) under coverage,
    // where this runs (102 MiB seen), as for the folder zip (zip-download.test.ts).
    console.log(
      `1 GiB across servers: RSS growth copy ${(copyGrowth / 2 ** 20).toFixed(0)} MiB, move ${(moveGrowth / 2 ** 20).toFixed(0)} MiB`,
    )
    expect(copyGrowth).toBeLessThan(256 * 2 ** 20)
    expect(moveGrowth).toBeLessThan(256 * 2 ** 20)
  })

  it('leaves nothing at the destination and the source whole when the copy cannot finish', async () => {
    const auth = { authorization: basicAuth(drive.user, drive.password) }
    // The destination's folder does not exist: refused before a byte is read.
    const res = await fetch(`${gw.url}/api/v1/move`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '/drive/back.bin', to: '/no/such/dir/x.bin' }),
    })
    expect(res.status).toBe(409)
    expect((await stat(path.join(drive.root, 'back.bin'))).size).toBe(GIB)
  })
})
