/** Starts the system vsftpd (Debian package) in the foreground for one test run. */
import { chown, mkdir, writeFile } from 'node:fs/promises'
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
  type SystemUser,
  testCertificate,
  withPortRetry,
} from './common.js'

const VSFTPD = '/usr/sbin/vsftpd'

/** Another FTP account on the same vsftpd, chrooted to a home of its own. */
export interface VsftpdUser {
  user: string
  password: string
  /** Absolute local dir the user sees as "/". */
  root: string
  uid: number
  gid: number
}

/** Options of `startVsftpd`: the common ones plus extra accounts. */
export interface VsftpdOptions extends StartOptions {
  /**
   * Extra system users, each with a home of its own (vsftpd `user_config_dir` sets its
   * `local_root`). A `readOnly` user's home is owned by root and `write_enable=NO`: every write
   * command is refused.
   */
  users?: Array<{ name: string; password: string; readOnly?: boolean }>
}

/** A running vsftpd and its extra accounts (in the order they were asked for). */
export type VsftpdHandle = FtpServerHandle & { users: VsftpdUser[] }

/**
 * Starts vsftpd on 127.0.0.1 with a fresh chrooted root for user `ftpgw-vsftpd`.
 * TLS modes: 'explicit' (AUTH TLS, TLS required for login and data, session reuse required) and
 * 'implicit'. The command log is vsftpd's own log with `log_ftp_protocol=YES`.
 */
export function startVsftpd(o: VsftpdOptions = {}): Promise<VsftpdHandle> {
  let users: VsftpdUser[] = []
  return withPortRetry(async () => {
    const started = await startOnce(o, (u) => {
      users = u
    })
    return started
  }).then((h) => Object.assign(h, { users }))
}

/** Makes the extra users, their homes and the per-user config files vsftpd reads at login. */
async function extraUsers(dir: string, wanted: NonNullable<VsftpdOptions['users']>): Promise<VsftpdUser[]> {
  const confDir = path.join(dir, 'users')
  await mkdir(confDir, { mode: 0o755 })
  const out: VsftpdUser[] = []
  for (const w of wanted) {
    const sys: SystemUser = await ensureSystemUser(w.name, w.password)
    const root = path.join(dir, `home-${w.name}`)
    await mkdir(root, { mode: 0o755 })
    if (!w.readOnly) await chown(root, sys.uid, sys.gid)
    const lines = [`local_root=${root}`, ...(w.readOnly ? ['write_enable=NO'] : [])]
    await writeFile(path.join(confDir, w.name), lines.map((l) => `${l}\n`).join(''))
    out.push({ user: w.name, password: w.password, root, uid: sys.uid, gid: sys.gid })
  }
  return out
}

async function startOnce(o: VsftpdOptions, gotUsers: (u: VsftpdUser[]) => void): Promise<FtpServerHandle> {
  requireFile(VSFTPD, 'vsftpd')
  const tlsMode = o.tls ?? 'none'
  const user = await ensureSystemUser('ftpgw-vsftpd', 'ftpgw-vsftpd-pw')
  const { dir, root } = await instanceDirs('vsftpd', user)
  // A fixed `listen_port` (restarting a killed server on the same address) is used as is.
  const fixed = o.config?.listen_port
  const port = fixed !== undefined ? Number(fixed) : await freePort()
  const pasvPorts = await freePortRange()
  const logFile = path.join(dir, 'vsftpd.log')
  const empty = path.join(dir, 'empty')
  await mkdir(empty, { mode: 0o755 })

  const conf = new Map<string, string>([
    ['listen', 'YES'],
    ['listen_ipv6', 'NO'],
    ['listen_address', '127.0.0.1'],
    ['listen_port', String(port)],
    ['background', 'NO'],
    ['seccomp_sandbox', 'NO'],
    ['anonymous_enable', 'NO'],
    ['local_enable', 'YES'],
    ['write_enable', 'YES'],
    ['local_umask', '022'],
    ['local_root', root],
    ['chroot_local_user', 'YES'],
    ['allow_writeable_chroot', 'YES'],
    ['secure_chroot_dir', empty],
    ['pam_service_name', 'vsftpd'],
    ['pasv_enable', 'YES'],
    ['pasv_min_port', String(pasvPorts[0])],
    ['pasv_max_port', String(pasvPorts[1])],
    ['max_clients', '0'],
    ['max_per_ip', '0'],
    ['utf8_filesystem', 'YES'],
    ['xferlog_enable', 'YES'],
    ['xferlog_std_format', 'NO'],
    ['log_ftp_protocol', 'YES'],
    ['vsftpd_log_file', logFile],
    ['dual_log_enable', 'NO'],
    ['syslog_enable', 'NO'],
  ])
  if (o.users && o.users.length > 0) {
    gotUsers(await extraUsers(dir, o.users))
    conf.set('user_config_dir', path.join(dir, 'users'))
  }
  let caFile: string | undefined
  if (tlsMode !== 'none') {
    const cert = await testCertificate()
    caFile = cert.cert
    conf.set('ssl_enable', 'YES')
    conf.set('rsa_cert_file', cert.cert)
    conf.set('rsa_private_key_file', cert.key)
    conf.set('require_ssl_reuse', 'YES')
    conf.set('force_local_logins_ssl', 'YES')
    conf.set('force_local_data_ssl', 'YES')
    conf.set('ssl_sslv2', 'NO')
    conf.set('ssl_sslv3', 'NO')
    conf.set('ssl_tlsv1', 'YES')
    if (tlsMode === 'implicit') conf.set('implicit_ssl', 'YES')
  }
  for (const [k, v] of Object.entries(o.config ?? {})) conf.set(k, v)
  const confFile = path.join(dir, 'vsftpd.conf')
  await writeFile(confFile, [...conf].map(([k, v]) => `${k}=${v}\n`).join(''))

  return launch({
    name: 'vsftpd',
    command: VSFTPD,
    args: [confFile],
    env: await opensslEnv(dir, o.tlsMaxVersion),
    port,
    tls: tlsMode,
    user,
    dir,
    root,
    pasvPorts,
    caFile,
    commandLog: () => readLines(logFile),
  })
}
