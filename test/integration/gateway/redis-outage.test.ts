/**
 * Redis goes away under load and comes back. A throwaway redis-server (own port, no persistence)
 * backs the gateway; while a loop of Basic-auth downloads runs, Redis gets SIGKILL. Basic
 * downloads need nothing from Redis (the FTP login is the credential check; the pool's cluster
 * budget fails open within its local cap), so they must keep succeeding. What does need Redis,
 * creating a token, must fail fast and cleanly (503 problem, not a hang or a 500). Once Redis is
 * back on the same port, tokens work again without restarting the gateway.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chown, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, httpGet, startGateway } from '../../helpers/gateway.js'
import { captureLogs, failures as loggedFailures } from '../../helpers/log-capture.js'
import { pickFreePort } from '../../helpers/process-gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let server: FtpServerHandle
let gw: GatewayHandle
let redisPort: number
let redis: ChildProcess | undefined
const content = randomBytes(64 * 1024)
/** The gateway's logs: why a request was refused (the store's fast path, or a command timeout). */
const logs = captureLogs('warn')

/** Starts redis-server on `redisPort` and waits until it answers PING. */
async function startRedis(): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const up = await waitFor(async () => {
    const out = await new Promise<string>((resolve) => {
      const p = spawn('redis-cli', ['-p', String(redisPort), 'ping'])
      let s = ''
      p.stdout.on('data', (d: Buffer) => {
        s += d.toString()
      })
      p.on('close', () => resolve(s.trim()))
      p.on('error', () => resolve(''))
    })
    return out === 'PONG'
  }, 10_000)
  if (!up) throw new Error(`redis-server did not come up on ${redisPort}`)
  return child
}

async function killRedis(): Promise<void> {
  const child = redis
  redis = undefined
  if (!child || child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

const createToken = (user: string, password: string) =>
  fetch(`${gw.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
    signal: AbortSignal.timeout(15_000),
  })

beforeAll(async () => {
  redisPort = await pickFreePort()
  redis = await startRedis()
  server = await startVsftpd()
  const file = path.join(server.root, 'f.bin')
  await writeFile(file, content)
  await chown(file, server.uid, server.gid)
  gw = await startGateway(server, { REDIS_URL: `redis://127.0.0.1:${redisPort}` }, { logger: logs.logger })
})

afterAll(async () => {
  await gw?.close()
  await killRedis()
  await server?.stop()
})

describe('Redis outage', () => {
  it('Basic downloads go on, token creation fails cleanly, tokens work again once Redis is back', async () => {
    const auth = basicAuth(server.user, server.password)
    const before = await createToken(server.user, server.password)
    expect(before.status).toBe(201)
    const { token } = (await before.json()) as { token: string }

    // The download loop: one after another until told to stop; every outcome recorded.
    const outcomes: Array<{ at: number; status: number; ok: boolean; code?: string | undefined }> = []
    let running = true
    const loop = (async () => {
      while (running) {
        const r = await httpGet(`${gw.url}/api/v1/files/f.bin`, { headers: { authorization: auth } }).catch(
          (err: Error) => ({ status: -1, body: Buffer.from(err.message), headers: {} }),
        )
        const ok = r.status === 200 && r.body.equals(content)
        outcomes.push({
          at: Date.now(),
          status: r.status,
          ok,
          code: ok ? undefined : r.body.toString('utf8').slice(0, 200),
        })
        await sleep(20)
      }
    })()

    await sleep(300)
    await killRedis()
    const killedAt = Date.now()

    // Token creation needs the store: a 503 problem, from the fast path.
    const mark = logs.records.length
    const t0 = Date.now()
    const refused = await createToken(server.user, server.password)
    const refusedMs = Date.now() - t0
    const refusedBody = (await refused.json()) as { code: string }
    const refusal = loggedFailures(logs.since(mark))
    // And an existing token cannot be checked either: also a 503, not a 401 (it may well be valid).
    const bearer = await fetch(`${gw.url}/api/v1/dirs/`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    })
    const bearerBody = (await bearer.json()) as { code: string }
    await sleep(2000)

    // Redis back on the same port: tokens work again, no gateway restart.
    redis = await startRedis()
    const backAt = Date.now()
    let tokenBack = -1
    const recovered = await waitFor(
      async () => {
        const r = await createToken(server.user, server.password)
        tokenBack = r.status
        if (r.status !== 201) return false
        const { token: fresh } = (await r.json()) as { token: string }
        const use = await fetch(`${gw.url}/api/v1/files/f.bin`, {
          headers: { authorization: `Bearer ${fresh}` },
        })
        return use.status === 200 && Buffer.from(await use.arrayBuffer()).equals(content)
      },
      10_000,
      200,
    )
    const recoveredMs = Date.now() - backAt
    running = false
    await loop

    const during = outcomes.filter((o) => o.at > killedAt && o.at < backAt)
    const failures = outcomes.filter((o) => !o.ok)
    console.info(
      `redis-outage: token create while down → ${refused.status} ${refusedBody.code} in ${refusedMs} ms; ` +
        `bearer while down → ${bearer.status} ${bearerBody.code}; ${during.length} Basic downloads while down, ` +
        `${failures.length} failures of ${outcomes.length} overall; tokens back after ${recoveredMs} ms (last ${tokenBack})`,
    )
    expect(failures).toEqual([])
    expect(during.length).toBeGreaterThan(10)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    // Refused because the connection is known to be down (no offline queue), not after a wait for
    // it ran out (`not ready within N ms`) or a command waited out its timeout (`Command timed out`).
    expect(refusal, JSON.stringify(refusal)).toHaveLength(1)
    expect(refusal[0]?.code).toBe('STORE_ERR_UNAVAILABLE')
    expect(refusal[0]?.message).toMatch(/^redis unavailable \(down\b/)
    console.info(`redis-outage: token refusal logged as ${JSON.stringify(refusal[0])}`)
    expect(bearer.status).toBe(503)
    expect(recovered).toBe(true)
  })
})
