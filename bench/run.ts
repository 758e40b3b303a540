/**
 * `npm run bench`: ftp-gateway side by side with rclone (`serve http`, `serve webdav`) and direct
 * FTP (curl), all over one vsftpd on loopback. Cases run alternating between the peers with several
 * repetitions; medians and gateway/peer ratios go to a Markdown table, bench/results/latest.json
 * and bench/results/latest.md, with PASS/MISS per target (issue 6). Exit status is non-zero on a
 * miss only with --enforce.
 *
 * `--short` (CI): small files, one repetition, one-second wrk runs, nothing enforced, results to
 * bench/results/short.json only. With `--only`, the results go to bench/results/partial.json and
 * partial.md (latest.* stay the last full run) and the targets of cases not run are left out. Other options: --runs N, --transfer-runs N (1 GiB GET and PUT),
 * --size-mib N, --wrk-seconds N,
 * --pool-max N, --pool-max-total N, --levels 16,64,256, --only get,put,rps,propfind,memory,ttfb,cross,tus,trace
 * (`trace`, not in the default set: the same gateway with tracing off and on, bench/lib/trace-case.ts), --profile (writes the
 * gateway's --cpu-prof files to the run folder and keeps it).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePortRange, repoDir } from '../test/helpers/servers/common.js'
import { type FtpServerHandle, startPureFtpd, startVsftpd } from '../test/helpers/servers/index.js'
import { alternate, type Peers, runCases } from './lib/cases.js'
import { cleanupCross, runCrossCase, startCrossGateway } from './lib/cross-case.js'
import { type Child, freeTcpPort, killAll, run, startChild } from './lib/procs.js'
import { buildTargets, caseTable, prepareFiles, type Settings } from './lib/report.js'
import { holds, targetLines } from './lib/stats.js'
import { runTraceCase, startOtlpSink } from './lib/trace-case.js'

const args = process.argv.slice(2)
const short = args.includes('--short')
const opt = (name: string, def: number): number => {
  const i = args.indexOf(name)
  return i === -1 ? def : Number(args[i + 1])
}
const optStr = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}

const settings: Settings = {
  short,
  runs: opt('--runs', short ? 1 : 5),
  transferRuns: opt('--transfer-runs', short ? 1 : 9),
  sizeMiB: opt('--size-mib', short ? 32 : 1024),
  wrkSeconds: opt('--wrk-seconds', short ? 1 : 5),
  levels: optStr('--levels')?.split(',').map(Number) ?? [16, 64, 256],
  listEntries: 2000,
  warmPropfinds: short ? 2 : 5,
  memorySeconds: short ? 3 : 15,
  memoryReaders: 8,
  ttfbRuns: short ? 3 : 15,
  // A documented setting (README "Performance"): 16 sessions per identity lets one user's burst of
  // small GETs run 16 transfers at once; 64 in total leaves room for several users.
  poolMax: opt('--pool-max', 16),
  poolMaxTotal: opt('--pool-max-total', 64),
  only: optStr('--only')?.split(',') ?? ['get', 'put', 'rps', 'propfind', 'memory', 'ttfb', 'cross'],
}
const profile = args.includes('--profile')
const enforce = args.includes('--enforce')

// The whole run is bounded: the issue allows 10 minutes for the full form; CI's short form gets 3.
const deadlineMs = short ? 180_000 : 570_000
const deadline = setTimeout(() => {
  console.error(`bench: deadline of ${deadlineMs / 1000} s reached; stopping everything`)
  killAll()
  process.exit(3)
}, deadlineMs)
deadline.unref()
process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    killAll()
    process.exit(130)
  })

async function main(): Promise<void> {
  const started = Date.now()
  // Other work on this machine skews every peer's numbers; the load is recorded beside the results.
  const loadBefore = os.loadavg()[0]!
  if (loadBefore > 1) console.warn(`bench: load average is ${loadBefore.toFixed(2)}: results will be noisy`)
  const work = mkdtempSync(path.join(os.tmpdir(), 'ftpgw-bench-'))
  const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}`)
  const owned: Child[] = []
  let srv: FtpServerHandle | undefined
  try {
    // The gateway runs as its own compiled process, so its CPU and memory are its own.
    // BENCH_DIST_DIR: somewhere else (several worktrees sharing one .cache would overwrite each other).
    const dist = process.env.BENCH_DIST_DIR ?? path.join(repoDir, '.cache/bench-dist')
    log('building the gateway into .cache/bench-dist')
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', dist], {
      cwd: repoDir,
      stdio: 'inherit',
    })

    // rclone opens an FTP session per concurrent request: vsftpd needs room for 256 of them, each
    // with its own passive port, so the limits and the passive range are raised for every peer alike.
    const pasv = await freePortRange(600)
    // The server's files live in memory (tmpfs) when the machine has one: uploads of 1 GiB to disk
    // made every peer's PUT times swing by 2× with the kernel's writeback, which is not what the
    // case measures. Each peer and curl write to the same place.
    const tmpBefore = process.env.TMPDIR
    if (existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm'
    srv = await startVsftpd({
      config: {
        max_clients: '1000',
        max_per_ip: '1000',
        pasv_min_port: String(pasv[0]),
        pasv_max_port: String(pasv[1]),
        // Per-command logging costs vsftpd a write per command; it is off for every peer alike.
        log_ftp_protocol: 'NO',
        xferlog_enable: 'NO',
      },
    }).finally(() => {
      if (tmpBefore === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = tmpBefore
    })
    const files = prepareFiles(srv, work, settings)
    log(
      `vsftpd on ${srv.port}; ${settings.sizeMiB} MiB file, 1 KiB file, ${files.listDirs.length} × ${settings.listEntries}-entry dirs`,
    )

    // BENCH_GATEWAY_NODE_ARGS adds node flags to the gateway (e.g. --perf-basic-prof for `perf`).
    const nodeArgs = [
      // The gateway as shipped: the node flags of `npm start` (also the Dockerfile's CMD).
      ...shippedNodeFlags(),
      ...(profile ? ['--cpu-prof', '--cpu-prof-dir', path.join(work, 'prof')] : []),
      ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ]
    const startGatewayChild = async (name: string, extraEnv: Record<string, string>) => {
      const port = await freeTcpPort()
      const child = await startChild(
        name,
        process.execPath,
        [...nodeArgs, path.join(dist, 'main.js')],
        port,
        {
          PATH: process.env.PATH,
          HOST: '127.0.0.1',
          PORT: String(port),
          FTP_URL: `ftp://${srv!.host}:${srv!.port}`,
          LOG_LEVEL: 'warn',
          FTP_POOL_MAX: String(settings.poolMax),
          FTP_POOL_MAX_TOTAL: String(settings.poolMaxTotal),
          // No RATE_LIMIT_MAX override: the default counts only requests without credentials, and
          // every benchmark client signs in (issue 22: the defaults must not throttle real traffic).
          // wrk's 256 connections come from one address, like a load balancer's: no per-address cap.
          HTTP_MAX_CONNECTIONS_PER_ADDRESS: '0',
          ...extraEnv,
        },
        path.join(work, `${name}.log`),
      )
      owned.push(child)
      return child
    }
    const gw = await startGatewayChild('gateway', {})

    const rcloneConf = path.join(work, 'rclone.conf')
    writeFileSync(rcloneConf, '')
    const obscured = (await run('rclone', ['obscure', srv.password], 10_000)).trim()
    const rcloneEnv = {
      PATH: process.env.PATH,
      HOME: work,
      RCLONE_CONFIG_SRC_TYPE: 'ftp',
      RCLONE_CONFIG_SRC_HOST: srv.host,
      RCLONE_CONFIG_SRC_PORT: String(srv.port),
      RCLONE_CONFIG_SRC_USER: srv.user,
      RCLONE_CONFIG_SRC_PASS: obscured,
    }
    const startRclone = async (kind: 'http' | 'webdav') => {
      const port = await freeTcpPort()
      const child = await startChild(
        `rclone-${kind}`,
        'rclone',
        [
          'serve',
          kind,
          'src:',
          '--config',
          rcloneConf,
          '--addr',
          `127.0.0.1:${port}`,
          '--vfs-cache-mode',
          'off',
          // Same credentials as the gateway: every peer checks a Basic header on every request.
          '--user',
          srv!.user,
          '--pass',
          srv!.password,
        ],
        port,
        rcloneEnv,
        path.join(work, `rclone-${kind}.log`),
      )
      owned.push(child)
      return child
    }
    const peers: Peers = {
      srv,
      gw,
      rcloneHttp: await startRclone('http'),
      rcloneDav: await startRclone('webdav'),
      files,
    }
    const rcloneVersion = (await run('rclone', ['version'], 10_000)).split('\n')[0] ?? 'rclone'
    log(`gateway on ${gw.port} (pool ${settings.poolMax}/${settings.poolMaxTotal}), ${rcloneVersion}`)

    const results = await runCases(peers, settings, log)
    if (settings.only.includes('trace')) {
      const sink = await startOtlpSink()
      try {
        const traced = await startGatewayChild('gateway-traced', {
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          OTEL_SERVICE_NAME: 'ftp-gateway-bench',
        })
        log(`traced gateway on ${traced.port}, exporting to ${sink.url}`)
        const auth = `${srv.user}:${srv.password}`
        results.trace = await runTraceCase(gw, traced, auth, files.bytes, sink, settings, alternate, log)
      } finally {
        await sink.close()
      }
    }
    if (settings.only.includes('cross')) {
      // A second server as the copy's destination: Pure-FTPd (it does not start from /dev/shm).
      const dst = await startPureFtpd()
      try {
        const cross = await startCrossGateway(srv, dst, dist, nodeArgs, work, settings.poolMax)
        owned.push(cross)
        log(`cross: gateway over vsftpd (/) and Pure-FTPd (/b) on ${cross.port}`)
        const obscure = async (pw: string) => (await run('rclone', ['obscure', pw], 10_000)).trim()
        results.cross = await runCrossCase(
          cross,
          srv,
          dst,
          files.bytes,
          settings.transferRuns,
          work,
          obscure,
          alternate,
          log,
        )
      } finally {
        cleanupCross()
        await dst.stop()
      }
    }
    // A partial run (--only) judges only what it measured; a full run shows a case that measured
    // nothing as a miss.
    const partial = optStr('--only') !== undefined
    const targets = buildTargets(results).filter((t) => !partial || Number.isFinite(t.value))
    const table = caseTable(results, settings)
    console.log(`\n${table}\n`)
    const lines = targetLines(targets)
    if (short) console.log('(short form: small sizes and one repetition; targets are not enforced)\n')
    console.log(lines.join('\n'))

    const elapsed = (Date.now() - started) / 1000
    const report = {
      date: new Date().toISOString(),
      elapsedSeconds: Math.round(elapsed),
      machine: {
        cpus: os.cpus().length,
        node: process.version,
        rclone: rcloneVersion,
        loadAverage: { before: loadBefore, after: os.loadavg()[0] },
      },
      settings,
      results,
      targets: targets.map((t) => ({ ...t, pass: holds(t) })),
    }
    const outDir = path.join(repoDir, 'bench/results')
    mkdirSync(outDir, { recursive: true })
    if (short) {
      writeFileSync(path.join(outDir, 'short.json'), `${JSON.stringify(report, null, 2)}\n`)
    } else {
      writeFileSync(
        path.join(outDir, partial ? 'partial.json' : 'latest.json'),
        `${JSON.stringify(report, null, 2)}\n`,
      )
      const md = [
        `# ftp-gateway benchmark (${report.date.slice(0, 10)}, ${report.machine.cpus} cores, ${process.version}, ${rcloneVersion})`,
        '',
        `Reproduce: \`npm run bench\`. Gateway pool: FTP_POOL_MAX=${settings.poolMax}, FTP_POOL_MAX_TOTAL=${settings.poolMaxTotal}; ${settings.transferRuns} repetitions of each 1 GiB transfer, ${settings.runs} of the other cases, medians.`,
        '',
        table,
        '',
        ...lines.map((l) => `    ${l}`),
        '',
      ].join('\n')
      writeFileSync(path.join(outDir, partial ? 'partial.md' : 'latest.md'), md)
    }
    log(`done in ${elapsed.toFixed(0)} s`)
    const missed = targets.filter((t) => !holds(t))
    if (enforce && !short && missed.length > 0) process.exitCode = 1
  } finally {
    for (const c of owned.reverse()) await c.stop()
    await srv?.stop()
    if (profile) console.log(`profiles and logs kept in ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  killAll()
  process.exit(1)
})

/** The node flags `npm start` runs the gateway with (package.json's start script). */
function shippedNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(repoDir, 'package.json'), 'utf8')) as {
    scripts: { start: string }
  }
  return pkg.scripts.start.split(/\s+/).filter((t) => t.startsWith('--'))
}
