/**
 * A folder zip whose FTP server dies mid-way (issue 20): the download must end as an error (the
 * response cut, no central directory), never as a clean zip missing files; `unzip -t` of what
 * arrived fails. The zip metrics and the audit line say it failed. Also: a file that grew past
 * ZIP_MAX_BYTES after it was listed ends the zip the same way.
 */
import { execFile } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { captureLogs } from '../../helpers/log-capture.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { patternStream } from '../../helpers/tus.js'
import { centralEntries } from '../../helpers/zip.js'

const run = promisify(execFile)
const MIB = 1024 * 1024

let server: FtpServerHandle
let gw: GatewayHandle
let work: string
const logs = captureLogs('info')

/** What a download got: the bytes saved to `file`, and whether the response ended cleanly. */
interface Download {
  status: number
  bytes: number
  clean: boolean
}

/** Downloads `url` into `file`; `onBytes` sees the running count (to break things mid-way). */
function download(url: string, file: string, onBytes: (n: number) => void = () => {}): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { headers: { authorization: basicAuth(server.user, server.password) } },
      (res) => {
        const out = createWriteStream(file)
        let bytes = 0
        let clean = false
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          onBytes(bytes)
        })
        res.on('end', () => {
          clean = res.complete
        })
        res.pipe(out)
        // 'close' comes either way: after a clean end, or when the connection is cut mid-body.
        res.on('close', () => {
          out.end(() => resolve({ status: res.statusCode ?? 0, bytes, clean: clean && res.complete }))
        })
        res.on('error', () => undefined)
      },
    )
    req.on('error', reject)
  })
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return Number(line?.split(' ')[1] ?? Number.NaN)
}

beforeAll(async () => {
  server = await startVsftpd()
  work = await mkdtemp(path.join(os.tmpdir(), 'ftpgw-zipfail-'))
  const folder = path.join(server.root, 'f')
  await mkdir(folder)
  await writeFile(path.join(folder, 'a.txt'), 'first')
  await pipeline(patternStream(300 * MIB, 3), createWriteStream(path.join(folder, 'm-big.bin')))
  await writeFile(path.join(folder, 'z.txt'), 'last')
  await mkdir(path.join(server.root, 'grows'))
  await writeFile(path.join(server.root, 'grows', 'g.bin'), Buffer.alloc(1000))
  await run('chown', ['-R', `${server.uid}:${server.gid}`, server.root])
  // Listings cached for a minute: the cap test changes a file behind the cache's back.
  gw = await startGateway(
    server,
    { ZIP_MAX_BYTES: String(400 * MIB), CACHE_TTL_MS: '60000' },
    { logger: logs.logger },
  )
}, 120_000)

afterAll(async () => {
  await gw?.close()
  await server?.stop()
  if (work) await rm(work, { recursive: true, force: true })
})

describe('a zip that cannot be finished', () => {
  it('ends the response as an error when a file grows past ZIP_MAX_BYTES after it was listed', async () => {
    // Listed (and cached) at 1000 bytes, then grown past the cap on the server's disk.
    expect(
      (
        await fetch(`${gw.url}/api/v1/dirs/grows`, {
          headers: { authorization: basicAuth(server.user, server.password) },
        })
      ).status,
    ).toBe(200)
    await pipeline(
      patternStream(401 * MIB, 5),
      createWriteStream(path.join(server.root, 'grows', 'g.bin'), { flags: 'a' }),
    )
    const file = path.join(work, 'grows.zip')
    const got = await download(`${gw.url}/api/v1/zip/grows`, file)
    expect(got.status).toBe(200)
    expect(got.clean).toBe(false)
    await expect(centralEntries(file)).rejects.toThrow()
    await expect(run('unzip', ['-t', file])).rejects.toThrow()
  })

  it('lets go of the FTP transfer when the client leaves mid-zip, and counts the zip as aborted', async () => {
    const abortedBefore = await metric('ftpgw_zip_downloads_total{outcome="aborted"}')
    await new Promise<void>((resolve, reject) => {
      const req = http.get(
        `${gw.url}/api/v1/zip/f`,
        { headers: { authorization: basicAuth(server.user, server.password) } },
        (res) => {
          let bytes = 0
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length
            if (bytes > 20 * MIB) req.destroy()
          })
          res.on('error', () => undefined)
          res.on('close', () => resolve())
        },
      )
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)))
    })
    await expect.poll(() => metric('ftpgw_zip_downloads_total{outcome="aborted"}')).toBe(abortedBefore + 1)
    // The session went back to the pool (or was dropped): nothing stays checked out.
    await expect.poll(() => metric('ftpgw_pool_sessions_busy{upstream="default"}')).toBe(0)
    const again = await fetch(`${gw.url}/api/v1/files/f/a.txt`, {
      headers: { authorization: basicAuth(server.user, server.password) },
    })
    expect(await again.text()).toBe('first')
  })

  it('ends the response as an error when the FTP server dies mid-file: no central directory, unzip fails', {
    timeout: 120_000,
  }, async () => {
    const mark = logs.records.length
    const failuresBefore = await metric('ftpgw_zip_downloads_total{outcome="failure"}')
    const file = path.join(work, 'f.zip')
    let killed = false
    const got = await download(`${gw.url}/api/v1/zip/f`, file, (n) => {
      if (!killed && n > 50 * MIB) {
        killed = true
        server.kill('SIGKILL')
      }
    })
    expect(killed).toBe(true)
    expect(got.status).toBe(200)
    expect(got.clean).toBe(false)
    expect(got.bytes).toBeLessThan(300 * MIB)
    await expect(centralEntries(file)).rejects.toThrow()
    await expect(run('unzip', ['-t', file])).rejects.toThrow()

    // Counted and audited as a failure (the response's end is reported once the zip closed).
    await expect.poll(() => metric('ftpgw_zip_downloads_total{outcome="failure"}')).toBe(failuresBefore + 1)
    const audit = logs.since(mark).find((r) => r.audit === true && r.action === 'zip')
    expect(audit).toMatchObject({ path: '/f', outcome: 'failure', user: server.user })
    expect(Number(audit?.size)).toBeGreaterThan(50 * MIB)
  })
})
