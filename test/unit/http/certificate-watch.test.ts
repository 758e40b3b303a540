/**
 * The certificate watcher (src/http/tls.ts): a pair replaced on disk goes to the server for new
 * connections; a half-written pair (new certificate, old key) is refused and the previous one kept
 * until the key arrives. And loadConfig refuses a pair that does not match.
 */
import { X509Certificate } from 'node:crypto'
import { mkdir, mkdtemp, rename, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { SecureContextOptions, Server } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { MIN_TLS_VERSION, watchCertificate } from '../../../src/http/tls.js'
import { installLeaf, issueLeaf, makeTestCa, type TestCa, type TestLeaf } from '../../helpers/tls.js'
import { waitFor } from '../../helpers/wait-for.js'

let ca: TestCa
let a: TestLeaf
let b: TestLeaf
let certFile: string
let keyFile: string

beforeAll(async () => {
  ca = await makeTestCa()
  a = await issueLeaf(ca, 'A')
  b = await issueLeaf(ca, 'B')
  certFile = path.join(ca.dir, 'tls.crt')
  keyFile = path.join(ca.dir, 'tls.key')
})
afterAll(() => ca?.cleanup())

describe('watchCertificate', () => {
  it('reloads while other files in the folder keep changing (a log written beside the certificate)', async () => {
    await installLeaf(a, certFile, keyFile)
    const reloaded: string[] = []
    const server = { setSecureContext: () => undefined } as unknown as Server
    const stop = watchCertificate(
      server,
      { certFile, keyFile },
      { onReloaded: (f) => reloaded.push(f), onRejected: () => undefined },
      { debounceMs: 50, pollMs: 0 },
    )
    // A writer that never pauses longer than the debounce: before the fix every one of its events
    // postponed the reload, so the new certificate was never taken.
    let writing = true
    const noise = (async () => {
      for (let i = 0; writing; i++) {
        await writeFile(path.join(ca.dir, 'access.log'), `line ${i}\n`)
        await new Promise((r) => setTimeout(r, 5))
      }
    })()
    try {
      await installLeaf(b, certFile, keyFile)
      expect(await waitFor(() => reloaded.length > 0, 5000)).toBe(true)
      expect(reloaded).toEqual([new X509Certificate(b.cert).fingerprint256])
    } finally {
      writing = false
      await noise
      stop()
    }
  })

  it('applies a replaced pair and rides out a half-written one', async () => {
    await installLeaf(a, certFile, keyFile)
    const applied: SecureContextOptions[] = []
    const reloaded: string[] = []
    const rejected: string[] = []
    const server = { setSecureContext: (o: SecureContextOptions) => applied.push(o) } as unknown as Server
    const stop = watchCertificate(
      server,
      { certFile, keyFile },
      { onReloaded: (f) => reloaded.push(f), onRejected: (m) => rejected.push(m) },
      { debounceMs: 20, pollMs: 0 },
    )
    try {
      await writeFile(certFile, b.cert)
      expect(await waitFor(() => rejected.length > 0, 5000)).toBe(true)
      expect(rejected[0]).toMatch(/not a usable pair/)
      expect(applied).toEqual([])

      await writeFile(keyFile, b.key)
      expect(await waitFor(() => reloaded.length > 0, 5000)).toBe(true)
      expect(reloaded).toEqual([new X509Certificate(b.cert).fingerprint256])
      expect(applied).toHaveLength(1)
      expect(applied[0]?.minVersion).toBe(MIN_TLS_VERSION)

      // And back, the way renewal tools write (both files renamed into place).
      await installLeaf(a, certFile, keyFile)
      expect(await waitFor(() => reloaded.length === 2, 5000)).toBe(true)
      expect(reloaded[1]).toBe(new X509Certificate(a.cert).fingerprint256)
      expect(applied).toHaveLength(2)
    } finally {
      stop()
    }
  })
})

describe('watchCertificate on a Kubernetes Secret volume', () => {
  it("follows the atomic '..data' symlink swap cert-manager's updates make", async () => {
    // The kubelet's layout: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/, swapped by a rename.
    const volume = await mkdtemp(path.join(ca.dir, 'secret-'))
    const version = async (name: string, leaf: TestLeaf) => {
      await mkdir(path.join(volume, name))
      await writeFile(path.join(volume, name, 'tls.crt'), leaf.cert)
      await writeFile(path.join(volume, name, 'tls.key'), leaf.key)
    }
    await version('..2026_12_07_01', a)
    await symlink('..2026_12_07_01', path.join(volume, '..data'))
    await symlink('..data/tls.crt', path.join(volume, 'tls.crt'))
    await symlink('..data/tls.key', path.join(volume, 'tls.key'))
    const reloaded: string[] = []
    const server = { setSecureContext: () => undefined } as unknown as Server
    const stop = watchCertificate(
      server,
      { certFile: path.join(volume, 'tls.crt'), keyFile: path.join(volume, 'tls.key') },
      { onReloaded: (f) => reloaded.push(f), onRejected: () => undefined },
      { debounceMs: 20, pollMs: 0 },
    )
    try {
      await version('..2026_12_07_02', b)
      await symlink('..2026_12_07_02', path.join(volume, '..data_tmp'))
      await rename(path.join(volume, '..data_tmp'), path.join(volume, '..data'))
      expect(await waitFor(() => reloaded.length > 0, 5000)).toBe(true)
      expect(reloaded).toEqual([new X509Certificate(b.cert).fingerprint256])
    } finally {
      stop()
    }
  })
})

describe('TLS_CERT_FILE and TLS_KEY_FILE in loadConfig', () => {
  it('refuses one without the other, unreadable files and a mismatched pair', async () => {
    await installLeaf(a, certFile, keyFile)
    const mismatched = path.join(ca.dir, 'other.key')
    await writeFile(mismatched, b.key)
    expect(() => loadConfig({ TLS_CERT_FILE: certFile })).toThrow(
      /TLS_CERT_FILE and TLS_KEY_FILE must be set together/,
    )
    expect(() => loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: '/nonexistent.key' })).toThrow(
      /TLS_KEY_FILE cannot be read/,
    )
    expect(() => loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: mismatched })).toThrow(
      /not a usable pair/,
    )
    expect(loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile }).tls).toEqual({ certFile, keyFile })
  })
})
