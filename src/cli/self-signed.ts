/**
 * `serve --tls` in local mode: a self-signed certificate for this run (selfsigned), written to a
 * private temporary folder that is removed when the process exits. Production brings its own
 * certificate (TLS_CERT_FILE, TLS_KEY_FILE).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { generate } from 'selfsigned'
import { certificateFingerprint } from '../http/tls.js'

/** A certificate made for local mode. */
export interface LocalCertificate {
  certFile: string
  keyFile: string
  /** SHA-256 fingerprint, `AB:CD:…`, to compare with what a browser shows. */
  fingerprint: string
}

const DAY_MS = 86_400_000

/** Makes a certificate for localhost, the loopback addresses and `host` (when it names one). */
export async function makeLocalCertificate(host: string): Promise<LocalCertificate> {
  const names = new Set(['localhost'])
  const ips = new Set(['127.0.0.1', '::1'])
  if (host !== '0.0.0.0' && host !== '::') (isIP(host) ? ips : names).add(host)
  const now = Date.now()
  const pems = await generate([{ name: 'commonName', value: 'ftp-gateway local mode' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + 30 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...[...names].map((value) => ({ type: 2 as const, value })),
          ...[...ips].map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  })
  const dir = mkdtempSync(path.join(tmpdir(), 'ftp-gateway-tls-'))
  // The key never outlives the run that made it.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  const certFile = path.join(dir, 'cert.pem')
  const keyFile = path.join(dir, 'key.pem')
  writeFileSync(certFile, pems.cert, { mode: 0o644 })
  writeFileSync(keyFile, pems.private, { mode: 0o600 })
  return { certFile, keyFile, fingerprint: certificateFingerprint(pems.cert) }
}
