/**
 * GATEWAY_CONFIG end to end: a gateway PROCESS configured by a YAML file serves a real vsftpd;
 * the environment's PORT overrides the file's (logged once at start); SIGHUP with an invalid file
 * logs every problem and keeps serving with the old configuration; SIGHUP with a valid one swaps
 * the tree (a new mount, the upstream's pool rebuilt) and names the settings that wait for a
 * restart; a download in flight through both completes byte-exact.
 */
import { createHash, randomBytes } from 'node:crypto'
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, deleteRedisKeys, SHARED_REDIS_URL, testKeyPrefix } from '../../helpers/gateway.js'
import { type ProcessGateway, spawnGateway } from '../../helpers/process-gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'

let server: FtpServerHandle
let gw: ProcessGateway
let dir: string
let configFile: string
let auth: string
const BIG = randomBytes(64 * 1024 * 1024)

const goodYaml = (port: number, extra = '') => `# one vsftpd at /
port: 1
cache:
  ttlMs: 2000
upstreams:
  vs:
    url: ftp://127.0.0.1:${port}
    pool: { perIdentity: 4, total: 8 }
mounts:
  - path: /
    upstream: vs
${extra}`

interface LogLine {
  level: number
  msg: string
  [k: string]: unknown
}

/** The gateway's JSON log lines so far. */
function logLines(): LogLine[] {
  return gw
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
}

async function logged(pred: (l: LogLine) => boolean, what: string): Promise<LogLine> {
  expect(await waitFor(() => logLines().some(pred), 15_000), `${what}\n${gw.output()}`).toBe(true)
  return logLines().find(pred) as LogLine
}

async function listing(): Promise<string[]> {
  const r = await fetch(`${gw.url}/api/v1/dirs/`, { headers: { authorization: auth } })
  expect(r.status).toBe(200)
  return ((await r.json()) as { entries: Array<{ name: string }> }).entries.map((e) => e.name).sort()
}

beforeAll(async () => {
  server = await startVsftpd()
  auth = basicAuth(server.user, server.password)
  const big = path.join(server.root, 'big.bin')
  await writeFile(big, BIG)
  await chown(big, server.uid, server.gid)
  dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-config-it-'))
  configFile = path.join(dir, 'gateway.yaml')
  await writeFile(configFile, goodYaml(server.port))
  // No FTP_* variable: the file describes the upstream. PORT (set by spawnGateway) overrides `port: 1`.
  gw = await spawnGateway({ env: { GATEWAY_CONFIG: configFile, LOG_LEVEL: 'info' } })
})

afterAll(async () => {
  const end = await gw?.stop()
  expect(end?.code).toBe(0)
  await server?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('a gateway process configured by GATEWAY_CONFIG', () => {
  it("serves the file's upstream; PORT overrode the file's port, logged once at start", async () => {
    expect(await listing()).toEqual(['big.bin'])
    const overrides = logLines().filter(
      (l) => l.msg === 'environment variables override values of the config file',
    )
    expect(overrides).toHaveLength(1)
    expect(overrides[0]).toMatchObject({ file: configFile, overriddenByEnv: ['PORT'] })
  })

  it('SIGHUP: an invalid file is refused (every problem logged), a valid one swaps the tree; a download in flight completes', async () => {
    // A download that is paused half-way (the client stops reading) holds its FTP transfer open.
    const hash = createHash('sha256')
    let received = 0
    let paused: http.IncomingMessage | undefined
    const done = new Promise<number>((resolve, reject) => {
      const req = http.get(`${gw.url}/api/v1/files/big.bin`, { headers: { authorization: auth } }, (res) => {
        expect(res.statusCode).toBe(200)
        res.on('data', (c: Buffer) => {
          hash.update(c)
          received += c.length
          if (received >= 4 * 1024 * 1024 && paused === undefined) {
            res.pause()
            paused = res
          }
        })
        res.on('end', () => resolve(received))
        res.on('error', reject)
      })
      req.on('error', reject)
    })
    expect(await waitFor(() => paused !== undefined, 15_000), 'download paused half-way').toBe(true)

    await writeFile(
      configFile,
      `port: 1
upstreams:
  vs:
    url: ftp://127.0.0.1:${server.port}
    dataMode: sideways
    poolSize: 3
mounts:
  - { path: /, upstream: vs, allow: [everyone] }
`,
    )
    process.kill(gw.pid, 'SIGHUP')
    const refused = await logged((l) => l.msg.startsWith('configuration reload refused'), 'reload refused')
    expect(refused.problems).toEqual([
      `${configFile}:5: upstreams.vs.dataMode must be passive, active or auto (got "sideways")`,
      `${configFile}:6: unknown key upstreams.vs.poolSize (did you mean upstreams.vs.pool?)`,
      `${configFile}:8: mounts[0].allow entries must be "*", "user:NAME" or "group:NAME", optionally with a leading ! to exclude (got "everyone")`,
    ])
    expect(refused.msg).toContain('upstreams.vs.poolSize')
    expect(refused.level).toBe(50)
    // Still serving, with the old configuration (everyone may list /).
    expect(await listing()).toEqual(['big.bin'])
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200)

    // A valid file: taken. The upstream's pool changes (its runtime is rebuilt, the old one drains
    // under the paused download), a second mount appears, and the restart-only change is named
    // and keeps its running value.
    await writeFile(
      configFile,
      goodYaml(server.port, '  - path: /again\n    upstream: vs\n')
        .replace('ttlMs: 2000', 'ttlMs: 10')
        .replace('total: 8', 'total: 9'),
    )
    process.kill(gw.pid, 'SIGHUP')
    const warned = await logged((l) => l.msg.startsWith('changed in the config file'), 'restart warning')
    expect(warned.settings).toEqual(['cache.ttlMs'])
    const reloaded = await logged((l) => l.msg === 'configuration reloaded', 'reloaded')
    expect(reloaded.mounts).toEqual(['/', '/again'])
    expect(await listing()).toEqual(['again', 'big.bin'])
    const head = await fetch(`${gw.url}/api/v1/files/again/big.bin`, {
      method: 'HEAD',
      headers: { authorization: auth },
    })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(BIG.length))

    // The download was in flight through both reloads.
    const metrics = await (await fetch(`${gw.url}/metrics`)).text()
    expect(metrics).toMatch(/^ftpgw_active_transfers\{direction="download"\} 1$/m)
    expect(received).toBeLessThan(BIG.length)
    paused?.resume()
    expect(await done).toBe(BIG.length)
    expect(hash.digest('hex')).toBe(createHash('sha256').update(BIG).digest('hex'))
  })
})

describe('SIGHUP without a config file', () => {
  it('keeps its old meaning: a graceful shutdown (a gateway started in a shell does not outlive it)', async () => {
    const plain = await spawnGateway({ env: { FTP_URL: `ftp://127.0.0.1:${server.port}` } })
    expect(await plain.stop('SIGHUP')).toEqual({ code: 0, signal: null })
  })
})

describe('POST /api/v1/admin/reload on two processes sharing Redis', () => {
  it('reloads the instance asked and, through the store, the other; an invalid file changes nothing (422)', async () => {
    const prefix = testKeyPrefix('reload')
    const files = [path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')]
    for (const f of files) await writeFile(f, goodYaml(server.port))
    const env = {
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      SESSION_SECRET: 'reload-admin-shared-secret-0123456789',
      GATEWAY_ADMINS: `user:${server.user}`,
    }
    const [a, b] = await Promise.all(files.map((f) => spawnGateway({ env: { ...env, GATEWAY_CONFIG: f } })))
    try {
      const names = async (g: ProcessGateway) => {
        const r = await fetch(`${g.url}/api/v1/dirs/`, { headers: { authorization: auth } })
        return ((await r.json()) as { entries: Array<{ name: string }> }).entries.map((e) => e.name).sort()
      }
      const reload = (g: ProcessGateway, authorization = auth) =>
        fetch(`${g.url}/api/v1/admin/reload`, {
          method: 'POST',
          headers: { authorization, 'x-requested-with': 'ftp-gateway' },
        })
      for (const f of files) await writeFile(f, goodYaml(server.port, '  - path: /again\n    upstream: vs\n'))
      const r = await reload(a as ProcessGateway)
      expect(r.status).toBe(200)
      expect(await r.json()).toEqual({ upstreams: ['vs'], mounts: ['/', '/again'], restartNeeded: [] })
      expect(await names(a as ProcessGateway)).toEqual(['again', 'big.bin'])
      // B was told through the store and re-read its own file.
      expect(
        await waitFor(async () => (await names(b as ProcessGateway)).includes('again'), 10_000),
        'B reloaded',
      ).toBe(true)

      // An invalid file: refused with its problems, on A and (not asked) on B nothing changes.
      for (const f of files)
        await writeFile(f, goodYaml(server.port, '  - path: /gone\n    upstream: nope\n'))
      const bad = await reload(b as ProcessGateway)
      expect(bad.status).toBe(422)
      const problem = (await bad.json()) as { code: string; detail: string }
      expect(problem.code).toBe('GW_ERR_CONFIG_INVALID')
      expect(problem.detail).toContain('nope')
      for (const g of [a, b]) expect(await names(g as ProcessGateway)).toEqual(['again', 'big.bin'])

      // Only for admins: a wrong password is 401 before anything is read.
      expect((await reload(a as ProcessGateway, basicAuth(server.user, 'wrong'))).status).toBe(401)
    } finally {
      await Promise.all([a?.stop(), b?.stop()])
      await deleteRedisKeys(SHARED_REDIS_URL, prefix)
    }
  })
})
