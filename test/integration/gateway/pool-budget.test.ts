/**
 * The connection budget under real load: 500 downloads fired at once (no client-side throttling;
 * a keep-alive agent with more sockets than requests) through a gateway allowed 8 FTP sessions.
 * vsftpd would accept 50, so only the gateway's pool can keep the count at 8, and we watch it from
 * the server side (`ss` on vsftpd's control port) while the load runs.
 */
import { randomBytes } from 'node:crypto'
import { chown, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, httpGet, startGateway } from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'

const REQUESTS = 500
const SIZE = 256 * 1024
const POOL = 8

let server: FtpServerHandle
let gw: GatewayHandle

beforeAll(async () => {
  server = await startVsftpd({ config: { max_clients: '50', max_per_ip: '50' } })
  gw = await startGateway(server, {
    FTP_POOL_MAX: String(POOL),
    FTP_POOL_MAX_TOTAL: String(POOL),
    // 500 sockets from one address, as from a load balancer: no per-address cap (it is not under test).
    HTTP_MAX_CONNECTIONS_PER_ADDRESS: '0',
  })
})

afterAll(async () => {
  await gw?.close()
  await server?.stop()
})

describe('pool budget under 500 concurrent downloads', () => {
  it('never exceeds 8 upstream sessions, runs them in parallel, and serves every byte', async () => {
    const content = randomBytes(SIZE)
    const file = path.join(server.root, 'quarter.bin')
    await writeFile(file, content)
    await chown(file, server.uid, server.gid)

    // The readiness probe (every 2 s, a greeting-only connection when the pool holds no session)
    // takes a lease of the same budget: it is counted here, not silenced.
    const agent = new http.Agent({ keepAlive: true, maxSockets: REQUESTS + 10 })
    const url = `${gw.url}/api/v1/files/quarter.bin`
    const headers = { authorization: basicAuth(server.user, server.password) }

    // Server-side sampler: `ss` on vsftpd's port, back to back with ~20 ms pauses.
    const samples: number[] = []
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        samples.push(await server.controlConnections())
        await new Promise((r) => setTimeout(r, 20))
      }
    })()

    const started = Date.now()
    const results = await Promise.allSettled(
      Array.from({ length: REQUESTS }, () => httpGet(url, { headers, agent })),
    )
    const elapsedMs = Date.now() - started
    sampling = false
    await sampler
    agent.destroy()

    const failures = results.filter((r) => r.status === 'rejected')
    const bad = results.filter(
      (r) => r.status === 'fulfilled' && (r.value.status !== 200 || !r.value.body.equals(content)),
    )
    const max = Math.max(...samples)
    console.info(
      `pool-budget: ${REQUESTS} downloads of ${SIZE} B in ${elapsedMs} ms; ${samples.length} server samples, ` +
        `max control connections ${max}; pool ${JSON.stringify(gw.gateway.upstream.pool.stats())}`,
    )
    expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([])
    expect(bad.length).toBe(0)
    expect(samples.length).toBeGreaterThan(5)
    expect(max).toBeLessThanOrEqual(POOL)
    expect(max).toBeGreaterThan(1)

    // Once the load is gone nothing is checked out or queued, and the pool stayed within its size.
    expect(await waitFor(() => gw.gateway.upstream.pool.stats().busy === 0, 5000)).toBe(true)
    const stats = gw.gateway.upstream.pool.stats()
    expect(stats.size).toBeLessThanOrEqual(POOL)
    expect(stats.busy).toBe(0)
    expect(stats.waiting).toBe(0)
    expect(await server.controlConnections()).toBeLessThanOrEqual(POOL)
  })
})
