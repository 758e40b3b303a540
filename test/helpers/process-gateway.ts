/**
 * Runs the gateway as a real process (src/main.ts through tsx's loader, exactly what `npm run dev`
 * runs), for tests where separate processes matter: two instances sharing only Redis, signals,
 * local mode from a newcomer's point of view. tsx rather than dist/ because other work changes
 * src/ all the time and a stale build would test yesterday's code.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** Absolute path of the repository (this file is test/helpers/process-gateway.ts). */
export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const TSX_LOADER = pathToFileURL(path.join(REPO_DIR, 'node_modules/tsx/dist/loader.mjs')).href
const MAIN = path.join(REPO_DIR, 'src/main.ts')

/** Options of spawnGateway. */
export interface SpawnOptions {
  /** Environment of the gateway (added to a minimal PATH/HOME environment, not to this process's). */
  env: Record<string, string>
  /** Working folder (local mode puts `./data` here); default the repository. */
  cwd?: string
  /** How long to wait for /readyz to answer 200; default 60 s (a loaded machine starts slowly). */
  readyTimeoutMs?: number
}

/** A running gateway process. */
export interface ProcessGateway {
  url: string
  port: number
  pid: number
  /** stdout and stderr so far (bounded), for failure messages. */
  output(): string
  /** Milliseconds from spawn to the first 200 from /readyz. */
  readyAfterMs: number
  /** Sends `signal` (default SIGTERM), waits for exit (SIGKILL after `timeoutMs`), returns how it ended. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: string | null }>
}

const running = new Set<ChildProcess>()
let exitHook = false

/** A port that was free a moment ago on 127.0.0.1. */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Spawns the gateway and resolves once it is ready (HTTP 200 from /readyz). */
export async function spawnGateway(options: SpawnOptions): Promise<ProcessGateway> {
  if (!exitHook) {
    exitHook = true
    // A test that dies before its afterAll must not leave gateways running.
    process.on('exit', () => {
      for (const c of running) c.kill('SIGKILL')
    })
  }
  const port = options.env.PORT !== undefined ? Number(options.env.PORT) : await pickFreePort()
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...options.env,
    PORT: String(port),
  }
  const started = Date.now()
  const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
    cwd: options.cwd ?? REPO_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let out = ''
  const collect = (d: Buffer) => {
    if (out.length < 200_000) out += d.toString('utf8')
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  let exit: { code: number | null; signal: string | null } | undefined
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal }
      running.delete(child)
      resolve(exit)
    })
  })

  const url = `http://127.0.0.1:${port}`
  const deadline = started + (options.readyTimeoutMs ?? 60_000)
  let readyAfterMs = -1
  while (readyAfterMs < 0) {
    if (exit) throw new Error(`gateway exited (${JSON.stringify(exit)}) before it was ready:\n${out}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`gateway not ready on ${url} within the timeout:\n${out}`)
    }
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    )
    if (ok) readyAfterMs = Date.now() - started
    else await sleep(100)
  }

  return {
    url,
    port,
    pid: child.pid ?? -1,
    output: () => out,
    readyAfterMs,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000) {
      if (exit) return exit
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      try {
        return await exited
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
