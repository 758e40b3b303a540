/**
 * Shared pieces of the faults suite: the embedded fault server as an upstream, baseline checks
 * (pool idle, server connections back to the pool's size), raw HTTP helpers that report exactly
 * how a response ended (clean end vs broken body), and the per-file leak / rejection bookkeeping.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'
import { LocalFtpServer, type LocalFtpServerOptions } from '../../../src/local-server/index.js'
import { type GatewayHandle, silenceReadinessProbe } from '../../helpers/gateway.js'
import { waitFor } from '../../helpers/wait-for.js'
import { record } from './counters.js'

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The embedded server over a fresh temp root; every user logs in with password `pw`. */
export async function startEmbedded(
  o: Partial<LocalFtpServerOptions> = {},
): Promise<{ server: LocalFtpServer; root: string; port: number; stop(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ftpgw-faults-up-'))
  const server = new LocalFtpServer({ root, users: (_u, p) => p === 'pw', ...o })
  const { port } = await server.listen()
  return {
    server,
    root,
    port,
    async stop() {
      await server.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** How an HTTP exchange ended, read byte-exactly with node:http. */
export interface Outcome {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  /** 'end' only when the response completed cleanly (all declared bytes, proper ending). */
  ending: 'end' | 'aborted' | 'error'
  ms: number
}

/** One request; never rejects for a broken body (it reports it in `ending`). */
export function request(
  url: string,
  o: {
    method?: string
    headers?: http.OutgoingHttpHeaders
    body?: Buffer | string | undefined
    /** Called with the response before reading; may pause/resume it (slow readers). */
    onResponse?: (res: http.IncomingMessage) => void
    timeoutMs?: number
  } = {},
): Promise<Outcome> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    // The path goes out exactly as given: `new URL` would resolve `..` and `%2e%2e` client-side,
    // and hostile paths must reach the gateway unnormalised.
    const base = /^(https?:\/\/[^/]+)(.*)$/.exec(url)
    const target = new URL(base?.[1] ?? url)
    const req = http.request({
      host: target.hostname,
      port: target.port,
      path: base?.[2] || '/',
      method: o.method ?? 'GET',
      headers: o.headers,
      agent: false,
    })
    const timer = setTimeout(() => req.destroy(new Error('test timeout')), o.timeoutMs ?? 30_000)
    req.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      let done = false
      const finish = (ending: Outcome['ending']) => {
        if (done) return
        done = true
        clearTimeout(timer)
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          ending: ending === 'end' && !res.complete ? 'aborted' : ending,
          ms: Date.now() - started,
        })
      }
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => finish('end'))
      res.on('aborted', () => finish('aborted'))
      res.on('error', () => finish('error'))
      res.on('close', () => finish('aborted'))
      o.onResponse?.(res)
    })
    req.end(o.body)
  })
}

/**
 * Waits until the gateway is at rest after a case: nothing busy, waiting or being created, and the
 * FTP server holds exactly as many control connections as the pool has sessions (more would be a
 * leaked session). Records a leak for the summary and fails the case when that never happens.
 */
export async function expectBaseline(
  gw: GatewayHandle,
  serverConnections: () => number | Promise<number>,
  label: string,
): Promise<void> {
  const pool = gw.gateway.upstream.pool
  let last = ''
  const ok = await waitFor(async () => {
    const s = pool.stats()
    const conns = await serverConnections()
    last = JSON.stringify({
      size: s.size,
      idle: s.idle,
      busy: s.busy,
      waiting: s.waiting,
      pending: s.pending,
      conns,
    })
    return s.busy === 0 && s.waiting === 0 && s.pending === 0 && conns === s.size
  }, 10_000)
  if (!ok) record({ sessionsLeaked: 1 })
  expect(ok, `${label}: not back to baseline: ${last}`).toBe(true)
}

/** The readiness probe dials the upstream outside the pool; silence it so connection counts are exact. */
export function quietProbe(gw: GatewayHandle): void {
  silenceReadinessProbe(gw)
}

/** Counts unhandled rejections in this worker from the moment of the call. */
export function rejectionCounter(): () => unknown[] {
  const seen: unknown[] = []
  process.on('unhandledRejection', (r) => seen.push(r))
  return () => seen
}
