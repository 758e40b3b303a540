/**
 * Issue 22: the default settings must not throttle real traffic behind a load balancer. Two
 * gateways with default limits (Redis-shared, TRUST_PROXY off, as a first deployment has them)
 * behind HAProxy; 20 signed-in clients at full speed send more requests than RATE_LIMIT_MAX allows
 * per window, every one from HAProxy's single address, and not one gets a 429. (That requests
 * without credentials are still counted is test/unit/production/rate-limit-scope.test.ts.)
 */

import { chown, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETTINGS } from '../../../src/config/spec.js'
import { basicAuth, type GatewayHandle, startGateway, testKeyPrefix } from '../../helpers/gateway.js'
import { type HaproxyHandle, startHaproxy } from '../../helpers/haproxy.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

const CLIENTS = 20
const DEFAULT_MAX = SETTINGS.rateLimitMax.fallback
// More than the default allows one address per window, so a per-address count of this traffic would refuse some.
const PER_CLIENT = Math.ceil((DEFAULT_MAX * 1.2) / CLIENTS)

let ftp: FtpServerHandle
const gateways: GatewayHandle[] = []
let lb: HaproxyHandle

beforeAll(async () => {
  ftp = await startVsftpd()
  const file = path.join(ftp.root, 'small.txt')
  await writeFile(file, 'small file\n')
  await chown(file, ftp.uid, ftp.gid)
  // Two instances sharing one Redis prefix, as a deployment's replicas do.
  const prefix = testKeyPrefix('limits')
  for (let i = 0; i < 2; i++) gateways.push(await startGateway(ftp, { REDIS_KEY_PREFIX: prefix }))
  lb = await startHaproxy(
    gateways.map((g) => Number(new URL(g.url).port)),
    { forwardFor: true },
  )
}, 60_000)

afterAll(async () => {
  await lb?.stop()
  await Promise.all(gateways.map((g) => g.close()))
  await ftp?.stop()
})

/** One client: `count` requests one after another; returns the status of each. */
async function client(
  agent: http.Agent,
  count: number,
  headers: http.OutgoingHttpHeaders,
  i: number,
): Promise<number[]> {
  const statuses: number[] = []
  for (let n = 0; n < count; n++) {
    // Mostly downloads, some listings and WebDAV PROPFINDs: what a sync client sends.
    const kind = (n + i) % 4
    const options =
      kind === 3
        ? { path: '/dav/', method: 'PROPFIND', headers: { ...headers, depth: '1' } }
        : kind === 2
          ? { path: '/api/v1/dirs/', method: 'GET', headers }
          : { path: '/api/v1/files/small.txt', method: 'GET', headers }
    statuses.push(
      await new Promise<number>((resolve, reject) => {
        const req = http.request(`${lb.url}${options.path}`, { ...options, agent }, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
          res.on('error', reject)
        })
        req.on('error', reject)
        req.end()
      }),
    )
  }
  return statuses
}

describe('default limits behind a load balancer', () => {
  it(`${CLIENTS} signed-in clients at full speed through HAProxy: no 429`, { timeout: 300_000 }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS })
    const auth = { authorization: basicAuth(ftp.user, ftp.password) }
    try {
      const started = Date.now()
      const results = await Promise.all(
        Array.from({ length: CLIENTS }, (_, i) => client(agent, PER_CLIENT, auth, i)),
      )
      const seconds = (Date.now() - started) / 1000
      const all = results.flat()
      // For the record (the README quotes it), not asserted: speed is the benchmarks' business.
      console.info(
        `${all.length} requests from ${CLIENTS} clients through HAProxy in ${seconds.toFixed(1)} s`,
      )
      expect(all.length).toBeGreaterThan(DEFAULT_MAX)
      const counts: Record<string, number> = {}
      for (const s of all) counts[s] = (counts[s] ?? 0) + 1
      expect(counts).toEqual({ 200: all.length * 0.75, 207: all.length * 0.25 })
    } finally {
      agent.destroy()
    }
  })
})
