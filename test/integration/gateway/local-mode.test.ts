/**
 * The README's newcomer path, with curl as the client: no FTP_URL, no Redis, a fresh working
 * folder. The gateway starts its embedded FTP server over DATA_DIR, and the README's commands work
 * as printed: upload (201), list, Range download (206), then a conditional request with the ETag
 * (304). Nothing on the way may wait on a timer: no Redis to reach, no warning or error logged (a
 * retry or a timeout would log one); the test's timeout only guards against a hang.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ProcessGateway, pickFreePort, spawnGateway } from '../../helpers/process-gateway.js'

let work: string
let gw: ProcessGateway | undefined

/** Runs curl; resolves with stdout (curl exits non-zero only on transport errors with -s). */
function curl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      ['-sS', '--max-time', '20', ...args],
      { encoding: 'utf8', maxBuffer: 16 << 20 },
      (err, out, errOut) =>
        err ? reject(new Error(`curl ${args.join(' ')}: ${err.message} ${errOut}`)) : resolve(out),
    )
  })
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'ftpgw-local-mode-'))
})

afterAll(async () => {
  const end = await gw?.stop()
  expect(end?.code).toBe(0)
  await rm(work, { recursive: true, force: true })
})

describe('local mode, as the README shows it', () => {
  it('starts with no FTP_URL and serves curl: upload, list, Range, 304', async () => {
    const spawnedAt = Date.now()
    const dataDir = path.join(work, 'data-dir')
    const port = await pickFreePort()
    // Nothing from this test process leaks in: no REDIS_URL, no FTP_URL (spawnGateway's env is minimal).
    gw = await spawnGateway({ cwd: work, env: { PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' } })
    const base = `http://127.0.0.1:${port}`
    expect(gw.url).toBe(base)
    // The help the README promises is printed, with this address in it.
    expect(gw.output()).toContain(`curl -u demo:demo -T README.md ${base}/api/v1/files/readme.md`)

    const readme = Buffer.concat([Buffer.from('# hello from the newcomer test\n'), randomBytes(4000)])
    await writeFile(path.join(work, 'README.md'), readme)

    const upload = await curl(
      '-u',
      'demo:demo',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-T',
      path.join(work, 'README.md'),
      `${base}/api/v1/files/readme.md`,
    )
    expect(upload).toBe('201')
    expect((await readFile(path.join(dataDir, 'readme.md'))).equals(readme)).toBe(true)

    const listing = JSON.parse(await curl('-u', 'demo:demo', `${base}/api/v1/dirs/`)) as {
      entries: Array<{ name: string; size: number }>
    }
    expect(listing.entries).toContainEqual(
      expect.objectContaining({ name: 'readme.md', size: readme.length }),
    )

    const rangeHeaders = path.join(work, 'range-headers.txt')
    const range = await curl(
      '-u',
      'demo:demo',
      '-r',
      '0-99',
      '-D',
      rangeHeaders,
      `${base}/api/v1/files/readme.md`,
    )
    const rh = await readFile(rangeHeaders, 'utf8')
    expect(rh).toMatch(/^HTTP\/1\.1 206/)
    expect(rh.toLowerCase()).toContain(`content-range: bytes 0-99/${readme.length}`)
    expect(Buffer.from(range, 'latin1').length).toBeGreaterThan(0)
    expect(range.startsWith('# hello from the newcomer test')).toBe(true)

    const etag = /^etag: (.+)\r$/im.exec(rh)?.[1]
    expect(etag).toBeDefined()
    const conditional = await curl(
      '-u',
      'demo:demo',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      `If-None-Match: ${etag}`,
      `${base}/api/v1/files/readme.md`,
    )
    expect(conditional).toBe('304')

    const attachment = await curl(
      '-u',
      'demo:demo',
      '-o',
      '/dev/null',
      '-D',
      '-',
      `${base}/api/v1/files/readme.md?download=1`,
    )
    expect(attachment.toLowerCase()).toContain('content-disposition: attachment')

    const totalMs = Date.now() - spawnedAt
    console.info(
      `local-mode: ready after ${gw.readyAfterMs} ms; README walk-through done ${totalMs} ms after spawn`,
    )
    // The fast path all along: the embedded server and in-memory state, and not one warning or
    // error (each retry, refused connection or timeout on the way logs at warn or above).
    const records = gw
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; mode?: string; store?: string })
    expect(records.find((r) => r.msg === 'ftp-gateway listening')).toMatchObject({
      mode: 'local',
      store: 'memory',
    })
    expect(records.filter((r) => r.level >= 40)).toEqual([])
  })
})
