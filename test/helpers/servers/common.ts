/**
 * Shared machinery for starting real FTP servers (vsftpd, Pure-FTPd, ProFTPD) from tests:
 * free ports, per-instance temp folders, system users, a cached self-signed certificate,
 * foreground child processes in their own process group, readiness by greeting, and
 * reliable teardown (also on process exit).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'
import { writeSelfSignedCert } from '../client-tools.js'

/** How the server speaks TLS: not at all, AUTH TLS on the plain port, or TLS from the first byte. */
export type TlsMode = 'none' | 'explicit' | 'implicit'

/** A running FTP server started by one of the `start*` helpers. */
export interface FtpServerHandle {
  name: 'vsftpd' | 'pure-ftpd' | 'proftpd'
  /** Always '127.0.0.1'. */
  host: string
  port: number
  tls: TlsMode
  user: string
  password: string
  /** Absolute local dir that is this user's FTP root (chrooted: the client sees it as "/"); fresh, empty, owned by the user. */
  root: string
  /** Numeric owner the server writes files as; give files you create in `root` this owner so the server can change them. */
  uid: number
  gid: number
  /** PEM to trust (self-signed, CN/SAN 127.0.0.1 and localhost) when tls !== 'none'. */
  caFile?: string | undefined
  pasvPorts: [number, number]
  /** Server-side count of ESTABLISHED TCP connections on the control port (via `ss`), for pool-budget tests. */
  controlConnections(): Promise<number>
  /** Lines of the server's own command log since start (read it before or after `stop()`). */
  commandLog(): Promise<string[]>
  /** Stops the server and all its session processes, waits until the port is closed, removes the temp folder. */
  stop(): Promise<void>
  /** Sends a signal (default SIGKILL) to the server's whole process group, sessions included — for fault tests. */
  kill(signal?: NodeJS.Signals): void
}

/** Options common to all three servers. */
export interface StartOptions {
  /** Default 'none'. */
  tls?: TlsMode
  /** Caps the protocol version the server accepts (via an OpenSSL config file in OPENSSL_CONF). */
  tlsMaxVersion?: 'TLSv1.2' | 'TLSv1.3'
  /**
   * Server-specific extra configuration: vsftpd `key=value` options, ProFTPD `Directive value` lines,
   * Pure-FTPd command-line flags (`{ '-c': '5', '-D': '' }`). Same keys replace the defaults.
   */
  config?: Record<string, string>
}

/** Absolute path of the repository (this file is test/helpers/servers/common.ts). */
export const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
/** Where scripts/install-test-deps.sh unpacks Pure-FTPd and ProFTPD. */
export const unpackedRoot = path.join(repoDir, '.cache/ftp-servers/root')
const tlsCacheDir = path.join(repoDir, '.cache/ftp-servers/tls')
/** Parent of the system test users' home folders. */
const homesDir = '/var/lib/ftpgw-test'

/** Throws a message naming the fix when a required file or tool is missing. */
export function requireFile(file: string, what: string): void {
  if (!existsSync(file)) {
    throw new Error(
      `${what} not found at ${file}; run \`npm run test:deps\` (scripts/install-test-deps.sh) as root`,
    )
  }
}

/** Runs a program and returns stdout; the error carries stderr. */
export async function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`))
      else resolve(stdout)
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function retry<T>(what: string, fn: () => Promise<T>, attempts = 20): Promise<T> {
  let last: unknown
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn()
    } catch (err) {
      last = err
      await sleep(50 + randomInt(200))
    }
  }
  throw new Error(`${what}: ${last instanceof Error ? last.message : String(last)}`)
}

// ---- ports -------------------------------------------------------------------------------------

const handedOut = new Set<number>()

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)))
  })
}

/** A free control port on 127.0.0.1 (kernel-chosen). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer()
      srv.once('error', reject)
      srv.listen({ host: '127.0.0.1', port: 0 }, () => {
        const p = (srv.address() as net.AddressInfo).port
        srv.close(() => resolve(p))
      })
    })
    if (!handedOut.has(port)) {
      handedOut.add(port)
      return port
    }
  }
}

/** A random range of `count` consecutive free ports for passive data connections. */
export async function freePortRange(count = 100): Promise<[number, number]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const lo = 20000 + randomInt(12000 - count) // below the ephemeral range (32768+)
    let ok = true
    for (let p = lo; p < lo + count && ok; p++) ok = !handedOut.has(p) && (await canBind(p))
    if (ok) {
      for (let p = lo; p < lo + count; p++) handedOut.add(p)
      return [lo, lo + count - 1]
    }
  }
  throw new Error('no free passive port range found')
}

// ---- users -------------------------------------------------------------------------------------

/** A system account the servers run sessions as. */
export interface SystemUser {
  name: string
  password: string
  uid: number
  gid: number
  home: string
}

const userPromises = new Map<string, Promise<SystemUser>>()

/**
 * Creates (idempotently, tolerant of other processes doing the same) a system user with a home
 * under /var/lib/ftpgw-test and sets its password with chpasswd.
 */
export function ensureSystemUser(name: string, password: string, shell = '/bin/sh'): Promise<SystemUser> {
  let p = userPromises.get(name)
  if (!p) {
    p = (async () => {
      if (process.getuid?.() !== 0)
        throw new Error(`starting real FTP servers needs root (to create user ${name})`)
      const home = path.join(homesDir, name)
      const lookup = async () => {
        const out = await run('id', ['-u', name]).catch(() => '')
        return out.trim()
      }
      if (!(await lookup())) {
        await retry(`useradd ${name}`, async () => {
          if (await lookup()) return
          await run('useradd', ['-M', '-d', home, '-s', shell, '-c', 'ftp-gateway test user', name])
        })
      }
      await retry(`chpasswd ${name}`, () => run('chpasswd', [], `${name}:${password}\n`))
      // The account may predate this code: trust /etc/passwd for ids and home (vsftpd chdirs there first).
      const entry = (await run('getent', ['passwd', name])).trim().split(':')
      const uid = Number(entry[2])
      const gid = Number(entry[3])
      const actualHome = entry[5] || home
      await mkdir(actualHome, { recursive: true })
      await chown(actualHome, uid, gid)
      return { name, password, uid, gid, home: actualHome }
    })()
    userPromises.set(name, p)
    p.catch(() => userPromises.delete(name))
  }
  return p
}

// ---- certificate -------------------------------------------------------------------------------

/** Paths of the cached self-signed certificate (CN 127.0.0.1, SAN IP:127.0.0.1 and DNS:localhost). */
export interface CertFiles {
  cert: string
  key: string
  /** Key followed by certificate, for servers that want one file. */
  combined: string
}

let certPromise: Promise<CertFiles> | undefined

/** Makes the test certificate once (under .cache/ftp-servers/tls) and reuses it afterwards. */
export function testCertificate(): Promise<CertFiles> {
  certPromise ??= (async () => {
    const files: CertFiles = {
      cert: path.join(tlsCacheDir, 'cert.pem'),
      key: path.join(tlsCacheDir, 'key.pem'),
      combined: path.join(tlsCacheDir, 'combined.pem'),
    }
    if (existsSync(files.combined)) return files
    await mkdir(path.dirname(tlsCacheDir), { recursive: true })
    const tmp = await mkdtemp(`${tlsCacheDir}.tmp-`)
    const { cert, key } = writeSelfSignedCert(tmp, {
      subject: '/CN=127.0.0.1',
      altNames: 'IP:127.0.0.1,DNS:localhost',
      days: 3650,
    })
    const pem = (await readFile(key, 'utf8')) + (await readFile(cert, 'utf8'))
    await writeFile(path.join(tmp, 'combined.pem'), pem, { mode: 0o600 })
    await chmod(tmp, 0o755)
    // Another worker may have won the race; then keep theirs.
    await rename(tmp, tlsCacheDir).catch(async () => rm(tmp, { recursive: true, force: true }))
    requireFile(files.combined, 'test certificate')
    return files
  })()
  certPromise.catch(() => {
    certPromise = undefined
  })
  return certPromise
}

/** Writes an OpenSSL config capping the TLS version; returns env additions for the server process. */
export async function opensslEnv(dir: string, max?: 'TLSv1.2' | 'TLSv1.3'): Promise<NodeJS.ProcessEnv> {
  if (!max) return {}
  const file = path.join(dir, 'openssl.cnf')
  await writeFile(
    file,
    [
      'openssl_conf = openssl_init',
      '[openssl_init]',
      'ssl_conf = ssl_sect',
      '[ssl_sect]',
      'system_default = system_default_sect',
      '[system_default_sect]',
      `MaxProtocol = ${max}`,
      '',
    ].join('\n'),
  )
  return { OPENSSL_CONF: file }
}

// ---- instance folders --------------------------------------------------------------------------

/** A fresh temp folder for one server run: `dir` (root-owned, config and logs) and `root` (the FTP root). */
export async function instanceDirs(kind: string, user: SystemUser): Promise<{ dir: string; root: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `ftpgw-${kind}-`))
  await chmod(dir, 0o755)
  const root = path.join(dir, 'root')
  await mkdir(root, { mode: 0o755 })
  await chown(root, user.uid, user.gid)
  return { dir, root }
}

// ---- process lifecycle -------------------------------------------------------------------------

interface ProcInfo {
  pid: number
  ppid: number
  pgid: number
  zombie: boolean
}

/** Snapshot of /proc: pid, parent, process group, zombie state. */
function procTable(): ProcInfo[] {
  const out: ProcInfo[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.push({ pid: Number(name), ppid: Number(f[1]), pgid: Number(f[2]), zombie: f[0] === 'Z' })
    } catch {}
  }
  return out
}

/** The server's process and everything below it, plus members of its process group. */
function serverTree(pid: number): ProcInfo[] {
  const table = procTable()
  const children = new Map<number, ProcInfo[]>()
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p])
  const found = new Map<number, ProcInfo>()
  const stack = table.filter((p) => p.pid === pid || p.pgid === pid)
  while (stack.length > 0) {
    const p = stack.pop()!
    if (found.has(p.pid)) continue
    found.set(p.pid, p)
    stack.push(...(children.get(p.pid) ?? []))
  }
  return [...found.values()]
}

function signalTree(pid: number, signal: NodeJS.Signals): number[] {
  const stopFirst = signal !== 'SIGSTOP' && signal !== 'SIGCONT'
  // Freeze the listener so it cannot fork new sessions while we collect its descendants.
  if (stopFirst) safeKill(pid, 'SIGSTOP')
  const tree = serverTree(pid)
  // vsftpd puts each session in its own session/process group (setsid), so signal groups and pids.
  for (const g of new Set(tree.map((p) => p.pgid))) if (g > 1 && g !== process.pid) safeKill(-g, signal)
  for (const p of tree) safeKill(p.pid, signal)
  if (stopFirst && signal !== 'SIGKILL') safeKill(pid, 'SIGCONT')
  return tree.map((p) => p.pid)
}

function safeKill(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

/** True while any of the pids is a live (non-zombie) process. */
function anyAlive(pids: number[]): boolean {
  const table = new Map(procTable().map((p) => [p.pid, p]))
  return pids.some((pid) => {
    const p = table.get(pid)
    return p !== undefined && !p.zombie
  })
}

interface Live {
  pid: number
  dir: string
  watchdog?: ChildProcess
}
const live = new Set<Live>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const l of live) {
      signalTree(l.pid, 'SIGKILL')
      if (l.watchdog?.pid) safeKill(l.watchdog.pid, 'SIGKILL')
      try {
        rmSync(l.dir, { recursive: true, force: true })
      } catch {}
    }
  })
}

/**
 * A detached shell that kills the server's process group and removes its folder once this test
 * process is gone — covers workers that are killed without running exit hooks.
 */
function startWatchdog(serverPid: number, dir: string): ChildProcess {
  const script = [
    'while kill -0 "$OWNER" 2>/dev/null && kill -0 "$SERVER" 2>/dev/null; do sleep 1; done',
    // dash's kill takes no "--"; "-PID" names the process group.
    'if kill -0 "$SERVER" 2>/dev/null; then kill -9 "-$SERVER" 2>/dev/null; kill -9 "$SERVER" 2>/dev/null; rm -rf "$DIR"; fi',
  ].join('\n')
  const wd = spawn('sh', ['-c', script], {
    detached: true,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      OWNER: String(process.pid),
      SERVER: String(serverPid),
      DIR: dir,
    },
  })
  wd.unref()
  return wd
}

/** True while something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
    s.setTimeout(1000, () => {
      s.destroy()
      resolve(false)
    })
  })
}

/** Reads the greeting once: resolves with its text when a final `220 ` line arrived. */
function readGreeting(port: number, implicit: boolean, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock: net.Socket = implicit
      ? tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' })
      : net.connect({ host: '127.0.0.1', port })
    let text = ''
    const done = (err?: Error) => {
      sock.removeAllListeners('data')
      sock.destroy()
      if (err) reject(err)
      else resolve(text)
    }
    sock.setTimeout(3000, () => done(new Error('greeting timeout')))
    sock.on('error', (e) => done(e))
    sock.on('close', () => done(new Error(`connection closed before greeting: ${JSON.stringify(text)}`)))
    sock.on('data', (d: Buffer) => {
      text += d.toString('latin1')
      if (/^220 .*\r?\n/m.test(text)) {
        sock.write('QUIT\r\n')
        done()
      } else if (/^[45]\d\d /m.test(text)) {
        done(new Error(`server refused: ${text.trim()}`))
      }
    })
  })
}

/** Counts ESTABLISHED TCP sockets whose local port is `port` (the server side of control connections). */
export async function establishedOn(port: number): Promise<number> {
  const out = await run('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`])
  return out.split('\n').filter((l) => l.trim() !== '').length
}

/** What a server module hands to {@link launch}. */
export interface LaunchSpec {
  name: FtpServerHandle['name']
  command: string
  args: string[]
  env?: NodeJS.ProcessEnv
  port: number
  tls: TlsMode
  user: SystemUser
  dir: string
  root: string
  pasvPorts: [number, number]
  caFile?: string | undefined
  commandLog(): Promise<string[]>
  /** Extra cleanup after the processes are gone (e.g. closing a log socket). */
  onStop?(): Promise<void> | void
}

/** Starts the server in the foreground in its own process group and waits for its greeting. */
export async function launch(spec: LaunchSpec): Promise<FtpServerHandle> {
  installExitHook()
  const child: ChildProcess = spawn(spec.command, spec.args, {
    cwd: spec.dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...spec.env },
  })
  let output = ''
  const collect = (d: Buffer) => {
    if (output.length < 64_000) output += d.toString('utf8')
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  let exited: string | undefined
  const exitedP = new Promise<void>((resolve) => {
    child.once('exit', (code, sig) => {
      exited = `exited with ${code ?? sig}`
      resolve()
    })
    child.once('error', (e) => {
      exited = `failed to spawn: ${e.message}`
      resolve()
    })
  })
  const pid = child.pid ?? -1
  const entry: Live = { pid, dir: spec.dir }
  if (pid > 0) {
    entry.watchdog = startWatchdog(pid, spec.dir)
    live.add(entry)
  }
  // Tests that forget stop() must not keep the worker alive; the exit hook still kills the server.
  child.unref()
  ;(child.stdout as net.Socket | null)?.unref?.()
  ;(child.stderr as net.Socket | null)?.unref?.()

  let cachedLog: string[] | undefined
  let stopped: Promise<void> | undefined
  const kill = (signal: NodeJS.Signals = 'SIGKILL') => {
    if (pid > 0) signalTree(pid, signal)
  }
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      cachedLog = await spec.commandLog().catch(() => [])
      const pids = pid > 0 ? signalTree(pid, 'SIGKILL') : []
      const deadline = Date.now() + 10_000
      while (anyAlive(pids) || (await portOpen(spec.port))) {
        if (Date.now() > deadline)
          throw new Error(`${spec.name}: still running / port ${spec.port} open after stop`)
        await sleep(25)
        if (pid > 0) signalTree(pid, 'SIGKILL')
      }
      await exitedP
      if (entry.watchdog?.pid) safeKill(entry.watchdog.pid, 'SIGKILL')
      await spec.onStop?.()
      live.delete(entry)
      await rm(spec.dir, { recursive: true, force: true })
    })()
    return stopped
  }

  const deadline = Date.now() + 15_000
  let lastErr: unknown
  for (;;) {
    if (exited) {
      await stop().catch(() => undefined)
      throw new Error(`${spec.name} ${exited} before greeting:\n${output.trim()}`)
    }
    try {
      await readGreeting(
        spec.port,
        spec.tls === 'implicit',
        spec.caFile ? await readFile(spec.caFile, 'utf8') : undefined,
      )
      break
    } catch (err) {
      lastErr = err
    }
    if (Date.now() > deadline) {
      await stop().catch(() => undefined)
      throw new Error(
        `${spec.name} gave no greeting on port ${spec.port}: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}\n${output.trim()}`,
      )
    }
    await sleep(100)
  }

  return {
    name: spec.name,
    host: '127.0.0.1',
    port: spec.port,
    tls: spec.tls,
    user: spec.user.name,
    password: spec.user.password,
    root: spec.root,
    uid: spec.user.uid,
    gid: spec.user.gid,
    caFile: spec.caFile,
    pasvPorts: spec.pasvPorts,
    controlConnections: () => establishedOn(spec.port),
    commandLog: async () => cachedLog ?? spec.commandLog(),
    stop,
    kill,
  }
}

/** Reads a log file as lines (missing file: no lines). */
export async function readLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.split('\n').filter((l) => l !== '')
}

/** Retries a whole start when it lost a port race with another process. */
export async function withPortRetry(start: () => Promise<FtpServerHandle>): Promise<FtpServerHandle> {
  let last: unknown
  for (let i = 0; i < 3; i++) {
    try {
      return await start()
    } catch (err) {
      last = err
      if (!/address already in use|EADDRINUSE|could not bind|bind/i.test(String(err))) throw err
    }
  }
  throw last
}
