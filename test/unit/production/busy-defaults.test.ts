/**
 * Defaults for a busy deployment (issue 22). RATE_LIMIT_SCOPE: by default the per-address limit
 * counts only requests without credentials, so signed-in clients sharing one address (a load
 * balancer without TRUST_PROXY) are never throttled; `all` counts everything, as before. The
 * once-only warning when X-Forwarded-For arrives while TRUST_PROXY is off. FTP_POOL_MAX in
 * service-account mode.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import { type GatewayConfig, loadConfig } from '../../../src/config.js'
import { createServer } from '../../../src/http/app.js'
import { FORWARDED_WITHOUT_TRUST_PROXY } from '../../../src/http/forwarded-warning.js'
import { MemoryStore } from '../../../src/store/index.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'
import { buildTestApp, FakeAuthenticator, GOOD_AUTH, GOOD_TOKEN, testConfig } from '../../helpers/http-app.js'

const from = '192.0.2.10'

describe('RATE_LIMIT_SCOPE', () => {
  it('defaults to anonymous', () => {
    expect(loadConfig({}).rateLimitScope).toBe('anonymous')
    expect(() => loadConfig({ RATE_LIMIT_SCOPE: 'everyone' })).toThrow(
      /RATE_LIMIT_SCOPE must be anonymous or all/,
    )
  })

  it('anonymous: credentialed requests from a throttled address still get through', async () => {
    const { app } = await buildTestApp({ config: testConfig({ rateLimitMax: 2, rateLimitWindowMs: 60_000 }) })
    const anon = async () => (await app.inject({ url: '/api/v1/dirs/', remoteAddress: from })).statusCode
    expect([await anon(), await anon(), await anon()]).toEqual([401, 401, 429])
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const basic = await app.inject({
        url: '/api/v1/dirs/',
        remoteAddress: from,
        headers: { authorization: GOOD_AUTH },
      })
      const bearer = await app.inject({
        url: '/api/v1/dirs/',
        remoteAddress: from,
        headers: { authorization: `Bearer ${GOOD_TOKEN}` },
      })
      statuses.push(basic.statusCode, bearer.statusCode)
    }
    expect(statuses).toEqual(Array(10).fill(200))
    // Still throttled without credentials.
    expect(await anon()).toBe(429)
  })

  it('anonymous: a wrong credential is not counted here (the login limits hold it back)', async () => {
    const { app } = await buildTestApp({ config: testConfig({ rateLimitMax: 1, rateLimitWindowMs: 60_000 }) })
    const bad = `Basic ${Buffer.from('alice:wrong').toString('base64')}`
    const statuses: number[] = []
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await app.inject({ url: '/api/v1/dirs/', remoteAddress: from, headers: { authorization: bad } }))
          .statusCode,
      )
    expect(statuses).toEqual([401, 401, 401])
  })

  it('all: credentialed requests count too', async () => {
    const { app } = await buildTestApp({
      config: testConfig({ rateLimitMax: 2, rateLimitWindowMs: 60_000, rateLimitScope: 'all' }),
    })
    const statuses: number[] = []
    for (let i = 0; i < 3; i++)
      statuses.push(
        (
          await app.inject({
            url: '/api/v1/dirs/',
            remoteAddress: from,
            headers: { authorization: GOOD_AUTH },
          })
        ).statusCode,
      )
    expect(statuses).toEqual([200, 200, 429])
  })
})

describe('X-Forwarded-For while TRUST_PROXY is off', () => {
  function capture() {
    const lines: Array<{ level: number; msg: string }> = []
    const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) })
    return { logger, warnings: () => lines.filter((l) => l.msg === FORWARDED_WITHOUT_TRUST_PROXY) }
  }

  async function appWith(config: GatewayConfig, logger: pino.Logger) {
    const store = new MemoryStore()
    const app = createServer(
      { config, files: new FakeFileService(), auth: new FakeAuthenticator(), store },
      { logger },
    )
    onTestFinished(async () => {
      await app.close()
      await store.close()
    })
    await app.ready()
    return app
  }

  it('warns once, at the first such request', async () => {
    const { logger, warnings } = capture()
    const app = await appWith(testConfig(), logger)
    await app.inject({ url: '/healthz' })
    expect(warnings()).toHaveLength(0)
    for (let i = 0; i < 3; i++)
      await app.inject({ url: '/healthz', headers: { 'x-forwarded-for': '198.51.100.1' } })
    expect(warnings()).toHaveLength(1)
  })

  it('says nothing when TRUST_PROXY is set', async () => {
    const { logger, warnings } = capture()
    const app = await appWith(testConfig({ trustProxy: 1 }), logger)
    await app.inject({ url: '/healthz', headers: { 'x-forwarded-for': '198.51.100.1' } })
    expect(warnings()).toHaveLength(0)
  })
})

describe('FTP_POOL_MAX in service-account mode', () => {
  it('defaults to FTP_POOL_MAX_TOTAL (every client shares the one account), and a set value wins', () => {
    expect(loadConfig({ FTP_URL: 'ftp://h' }).upstreams[0]?.poolMax).toBe(4)
    expect(loadConfig({ FTP_URL: 'ftp://svc:pw@h' }).upstreams[0]?.poolMax).toBe(32)
    expect(loadConfig({ FTP_URL: 'ftp://svc:pw@h', FTP_POOL_MAX_TOTAL: '50' }).upstreams[0]?.poolMax).toBe(50)
    expect(loadConfig({ FTP_URL: 'ftp://svc:pw@h', FTP_POOL_MAX: '6' }).upstreams[0]?.poolMax).toBe(6)
  })

  it('the same per upstream of a config file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-busy-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    const file = path.join(dir, 'gateway.yaml')
    await writeFile(
      file,
      [
        'upstreams:',
        '  svc:',
        '    url: ftp://svc:pw@ftp.example:21',
        '  set:',
        '    url: ftp://svc:pw@ftp2.example:21',
        '    pool:',
        '      perIdentity: 6',
        '  users:',
        '    url: ftp://ftp3.example:21',
        'mounts:',
        '  - { path: /, upstream: svc }',
        '  - { path: /set, upstream: set }',
        '  - { path: /users, upstream: users }',
      ].join('\n'),
    )
    const pools = loadConfig({ GATEWAY_CONFIG: file }).upstreams.map((u) => [u.name, u.poolMax])
    expect(pools).toEqual([
      ['svc', 32],
      ['set', 6],
      ['users', 4],
    ])
  })
})
