/**
 * Every TLS connection of one FTP session speaks for the configured upstream host: the control
 * connection (upgraded in place after AUTH TLS, or implicit) and each data connection (dialled to
 * the pinned address, or accepted in active mode) check the certificate against that host and
 * resume the control connection's session. Node 24 binds a session to that identity and drops it
 * silently on a connection with another one, which vsftpd (require_ssl_reuse) answers with
 * "522 SSL connection failed: session reuse required".
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DataMode, FtpSession, isFtpError } from '../../../src/ftp/index.js'
import { writeSelfSignedCert } from '../../helpers/client-tools.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { readAll } from '../../helpers/streams.js'

let certDir: string
let cert: Buffer

beforeAll(() => {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'ftpgw-tls-identity-'))
  // A certificate for the name only (no IP SAN), as a public CA issues them: checked against
  // 127.0.0.1 it must fail, checked against 'localhost' it must pass.
  writeSelfSignedCert(certDir, { subject: '/CN=localhost', altNames: 'DNS:localhost' })
  cert = readFileSync(path.join(certDir, 'cert.pem'))
})

afterAll(() => {
  if (certDir) rmSync(certDir, { recursive: true, force: true })
})

/**
 * vsftpd (explicit FTPS, session reuse required) serving the name-only certificate. Not implicit:
 * the helper's readiness probe trusts only its own certificate, so it would never look ready.
 */
function startNamed(): Promise<FtpServerHandle> {
  return startVsftpd({
    tls: 'explicit',
    config: {
      rsa_cert_file: path.join(certDir, 'cert.pem'),
      rsa_private_key_file: path.join(certDir, 'key.pem'),
    },
  })
}

describe('one TLS identity per FTP session (vsftpd require_ssl_reuse, certificate for "localhost" only)', () => {
  for (const dataMode of ['passive', 'active'] as const satisfies DataMode[]) {
    it(`lists, uploads and downloads with the upstream named by host name (${dataMode})`, async () => {
      const srv = await startNamed()
      try {
        const s = await FtpSession.connect({
          host: 'localhost',
          port: srv.port,
          user: srv.user,
          password: srv.password,
          secure: 'explicit',
          dataMode,
          tlsCa: cert,
          timeoutMs: 5000,
        })
        try {
          const body = Buffer.alloc(200_000, 7)
          // Several data connections in a row: each must resume (TLS 1.3 tickets are single-use).
          for (let i = 0; i < 3; i++) {
            await s.upload(`/f${i}.bin`, Readable.from([body]))
            const got = await readAll(await s.download(`/f${i}.bin`, { expectedSize: body.length }))
            expect(got.equals(body)).toBe(true)
          }
          expect((await s.list('/')).map((e) => e.name).sort()).toEqual(['f0.bin', 'f1.bin', 'f2.bin'])
        } finally {
          await s.close()
        }
      } finally {
        await srv.stop()
      }
    })
  }

  it('refuses that certificate for an upstream named by IP address before sending the login', async () => {
    const srv = await startNamed()
    try {
      const err = await FtpSession.connect({
        host: '127.0.0.1',
        port: srv.port,
        user: srv.user,
        password: srv.password,
        secure: 'explicit',
        tlsCa: cert,
        timeoutMs: 5000,
      }).catch((e: unknown) => e)
      expect(isFtpError(err, 'tls')).toBe(true)
      const log = await srv.commandLog()
      expect(log.some((l) => l.includes('AUTH TLS'))).toBe(true)
      expect(log.filter((l) => /USER|PASS/.test(l))).toEqual([])
    } finally {
      await srv.stop()
    }
  })
})
