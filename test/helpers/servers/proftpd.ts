/** Starts ProFTPD from the tree unpacked by scripts/install-test-deps.sh, for one test run. */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import {
  ensureSystemUser,
  type FtpServerHandle,
  freePort,
  freePortRange,
  instanceDirs,
  launch,
  opensslEnv,
  readLines,
  requireFile,
  type StartOptions,
  testCertificate,
  unpackedRoot,
  withPortRetry,
} from './common.js'

const PROFTPD = path.join(unpackedRoot, 'usr/sbin/proftpd')
const MODULE_DIR = path.join(unpackedRoot, 'usr/lib/proftpd')

/**
 * Starts ProFTPD (`-n`, standalone) on 127.0.0.1 only (`SocketBindTight on`) for system user
 * `ftpgw-proftpd`, chrooted into this run's root with `DefaultRoot`. TLS via mod_tls: 'explicit'
 * (`TLSRequired on`: control and data) and 'implicit' (`TLSOptions UseImplicitSSL`); ProFTPD requires
 * TLS session reuse on data connections by default. The command log is an `ExtendedLog` with
 * one line per command: `[time] COMMAND args reply-code`.
 */
export function startProftpd(o: StartOptions = {}): Promise<FtpServerHandle> {
  return withPortRetry(() => startOnce(o))
}

const quote = (s: string) => `"${s.replace(/"/g, '\\"')}"`

async function startOnce(o: StartOptions): Promise<FtpServerHandle> {
  requireFile(PROFTPD, 'ProFTPD (unpacked)')
  const tlsMode = o.tls ?? 'none'
  const user = await ensureSystemUser('ftpgw-proftpd', 'ftpgw-proftpd-pw')
  const { dir, root } = await instanceDirs('proftpd', user)
  const port = await freePort()
  const pasvPorts = await freePortRange()
  const runDir = path.join(dir, 'run')
  await mkdir(runDir, { mode: 0o755 })
  const cmdLog = path.join(runDir, 'commands.log')

  const conf = new Map<string, string>([
    ['ServerName', quote('ftpgw-test')],
    ['ServerType', 'standalone'],
    ['DefaultServer', 'on'],
    ['DefaultAddress', '127.0.0.1'],
    ['SocketBindTight', 'on'],
    ['Port', String(port)],
    ['UseIPv6', 'off'],
    ['User', 'nobody'],
    ['Group', 'nogroup'],
    ['Umask', '022 022'],
    ['PassivePorts', `${pasvPorts[0]} ${pasvPorts[1]}`],
    ['MaxInstances', '200'],
    ['WtmpLog', 'off'],
    ['DelayTable', 'none'],
    ['RequireValidShell', 'off'],
    ['AuthPAM', 'off'],
    ['UseReverseDNS', 'off'],
    ['ScoreboardFile', quote(path.join(runDir, 'scoreboard'))],
    ['PidFile', quote(path.join(runDir, 'proftpd.pid'))],
    ['SystemLog', quote(path.join(runDir, 'system.log'))],
    ['DefaultRoot', quote(root)],
    ['AllowOverwrite', 'on'],
    ['AllowStoreRestart', 'on'],
    ['LogFormat', 'commands "[%t] %m %J %s"'],
    ['ExtendedLog', `${quote(cmdLog)} ALL commands`],
  ])
  let caFile: string | undefined
  if (tlsMode !== 'none') {
    const cert = await testCertificate()
    caFile = cert.cert
    conf.set('ModulePath', quote(MODULE_DIR))
    conf.set('LoadModule', 'mod_tls.c')
    conf.set('TLSEngine', 'on')
    conf.set('TLSRequired', 'on')
    conf.set('TLSRSACertificateFile', quote(cert.cert))
    conf.set('TLSRSACertificateKeyFile', quote(cert.key))
    conf.set('TLSVerifyClient', 'off')
    conf.set('TLSLog', quote(path.join(runDir, 'tls.log')))
    if (tlsMode === 'implicit') conf.set('TLSOptions', 'UseImplicitSSL')
  }
  for (const [k, v] of Object.entries(o.config ?? {})) conf.set(k, v)
  const confFile = path.join(dir, 'proftpd.conf')
  await writeFile(confFile, [...conf].map(([k, v]) => `${k} ${v}\n`).join(''))
  if (tlsMode !== 'none')
    requireFile(path.join(MODULE_DIR, 'mod_tls.so'), 'ProFTPD mod_tls (proftpd-mod-crypto)')

  return launch({
    name: 'proftpd',
    command: PROFTPD,
    args: ['-n', '-q', '-c', confFile],
    env: await opensslEnv(dir, o.tlsMaxVersion),
    port,
    tls: tlsMode,
    user,
    dir,
    root,
    pasvPorts,
    caFile,
    commandLog: () => readLines(cmdLog),
  })
}
