/**
 * Engine vs curl: RETR of one large file from vsftpd on loopback, into a discarding sink. Runs
 * alternate (engine, curl, engine, …) so both see the same machine state; prints each run, the
 * medians and `engine/curl ratio: N.NN`. `--short` (CI) uses a small file and one run, and
 * enforces nothing. Options: --size-mib N, --runs N.
 */
import { execFile } from 'node:child_process'
import { chownSync, closeSync, ftruncateSync, openSync } from 'node:fs'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { promisify } from 'node:util'
import { FtpSession } from '../src/ftp/index.js'
import { startVsftpd } from '../test/helpers/servers/index.js'

const execFileP = promisify(execFile)
const args = process.argv.slice(2)
const short = args.includes('--short')
const opt = (name: string, def: number) => {
  const i = args.indexOf(name)
  return i === -1 ? def : Number(args[i + 1])
}
const sizeMiB = opt('--size-mib', short ? 64 : 1024)
const runs = opt('--runs', short ? 1 : 5)
const bytes = sizeMiB * 1024 * 1024

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const gbps = (b: number, ms: number) => b / (ms / 1000) / 1e9

async function main(): Promise<void> {
  const srv = await startVsftpd()
  try {
    const file = path.join(srv.root, 'bench.bin')
    // A sparse file: both readers get the same bytes from the page cache, so the network path is measured.
    const fd = openSync(file, 'w')
    ftruncateSync(fd, bytes)
    closeSync(fd)
    chownSync(file, srv.uid, srv.gid)
    const session = await FtpSession.connect({
      host: srv.host,
      port: srv.port,
      user: srv.user,
      password: srv.password,
    })

    const engineRun = async () => {
      const t0 = performance.now()
      const stream = await session.download('/bench.bin', { expectedSize: bytes })
      let got = 0
      stream.on('data', (c: Buffer) => {
        got += c.length
      })
      // finished() waits for 'close' too: the session is free again only then.
      await finished(stream)
      if (got !== bytes) throw new Error(`engine read ${got} of ${bytes}`)
      return performance.now() - t0
    }
    const curlRun = async () => {
      const url = `ftp://${srv.user}:${srv.password}@${srv.host}:${srv.port}/bench.bin`
      const { stdout } = await execFileP('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{size_download} %{time_total} %{time_pretransfer}',
        url,
      ])
      const [size, total, pre] = stdout.trim().split(' ').map(Number)
      if (size !== bytes) throw new Error(`curl read ${size} of ${bytes}`)
      // Leave out curl's connect and login so both sides measure the transfer itself.
      return (total! - pre!) * 1000
    }

    await engineRun() // warm the page cache and the session
    const engine: number[] = []
    const curl: number[] = []
    for (let i = 0; i < runs; i++) {
      engine.push(await engineRun())
      curl.push(await curlRun())
      console.log(
        `run ${i + 1}: engine ${gbps(bytes, engine[i]!).toFixed(2)} GB/s, curl ${gbps(bytes, curl[i]!).toFixed(2)} GB/s`,
      )
    }
    const e = gbps(bytes, median(engine))
    const c = gbps(bytes, median(curl))
    console.log(
      `\n| ${sizeMiB} MiB RETR from vsftpd | median GB/s |\n|---|---|\n| engine | ${e.toFixed(2)} |\n| curl | ${c.toFixed(2)} |`,
    )
    console.log(`engine/curl ratio: ${(e / c).toFixed(2)}`)
    if (short)
      console.log(
        '(short form: a small file and one run keep this from rotting; the ratio is only meaningful at 1 GiB)',
      )
    await session.close()
  } finally {
    await srv.stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
