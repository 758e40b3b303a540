/** Starts vsftpd and in-process gateways over it for the WebDAV client tests; runs CLI clients. */
import { spawn } from 'node:child_process'
import pino from 'pino'
import { loadConfig } from '../../../src/config.js'
import { createGateway, type Gateway } from '../../../src/gateway.js'
import type { FtpServerHandle } from '../../helpers/servers/index.js'

/** A listening gateway and its /dav/ URL. */
export interface RunningGateway {
  gateway: Gateway
  port: number
  url: string
}

/** Starts a gateway over `ftp` listening on 127.0.0.1 (extra env merged over the defaults). */
export async function startGateway(
  ftp: FtpServerHandle,
  env: Record<string, string> = {},
): Promise<RunningGateway> {
  const config = loadConfig({
    FTP_URL: `ftp://127.0.0.1:${ftp.port}`,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    FTP_POOL_MAX: '8',
    ...env,
  })
  const gateway = await createGateway(config, pino({ level: 'silent' }))
  await gateway.app.listen({ host: '127.0.0.1', port: 0 })
  const address = gateway.app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return { gateway, port, url: `http://127.0.0.1:${port}/dav/` }
}

/** Output and exit code of a child process. */
export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to completion (stdin optional), with a time limit. */
export function runCommand(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Per-suite results of a litmus run. */
export interface LitmusSummary {
  suites: Record<string, { run: number; passed: number; failed: number }>
  passed: number
  failures: string[]
}

/** Parses litmus output: the per-suite summary lines and the failing test lines. */
export function parseLitmus(output: string): LitmusSummary {
  const suites: LitmusSummary['suites'] = {}
  for (const m of output.matchAll(/summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed/g)) {
    suites[m[1] as string] = { run: Number(m[2]), passed: Number(m[3]), failed: Number(m[4]) }
  }
  const failures = [...output.matchAll(/^\s*\d+\.\s+(\S+)\.+\s*FAIL.*$/gm)].map((m) => m[0].trim())
  const passed = Object.values(suites).reduce((n, s) => n + s.passed, 0)
  return { suites, passed, failures }
}

/**
 * Runs litmus against a /dav/ URL. `env` adds to its environment: over https, `SSL_CERT_FILE`
 * names the CA it trusts (neon uses OpenSSL's default verify paths, which read it).
 */
export async function runLitmus(
  url: string,
  user: string,
  password: string,
  env: Record<string, string> = {},
): Promise<{ summary: LitmusSummary; output: string }> {
  const r = await runCommand('litmus', [url, user, password], {
    env: { TESTS: 'basic copymove props locks http', HOME: '/tmp', ...env },
    timeoutMs: 80_000,
  })
  const output = r.stdout + r.stderr
  return { summary: parseLitmus(output), output }
}
