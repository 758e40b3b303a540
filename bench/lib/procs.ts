/**
 * Processes the benchmark starts (the gateway, rclone) and how they are measured and stopped.
 * Every child runs in its own process group and is remembered, so a crash, a signal or the
 * global deadline still kills exactly what this run started.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { promisify } from 'node:util'

const execFileP = promisify(execFile)
const children = new Set<ChildProcess>()

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A child the benchmark started. */
export interface Child {
  name: string
  pid: number
  port: number
  proc: ChildProcess
  /** Stops the child's whole process group (TERM, then KILL after 3 s) and waits for it. */
  stop(): Promise<void>
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return
  try {
    process.kill(-proc.pid, signal)
  } catch {
    // Already gone.
  }
}

/** Kills every child still running (synchronously: also usable from an 'exit' handler). */
export function killAll(): void {
  for (const c of children) killGroup(c, 'SIGKILL')
  children.clear()
}

/** A free TCP port on 127.0.0.1. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

async function waitForPort(port: number, proc: ChildProcess, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}) before listening`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port })
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`${name} did not listen on ${port} within ${timeoutMs} ms`)
    await sleep(50)
  }
}

/** Starts `command` in its own process group, logs to `logFile`, waits until it listens on `port`. */
export async function startChild(
  name: string,
  command: string,
  args: string[],
  port: number,
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<Child> {
  const log = createWriteStream(logFile)
  const proc = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(proc)
  proc.stdout?.pipe(log)
  proc.stderr?.pipe(log)
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const child: Child = {
    name,
    pid: proc.pid ?? -1,
    port,
    proc,
    async stop() {
      killGroup(proc, 'SIGTERM')
      const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
      children.delete(proc)
    },
  }
  try {
    await waitForPort(port, proc, name, 20_000)
  } catch (err) {
    await child.stop()
    throw new Error(`${(err as Error).message}; see ${logFile}:\n${readTail(logFile)}`)
  }
  return child
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000)
  } catch {
    return ''
  }
}

/** Current resident set size of a process, in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  return statusField(pid, 'VmRSS')
}

/** Peak resident set size since start or since the last `resetPeakRss`, in bytes (VmHWM). */
export function peakRssBytes(pid: number): number {
  return statusField(pid, 'VmHWM')
}

/**
 * Waits until none of `pids` is still giving memory back (RSS not down by more than 1 MiB over the
 * last 10 s), at most `maxMs`; returns their RSS then. A case that measures its own peak starts
 * from a quiet process instead of the previous case's garbage: V8 returns it in one step about
 * 8 s after a burst ends (its memory reducer), Go's scavenger gradually.
 */
export async function settleRss(pids: number[], maxMs = 30_000): Promise<{ rss: number[]; ms: number }> {
  const started = Date.now()
  const history: number[][] = []
  for (;;) {
    const now = pids.map(rssBytes)
    history.push(now)
    const past = history.length > 20 ? history[history.length - 21] : undefined
    const falling = past === undefined || now.some((rss, i) => (past[i] ?? 0) - rss > 1024 * 1024)
    if (!falling || Date.now() - started >= maxMs) return { rss: now, ms: Date.now() - started }
    await sleep(500)
  }
}

/** Resets VmHWM to the current RSS (Linux `clear_refs` 5), so a case measures its own peak. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

function statusField(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** CPU time (user + system) a process has used, in ms, from /proc/PID/stat. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name; clock ticks of 10 ms.
    return (Number(f[11]) + Number(f[12])) * 10
  } catch {
    return Number.NaN
  }
}

/** Runs a program to completion and returns stdout (rejects with stderr on failure). */
export async function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  const { stdout } = await execFileP(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 })
  return stdout
}
