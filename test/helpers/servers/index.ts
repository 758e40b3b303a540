/** Real FTP servers for integration tests: one entry point for vsftpd, Pure-FTPd and ProFTPD. */
import type { FtpServerHandle, StartOptions } from './common.js'
import { startProftpd } from './proftpd.js'
import { startPureFtpd } from './pureftpd.js'
import { startVsftpd } from './vsftpd.js'

export type { FtpServerHandle, StartOptions, TlsMode } from './common.js'
export { startProftpd } from './proftpd.js'
export { startPureFtpd } from './pureftpd.js'
export { startVsftpd, type VsftpdHandle, type VsftpdOptions, type VsftpdUser } from './vsftpd.js'

/** One real server kind and what it can do. */
export interface FtpServerKind {
  name: FtpServerHandle['name']
  start(o?: StartOptions): Promise<FtpServerHandle>
  supports: { implicitTls: boolean; mlsd: boolean }
}

/** All three real servers, for `describe.each`-style tests. */
export const ftpServers: FtpServerKind[] = [
  { name: 'vsftpd', start: startVsftpd, supports: { implicitTls: true, mlsd: false } },
  { name: 'pure-ftpd', start: startPureFtpd, supports: { implicitTls: false, mlsd: true } },
  { name: 'proftpd', start: startProftpd, supports: { implicitTls: true, mlsd: true } },
]
