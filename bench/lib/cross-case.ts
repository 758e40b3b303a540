/**
 * The `cross` case (`npm run bench -- --only cross`, in the default set): a copy of big.bin from
 * vsftpd to Pure-FTPd. The gateway fronts both as one tree (GATEWAY_CONFIG: vsftpd at `/`,
 * Pure-FTPd at `/b`) and copies with one REST call, streaming one download into one upload;
 * rclone copies between two FTP remotes (`rclone copyto`); curl downloads to memory-backed disk
 * and uploads again, the way a script without a gateway would. Runs alternate; medians are reported.
 */
import { execFile } from 'node:child_process'
import { rmSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { FtpServerHandle } from '../../test/helpers/servers/index.js'
import { type Child, freeTcpPort, startChild } from './procs.js'
import { median } from './stats.js'

/** Raw numbers of the cross case (milliseconds per copy). */
export interface CrossResults {
  gateway: number[]
  rclone: number[]
  curl: number[]
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<number> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${stderr || err.message}`))
      else resolve(performance.now() - t0)
    })
  })
}

/** Starts the two-upstream gateway (its own compiled process, as the other cases' gateway). */
export async function startCrossGateway(
  a: FtpServerHandle,
  b: FtpServerHandle,
  dist: string,
  nodeArgs: string[],
  work: string,
  poolMax: number,
): Promise<Child> {
  const config = path.join(work, 'cross.yaml')
  writeFileSync(
    config,
    [
      'upstreams:',
      '  a:',
      `    url: ftp://${a.host}:${a.port}`,
      `    pool: { perIdentity: ${poolMax}, total: ${Math.max(poolMax, 32)} }`,
      '  b:',
      `    url: ftp://${encodeURIComponent(b.user)}:${encodeURIComponent(b.password)}@${b.host}:${b.port}`,
      `    pool: { perIdentity: ${poolMax}, total: ${Math.max(poolMax, 32)} }`,
      'mounts:',
      '  - { path: /, upstream: a }',
      '  - { path: /b, upstream: b }',
      'rateLimit: { max: 0 }',
      '',
    ].join('\n'),
  )
  const port = await freeTcpPort()
  return startChild(
    'gateway-cross',
    process.execPath,
    [...nodeArgs, path.join(dist, 'main.js')],
    port,
    {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      GATEWAY_CONFIG: config,
      LOG_LEVEL: 'warn',
    },
    path.join(work, 'gateway-cross.log'),
  )
}

/** Runs the case: `runs` copies by each peer, alternating. */
export async function runCrossCase(
  gw: Child,
  a: FtpServerHandle,
  b: FtpServerHandle,
  bytes: number,
  runs: number,
  work: string,
  obscure: (password: string) => Promise<string>,
  alternate: (rep: number, fns: (() => Promise<void>)[]) => Promise<void>,
  log: (m: string) => void,
): Promise<CrossResults> {
  const r: CrossResults = { gateway: [], rclone: [], curl: [] }
  const timeout = Math.round(Math.max(120_000, (bytes / 1e7) * 1000))
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    RCLONE_CONFIG_SRC_TYPE: 'ftp',
    RCLONE_CONFIG_SRC_HOST: a.host,
    RCLONE_CONFIG_SRC_PORT: String(a.port),
    RCLONE_CONFIG_SRC_USER: a.user,
    RCLONE_CONFIG_SRC_PASS: await obscure(a.password),
    RCLONE_CONFIG_DST_TYPE: 'ftp',
    RCLONE_CONFIG_DST_HOST: b.host,
    RCLONE_CONFIG_DST_PORT: String(b.port),
    RCLONE_CONFIG_DST_USER: b.user,
    RCLONE_CONFIG_DST_PASS: await obscure(b.password),
  }
  const rcloneConf = path.join(work, 'rclone-cross.conf')
  writeFileSync(rcloneConf, '')
  const target = (who: string, i: number) => `cross-${who}-${i}.bin`
  // Each copy is removed before the next run: the servers' files live in memory.
  const drop = (name: string) => rmSync(path.join(b.root, name), { force: true })
  const ftpA = `ftp://${encodeURIComponent(a.user)}:${encodeURIComponent(a.password)}@${a.host}:${a.port}`
  const ftpB = `ftp://${encodeURIComponent(b.user)}:${encodeURIComponent(b.password)}@${b.host}:${b.port}`
  const auth = `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`
  for (let i = 0; i < runs; i++) {
    await alternate(i, [
      async () => {
        const t0 = performance.now()
        const res = await fetch(`http://127.0.0.1:${gw.port}/api/v1/copy`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ from: '/big.bin', to: `/b/${target('g', i)}` }),
          signal: AbortSignal.timeout(timeout),
        })
        if (res.status >= 300) throw new Error(`gateway copy: ${res.status} ${await res.text()}`)
        r.gateway.push(performance.now() - t0)
        drop(target('g', i))
      },
      async () => {
        const ms = await timed(
          'rclone',
          [
            'copyto',
            'src:big.bin',
            `dst:${target('r', i)}`,
            '--config',
            rcloneConf,
            '--ftp-concurrency',
            '4',
          ],
          env,
          timeout,
        )
        r.rclone.push(ms)
        drop(target('r', i))
      },
      async () => {
        const local = path.join('/dev/shm', `ftpgw-bench-cross-${process.pid}.bin`)
        try {
          const down = await timed('curl', ['-s', '-S', '-o', local, `${ftpA}/big.bin`], env, timeout)
          const up = await timed('curl', ['-s', '-S', '-T', local, `${ftpB}/${target('c', i)}`], env, timeout)
          r.curl.push(down + up)
        } finally {
          rmSync(local, { force: true })
        }
        drop(target('c', i))
      },
    ])
  }
  const m = (xs: number[]) => median(xs)
  const gbs = (ms: number) => (bytes / (ms / 1000) / 1e9).toFixed(2)
  log(
    `cross: ${(bytes / 2 ** 20).toFixed(0)} MiB vsftpd -> Pure-FTPd: gateway ${m(r.gateway).toFixed(0)} ms ` +
      `(${gbs(m(r.gateway))} GB/s), rclone copyto ${m(r.rclone).toFixed(0)} ms, curl down+up ${m(r.curl).toFixed(0)} ms`,
  )
  return r
}

/** Removes a leftover local copy (curl's intermediate file) if a run was cut short. */
export function cleanupCross(): void {
  try {
    unlinkSync(path.join('/dev/shm', `ftpgw-bench-cross-${process.pid}.bin`))
  } catch {
    // Nothing left behind.
  }
}
