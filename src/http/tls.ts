/**
 * HTTPS on the gateway itself (TLS_CERT_FILE, TLS_KEY_FILE): the server's TLS options, and the
 * watcher that hands a certificate replaced on disk to new connections.
 *
 * Certificates are renewed in place by cert-manager (a Secret volume: the files are symlinks
 * through `..data`, which is swapped atomically) and certbot (symlinks in `live/` re-pointed), so
 * the folders are watched, not the files: a rename or a symlink swap is an event on the folder.
 * Events are coalesced, both files are read again, and a pair that does not make a TLS context
 * (the certificate written, the key not yet) is skipped until the next event; a periodic re-read
 * catches what a watcher misses (network filesystems). `server.setSecureContext` applies to
 * handshakes from then on: open connections keep the context they were made with.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { type FSWatcher, readFileSync, watch } from 'node:fs'
import path from 'node:path'
import { createSecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls'
import type { TlsConfig } from '../config.js'

/** Oldest protocol the gateway speaks: TLS 1.0 and 1.1 are refused at the handshake. */
export const MIN_TLS_VERSION = 'TLSv1.2' as const

/** The TLS part of the server options: the pair as it is on disk now, TLS 1.2 at least. */
export function tlsServerOptions(
  tls: TlsConfig,
): SecureContextOptions & { minVersion: typeof MIN_TLS_VERSION } {
  return { ...readPair(tls), minVersion: MIN_TLS_VERSION }
}

function readPair(tls: TlsConfig): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }
}

/** SHA-256 fingerprint of the first certificate in a PEM, as `AB:CD:…` (what browsers show). */
export function certificateFingerprint(pem: Buffer | string): string {
  return new X509Certificate(pem).fingerprint256
}

/** What the watcher reports. */
export interface CertificateWatchEvents {
  /** A new pair is in use for new connections. */
  onReloaded(fingerprint: string): void
  /** The files changed but do not make a usable pair (yet); the previous one stays in use. */
  onRejected(message: string): void
}

/** Options of watchCertificate. */
export interface CertificateWatchOptions {
  /** Quiet time after the last event before the files are read (a swap is several events). */
  debounceMs?: number
  /** Periodic re-read in case an event was missed; 0 turns it off. */
  pollMs?: number
}

/**
 * Watches the certificate and key and puts a changed pair into `server` for new connections.
 * Returns a function that stops watching.
 */
export function watchCertificate(
  server: TlsServer,
  tls: TlsConfig,
  events: CertificateWatchEvents,
  options: CertificateWatchOptions = {},
): () => void {
  const debounceMs = options.debounceMs ?? 250
  const pollMs = options.pollMs ?? 60_000
  let current = digest(readPair(tls))
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const reload = () => {
    timer = undefined
    if (stopped) return
    let pair: { cert: Buffer; key: Buffer }
    try {
      pair = readPair(tls)
    } catch (err) {
      events.onRejected(`certificate files cannot be read: ${(err as Error).message}`)
      return
    }
    const next = digest(pair)
    if (next === current) return
    try {
      // Built first so a mismatched or broken pair never reaches the server.
      createSecureContext({ ...pair, minVersion: MIN_TLS_VERSION })
      server.setSecureContext({ ...pair, minVersion: MIN_TLS_VERSION })
    } catch (err) {
      events.onRejected(`new certificate files are not a usable pair: ${(err as Error).message}`)
      return
    }
    current = next
    events.onReloaded(certificateFingerprint(pair.cert))
  }
  // Names whose change may mean new certificate files: the files themselves, their temporary
  // siblings (`tls.crt.new`), and Kubernetes' `..data` link swap. Other files in the folder (logs,
  // anything else) are not a reason to look, and must not keep postponing the reload.
  const relevant = new Set([path.basename(tls.certFile), path.basename(tls.keyFile)])
  const concerns = (name: string | Buffer | null) => {
    if (name === null) return true
    const n = String(name)
    return n.startsWith('..') || [...relevant].some((r) => n === r || n.startsWith(`${r}.`))
  }
  let firstEventAt = 0
  const schedule = (_event?: string, name: string | Buffer | null = null) => {
    if (stopped || !concerns(name)) return
    const now = Date.now()
    if (timer) {
      // A steady stream of events would postpone the reload for ever: at most 4 debounces late.
      if (now - firstEventAt >= 4 * debounceMs) return
      clearTimeout(timer)
    } else firstEventAt = now
    timer = setTimeout(reload, debounceMs)
    timer.unref()
  }

  const folders = new Set([path.dirname(tls.certFile), path.dirname(tls.keyFile)])
  const watchers: FSWatcher[] = []
  for (const folder of folders) {
    try {
      const w = watch(folder, { persistent: false }, schedule)
      // A folder removed and recreated stops its watcher; the poll still catches the change.
      w.on('error', () => undefined)
      watchers.push(w)
    } catch {
      // Not watchable (some network filesystems): the poll is all there is.
    }
  }
  const poll = pollMs > 0 ? setInterval(() => schedule(), pollMs) : undefined
  poll?.unref()

  return () => {
    stopped = true
    if (timer) clearTimeout(timer)
    if (poll) clearInterval(poll)
    for (const w of watchers) w.close()
  }
}

function digest(pair: { cert: Buffer; key: Buffer }): string {
  return createHash('sha256').update(pair.cert).update('\0').update(pair.key).digest('hex')
}
