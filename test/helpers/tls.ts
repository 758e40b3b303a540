/**
 * Certificates for the HTTPS tests, made at test time with selfsigned: a throwaway CA and leaf
 * certificates it signs for 127.0.0.1/localhost, so a client that trusts the CA accepts every leaf
 * and a certificate swap on the gateway is invisible to it (as with a real CA's renewal).
 */
import { createHash, createPublicKey } from 'node:crypto'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { generate } from 'selfsigned'

/** A CA: PEMs and the file clients trust. */
export interface TestCa {
  cert: string
  key: string
  /** A folder of its own, removed by cleanup(). */
  dir: string
  caFile: string
  cleanup(): Promise<void>
}

/** A leaf certificate and its key. */
export interface TestLeaf {
  cert: string
  key: string
}

const DAY_MS = 86_400_000

/** A fresh CA (its PEM written to `caFile`). */
export async function makeTestCa(): Promise<TestCa> {
  const now = Date.now()
  const pems = await generate([{ name: 'commonName', value: 'ftp-gateway test CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  })
  const dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-tls-test-'))
  const caFile = path.join(dir, 'ca.pem')
  await writeFile(caFile, pems.cert)
  return {
    cert: pems.cert,
    key: pems.private,
    dir,
    caFile,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

/** A leaf for 127.0.0.1 and localhost signed by `ca`; `cn` tells leaves apart. */
export async function issueLeaf(ca: TestCa, cn: string): Promise<TestLeaf> {
  const now = Date.now()
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + DAY_MS),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  })
  return { cert: pems.cert, key: pems.private }
}

/**
 * Puts `leaf` at `certFile`/`keyFile` the way renewal tools do: each file written beside its
 * target and renamed over it (readers never see half a file; for a moment they see the new
 * certificate with the old key, which the gateway must ride out).
 */
export async function installLeaf(leaf: TestLeaf, certFile: string, keyFile: string): Promise<void> {
  await writeFile(`${certFile}.new`, leaf.cert)
  await writeFile(`${keyFile}.new`, leaf.key, { mode: 0o600 })
  await rename(`${certFile}.new`, certFile)
  await rename(`${keyFile}.new`, keyFile)
}

/** Base64 SHA-256 of a certificate's public key (Chromium's --ignore-certificate-errors-spki-list). */
export function spkiHash(certPem: string): string {
  const der = createPublicKey(certPem).export({ type: 'spki', format: 'der' })
  return createHash('sha256').update(der).digest('base64')
}
