/** Runs the system HAProxy (Debian package) as a round-robin load balancer in front of test backends. */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort, portOpen, requireFile } from './servers/common.js'

const HAPROXY = '/usr/sbin/haproxy'

/** A running HAProxy. */
export interface HaproxyHandle {
  port: number
  url: string
  stop(): Promise<void>
}

/** Optional behaviour of {@link startHaproxy}; without it, plain round robin with no checks. */
export interface HaproxyOptions {
  /** Active health checks (`option httpchk GET path`, expecting 200) with HAProxy's inter/fall/rise. */
  healthCheck?: { path: string; interMs: number; fall: number; rise: number; timeoutMs?: number }
  /** `retries N` (connection failures are retried, then sent elsewhere with `redispatch`). */
  retries?: number
  /** `option redispatch`: a retry may go to another server. */
  redispatch?: boolean
  /** `option forwardfor`: append the client address HAProxy sees to X-Forwarded-For (as deploy/ does). */
  forwardFor?: boolean
  /**
   * A request header that pins a request to one backend: `NAME: i` goes to the i-th port given
   * (HAProxy `use-server`); requests without it are balanced as usual.
   */
  pinHeader?: string
}

/** Starts HAProxy on 127.0.0.1 balancing `balance roundrobin` over the given local backend ports. */
export async function startHaproxy(
  backendPorts: number[],
  options: HaproxyOptions = {},
): Promise<HaproxyHandle> {
  requireFile(HAPROXY, 'haproxy')
  const dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-haproxy-'))
  const port = await freePort()
  const check = options.healthCheck
  const servers = backendPorts
    .map((p, i) => `  server gw${i} 127.0.0.1:${p}${check ? ' check' : ''}`)
    .join('\n')
  const defaults = [
    check?.timeoutMs !== undefined ? `  timeout check ${check.timeoutMs}ms` : '',
    options.retries !== undefined ? `  retries ${options.retries}` : '',
    options.redispatch ? '  option redispatch' : '',
    options.forwardFor ? '  option forwardfor' : '',
  ].filter((l) => l !== '')
  const backend = check
    ? [
        `  option httpchk GET ${check.path}`,
        '  http-check expect status 200',
        `  default-server inter ${check.interMs} fall ${check.fall} rise ${check.rise}`,
      ]
    : []
  const pins =
    options.pinHeader === undefined
      ? []
      : backendPorts.map((_, i) => `  use-server gw${i} if { req.hdr(${options.pinHeader}) -m str ${i} }`)
  const cfg = path.join(dir, 'haproxy.cfg')
  await writeFile(
    cfg,
    `global
  maxconn 512
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s
${defaults.join('\n')}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  balance roundrobin
  # Request by request, not connection by connection: consecutive requests reach different instances.
  option http-server-close
${backend.join('\n')}
${pins.join('\n')}
${servers}
`,
  )
  const child: ChildProcess = spawn(HAPROXY, ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const deadline = Date.now() + 10_000
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      await rm(dir, { recursive: true, force: true })
      throw new Error(`haproxy did not start: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}
