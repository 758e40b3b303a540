/**
 * What a big folder costs the gateway process: a PROPFIND Depth 1 and the REST listing (all pages)
 * of folders of 1,000, 10,000 and 100,000 entries, cold (the first listing, through FTP) and warm
 * (from the metadata cache), with the time and the gateway's peak RSS growth (VmHWM from
 * /proc/<pid>/status, so a spike between samples still counts). The gateway runs as its own process
 * in front of the embedded FTP server (MLSD), whose 100,000 empty files are made in a temp folder:
 * the case isolates the gateway's own memory, which vsftpd's listing limits would not let it do.
 *
 *   npx tsx bench/listing-memory.ts                 1k, 10k and 100k
 *   npx tsx bench/listing-memory.ts --counts 100000
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LocalFtpServer } from '../src/local-server/index.js'
import { spawnGateway } from '../test/helpers/process-gateway.js'

const args = process.argv.slice(2)
const countsArg = args[args.indexOf('--counts') + 1]
const counts =
  args.includes('--counts') && countsArg ? countsArg.split(',').map(Number) : [1000, 10_000, 100_000]

const MiB = 1024 * 1024
const auth = `Basic ${Buffer.from('u:p').toString('base64')}`

/** VmRSS and VmHWM of a process, in MiB. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0) / 1024
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') }
}

/** Runs `fn` and returns its time (ms) and the bytes it reports. */
async function timed(fn: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const t = performance.now()
  const bytes = await fn()
  return { ms: performance.now() - t, bytes }
}

async function drain(r: Response): Promise<number> {
  let bytes = 0
  for await (const c of r.body as ReadableStream<Uint8Array>) bytes += c.length
  return bytes
}

const rows: string[] = []
for (const count of counts) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ftpgw-listing-'))
  mkdirSync(path.join(root, 'big'))
  for (let i = 0; i < count; i++)
    writeFileSync(path.join(root, 'big', `file-${String(i).padStart(6, '0')}.dat`), '')
  const server = new LocalFtpServer({ root, users: { u: 'p' } })
  const { port } = await server.listen()
  for (const face of ['propfind', 'rest'] as const) {
    // A fresh gateway per face: the peak (VmHWM) only ever grows.
    const gw = await spawnGateway({
      env: { FTP_URL: `ftp://127.0.0.1:${port}`, CACHE_TTL_MS: '600000', RATE_LIMIT_MAX: '0' },
    })
    try {
      const once = (): Promise<number> =>
        face === 'propfind'
          ? fetch(`${gw.url}/dav/big/`, {
              method: 'PROPFIND',
              headers: { authorization: auth, depth: '1' },
            }).then(drain)
          : (async () => {
              let bytes = 0
              let cursor: string | null = null
              do {
                const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
                const r = await fetch(`${gw.url}/api/v1/dirs/big?limit=10000${q}`, {
                  headers: { authorization: auth },
                })
                const text = await r.text()
                bytes += text.length
                cursor = (JSON.parse(text) as { next: string | null }).next
              } while (cursor)
              return bytes
            })()
      // Warm the process (JIT, pools) on a small request first.
      await fetch(`${gw.url}/api/v1/dirs/`, { headers: { authorization: auth } }).then((r) => r.text())
      const base = memoryOf(gw.pid).rss
      const cold = await timed(once)
      const afterCold = memoryOf(gw.pid).hwm
      const warm = await timed(once)
      const afterWarm = memoryOf(gw.pid).hwm
      rows.push(
        `| ${count.toLocaleString('en')} | ${face} | ${(cold.bytes / MiB).toFixed(1)} MiB | ${cold.ms.toFixed(0)} ms | ${warm.ms.toFixed(0)} ms | ${(afterCold - base).toFixed(0)} MiB | ${(afterWarm - base).toFixed(0)} MiB |`,
      )
      console.log(rows.at(-1))
    } finally {
      await gw.stop()
    }
  }
  await server.close()
  rmSync(root, { recursive: true, force: true })
}

console.log('\n| entries | face | body | cold | warm | peak RSS growth, cold | peak RSS growth, warm |')
console.log('|---|---|---|---|---|---|---|')
for (const r of rows) console.log(r)
