/** Starts Pure-FTPd from the tree unpacked by scripts/install-test-deps.sh, for one test run. */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import {
  ensureSystemUser,
  type FtpServerHandle,
  freePort,
  freePortRange,
  instanceDirs,
  launch,
  opensslEnv,
  requireFile,
  run,
  type StartOptions,
  type SystemUser,
  testCertificate,
  unpackedRoot,
  withPortRetry,
} from './common.js'

const PURE_FTPD = path.join(unpackedRoot, 'usr/sbin/pure-ftpd')
const PURE_PW = path.join(unpackedRoot, 'usr/bin/pure-pw')
const FTP_USER = 'ftpgw-pure'
const FTP_PASSWORD = 'ftpgw-pure-pw'

let hashPromise: Promise<string> | undefined

/**
 * Starts Pure-FTPd on 127.0.0.1. Each instance authenticates against its own PureDB file holding one
 * virtual user `ftpgw-pure` (mapped to the system account of the same name) whose home is this run's
 * root, so parallel instances never fight over /etc/passwd; everyone is chrooted (`-A`).
 * TLS: 'explicit' only (`-Y 3`: TLS required on control and data); Pure-FTPd has no implicit FTPS.
 * Commands are logged with `-d -d` to syslog, which this helper receives on a private /dev/log
 * inside a mount namespace (`unshare -m`), so the host's /dev is untouched.
 */
export function startPureFtpd(o: StartOptions = {}): Promise<FtpServerHandle> {
  return withPortRetry(() => startOnce(o))
}

async function writePureDb(dir: string, root: string, user: SystemUser): Promise<string> {
  hashPromise ??= run('openssl', ['passwd', '-6', FTP_PASSWORD]).then((s) => s.trim())
  const hash = await hashPromise
  const passwdFile = path.join(dir, 'pureftpd.passwd')
  const pdbFile = path.join(dir, 'pureftpd.pdb')
  // user:hash:uid:gid:gecos:home/./ followed by 12 empty limit fields (pure-pw's own format).
  await writeFile(passwdFile, `${FTP_USER}:${hash}:${user.uid}:${user.gid}::${root}/./${':'.repeat(12)}\n`, {
    mode: 0o600,
  })
  await run(PURE_PW, ['mkdb', pdbFile, '-f', passwdFile])
  return pdbFile
}

interface SyslogSink {
  socket: string
  lines: string[]
  close(): Promise<void>
}

/** A Unix stream socket standing in for /dev/log (glibc falls back from datagram to stream). */
async function syslogSink(dir: string): Promise<SyslogSink> {
  const socket = path.join(dir, 'log.sock')
  const lines: string[] = []
  const conns = new Set<net.Socket>()
  const server = net.createServer((c) => {
    conns.add(c)
    let buf = ''
    c.on('data', (d: Buffer) => {
      buf += d.toString('utf8')
      const parts = buf.split(/\0|\n/)
      buf = parts.pop() ?? ''
      for (const p of parts) if (p !== '') lines.push(p.replace(/^<\d+>/, ''))
    })
    c.on('error', () => undefined)
    c.on('close', () => conns.delete(c))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socket, () => resolve())
  })
  server.unref()
  await chmod(socket, 0o666)
  return {
    socket,
    lines,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy()
        server.close(() => resolve())
      }),
  }
}

async function startOnce(o: StartOptions): Promise<FtpServerHandle> {
  requireFile(PURE_FTPD, 'Pure-FTPd (unpacked)')
  requireFile(PURE_PW, 'pure-pw (unpacked)')
  const tlsMode = o.tls ?? 'none'
  if (tlsMode === 'implicit') throw new Error('Pure-FTPd does not support implicit FTPS')
  const user = await ensureSystemUser(FTP_USER, FTP_PASSWORD, '/usr/sbin/nologin')
  const { dir, root } = await instanceDirs('pureftpd', user)
  const port = await freePort()
  const pasvPorts = await freePortRange()
  const pdb = await writePureDb(dir, root, user)
  const sink = await syslogSink(dir)
  const oldDev = path.join(dir, 'olddev')
  await mkdir(oldDev)

  const flags = new Map<string, string>([
    ['-S', `127.0.0.1,${port}`],
    ['-l', `puredb:${pdb}`],
    ['-p', `${pasvPorts[0]}:${pasvPorts[1]}`],
    ['-E', ''], // no anonymous logins
    ['-A', ''], // chroot everyone
    ['-H', ''], // no DNS lookups
    ['-c', '200'], // max clients
    ['-C', '200'], // max clients per IP
    ['-d', ''], // verbose log; twice (below) also logs commands and replies
  ])
  let caFile: string | undefined
  if (tlsMode === 'explicit') {
    const cert = await testCertificate()
    caFile = cert.cert
    flags.set('-Y', '3')
    flags.set('-2', `${cert.cert},${cert.key}`)
  }
  for (const [k, v] of Object.entries(o.config ?? {})) flags.set(k, v)
  const args: string[] = []
  for (const [k, v] of flags) {
    args.push(k)
    if (v !== '') args.push(v)
    if (k === '-d') args.push('-d')
  }

  // A private mount namespace where /dev is a tmpfs of symlinks to the real nodes plus our log socket.
  const wrapper = [
    'set -e',
    `mount --bind /dev "$OLDDEV"`,
    'mount -t tmpfs -o mode=0755 tmpfs /dev',
    'for n in "$OLDDEV"/* "$OLDDEV"/.[!.]*; do [ -e "$n" ] || [ -L "$n" ] || continue; ln -s "$n" /dev/; done',
    'ln -sf "$LOGSOCK" /dev/log',
    'exec "$@"',
  ].join('\n')

  return launch({
    name: 'pure-ftpd',
    command: 'unshare',
    args: ['-m', '--propagation', 'private', 'sh', '-c', wrapper, 'sh', PURE_FTPD, ...args],
    env: { ...(await opensslEnv(dir, o.tlsMaxVersion)), OLDDEV: oldDev, LOGSOCK: sink.socket },
    port,
    tls: tlsMode,
    user: { ...user, name: FTP_USER, password: FTP_PASSWORD },
    dir,
    root,
    pasvPorts,
    caFile,
    commandLog: async () => [...sink.lines],
    onStop: () => sink.close(),
  })
}
