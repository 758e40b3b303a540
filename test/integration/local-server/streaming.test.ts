import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { curl } from '../../helpers/client-tools.js'
import { startServer, type TestServer } from '../../helpers/local-server.js'

const SIZE = 50 * 1024 * 1024

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256')
  await pipeline(createReadStream(file), h)
  return h.digest('hex')
}

// Garbage buffers not yet collected would dominate RSS; collecting before each sample measures
// what is actually held, which is what a buffering server would show.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

interface Memory {
  rss: number
  /** JS heap plus Buffer memory: what the process really holds after a GC. */
  live: number
}

function sample(): Memory {
  gc()
  const m = process.memoryUsage()
  return { rss: m.rss, live: m.heapUsed + m.arrayBuffers }
}

/** Growth of RSS and live memory over their values before `work`, sampled every 100 ms. */
async function growthDuring(work: () => Promise<unknown>): Promise<Memory> {
  const base = sample()
  const peak = { ...base }
  const take = (): void => {
    const m = sample()
    peak.rss = Math.max(peak.rss, m.rss)
    peak.live = Math.max(peak.live, m.live)
  }
  // Each sample is a full GC: every 20 ms left the server little time but collecting (a 50 MiB
  // transfer then outlasted curl's 60 s on a loaded machine).
  const timer = setInterval(take, 100)
  try {
    await work()
  } finally {
    clearInterval(timer)
  }
  take()
  return { rss: peak.rss - base.rss, live: peak.live - base.live }
}

describe('LocalFtpServer streams large files', () => {
  let t: TestServer
  let scratch: string
  let source: string
  let digest: string
  beforeAll(async () => {
    t = await startServer()
    scratch = await mkdtemp(path.join(tmpdir(), 'lfs-stream-'))
    source = path.join(scratch, 'source.bin')
    const h = createHash('sha256')
    const out = createWriteStream(source)
    for (let i = 0; i < SIZE / (1024 * 1024); i++) {
      const chunk = randomBytes(1024 * 1024)
      h.update(chunk)
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()))
    }
    await new Promise<void>((r) => out.end(() => r()))
    digest = h.digest('hex')
  }, 60_000)
  afterAll(async () => {
    await t.stop()
    await rm(scratch, { recursive: true, force: true })
  })

  it('uploads and downloads 50 MiB through curl without buffering it', async () => {
    const out = path.join(scratch, 'download.bin')
    const growth = await growthDuring(async () => {
      // Paced (2 s each way) so that samples fall all along a transfer that a buffering server would
      // hold whole for most of it.
      const up = await curl('--limit-rate', '25M', '-T', source, `${t.url}/big-upload.bin`)
      expect(up.code, up.stderr).toBe(0)
      const down = await curl('--limit-rate', '25M', '-o', out, `${t.url}/big-upload.bin`)
      expect(down.code, down.stderr).toBe(0)
    })
    expect(await sha256(path.join(t.root, 'big-upload.bin'))).toBe(digest)
    expect(await sha256(out)).toBe(digest)
    // A server that held the file whole would grow by at least 50 MiB; streaming stays at a few.
    expect(growth.rss).toBeLessThan(20 * 1024 * 1024)
    expect(growth.live).toBeLessThan(10 * 1024 * 1024)
  }, 150_000)
})
