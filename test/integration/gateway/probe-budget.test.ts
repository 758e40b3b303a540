/**
 * The readiness probe against a full cluster budget. Two gateway processes share Redis and a
 * budget of 2 connections; A holds both with two downloads whose clients stopped reading, B holds
 * none, so B's background probe (every 2 s, a greeting-only connection) would be a third
 * connection to a server told to expect two. It must take a lease like a session: with none to
 * spare it opens nothing, and B stays ready (the server is evidently answering A).
 */
import { randomBytes } from 'node:crypto'
import { chown, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, deleteRedisKeys, SHARED_REDIS_URL, testKeyPrefix } from '../../helpers/gateway.js'
import { type ProcessGateway, spawnGateway } from '../../helpers/process-gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'

let server: FtpServerHandle
let a: ProcessGateway
let b: ProcessGateway
const prefix = testKeyPrefix('probe-budget')

beforeAll(async () => {
  server = await startVsftpd()
  const env = {
    FTP_URL: `ftp://127.0.0.1:${server.port}`,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_SECRET: 'probe-budget-shared-secret-0123456789',
    FTP_POOL_MAX: '2',
    FTP_POOL_MAX_TOTAL: '2',
    FTP_POOL_MAX_UNVERIFIED: '2',
    // A's sessions close soon after the downloads end, so the budget frees up for B's probe.
    FTP_IDLE_TIMEOUT_MS: '2000',
  }
  ;[a, b] = await Promise.all([spawnGateway({ env }), spawnGateway({ env })])
})

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()])
  await deleteRedisKeys(SHARED_REDIS_URL, prefix)
  await server?.stop()
})

const connects = async () => (await server.commandLog()).filter((l) => /CONNECT: Client/.test(l)).length

describe('readiness probe and the cluster budget', () => {
  it('opens no connection beyond FTP_POOL_MAX_TOTAL, and the idle instance stays ready', async () => {
    // Large enough that neither download can finish into the socket buffers while paused.
    const file = path.join(server.root, 'big.bin')
    await writeFile(file, randomBytes(64 * 1024 * 1024))
    await chown(file, server.uid, server.gid)
    const auth = basicAuth(server.user, server.password)
    const held = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<http.ClientRequest>((resolve, reject) => {
            const req = http.get(
              `${a.url}/api/v1/files/big.bin`,
              { headers: { authorization: auth } },
              (res) => {
                expect(res.statusCode).toBe(200)
                res.pause()
                resolve(req)
              },
            )
            req.on('error', reject)
          }),
      ),
    )
    try {
      expect(
        await waitFor(async () => (await server.controlConnections()) === 2, 10_000),
        'two sessions',
      ).toBe(true)
      const before = await connects()
      const samples: number[] = []
      // Three of B's probe periods (2 s each).
      const until = Date.now() + 6500
      while (Date.now() < until) {
        samples.push(await server.controlConnections())
        await new Promise((r) => setTimeout(r, 50))
      }
      const ready = await fetch(`${b.url}/readyz`)
      const opened = (await connects()) - before
      console.info(
        `probe-budget: ${samples.length} samples, max ${Math.max(...samples)} connections, ${opened} opened`,
      )
      expect(opened, 'connections opened while the budget was full').toBe(0)
      expect(Math.max(...samples)).toBe(2)
      expect(ready.status).toBe(200)
    } finally {
      for (const req of held) req.destroy()
    }
    // Once A's idle sessions close the budget is free: B probes for real, as the log shows.
    const freed = await connects()
    expect(
      await waitFor(async () => (await connects()) > freed, 10_000),
      'a probe once the budget is free',
    ).toBe(true)
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200)
  })
})
