import { describe, expect, it } from 'vitest'
import { startCommandTimer } from '../../../src/ftp/diagnostics.js'
import { createServer } from '../../../src/http/app.js'
import type { GatewayStats } from '../../../src/http/metrics.js'
import { MemoryStore } from '../../../src/store/index.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'
import { buildTestApp, FakeAuthenticator, GOOD_AUTH, testConfig } from '../../helpers/http-app.js'

const stats = (): GatewayStats => ({
  pools: {
    web: { size: 3, idle: 1, busy: 2, waiting: 4, pending: 1, created: 7, evicted: 2, failedCreates: 1 },
    partners: { size: 1, idle: 1, busy: 0, waiting: 0, pending: 0, created: 9, evicted: 0, failedCreates: 0 },
  },
  cache: { hits: 11, misses: 5 },
})

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name}{`)))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('/metrics', () => {
  it('exposes every family with route patterns, never raw URLs', async () => {
    const store = new MemoryStore()
    // No ban gauge: its scrape-time read of the closed store would be a second store error.
    const t = await buildTestApp({ stats, store, bans: undefined })
    t.files.putFile('docs/secret-name.txt', 'hello world')

    expect(
      (
        await t.app.inject({
          url: '/api/v1/files/docs/secret-name.txt',
          headers: { authorization: GOOD_AUTH },
        })
      ).statusCode,
    ).toBe(200)
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: '/api/v1/files/docs/up.txt',
          headers: { authorization: GOOD_AUTH, 'content-type': 'application/octet-stream' },
          payload: 'uploaded bytes',
        })
      ).statusCode,
    ).toBe(201)
    expect(
      (await t.app.inject({ url: '/api/v1/files/nope/missing.txt', headers: { authorization: GOOD_AUTH } }))
        .statusCode,
    ).toBe(404)
    expect((await t.app.inject({ url: '/api/v1/dirs/docs' })).statusCode).toBe(401)
    expect((await t.app.inject({ url: '/no/such/route/xyz' })).statusCode).toBe(404)
    // An FTP exchange as the engine publishes it, and a failed store call.
    startCommandTimer('RETR', 1, 'web')?.done(150)
    startCommandTimer('CWD', 1)?.done(0)
    await store.close()
    await store.get('k').catch(() => undefined)

    const res = await t.app.inject({ url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    const text = res.body

    expect(
      sample(text, 'ftpgw_http_requests_total', '{method="GET",route="/api/v1/files/*",status="200"}'),
    ).toBe(1)
    expect(
      sample(text, 'ftpgw_http_requests_total', '{method="PUT",route="/api/v1/files/*",status="201"}'),
    ).toBe(1)
    expect(
      sample(text, 'ftpgw_http_requests_total', '{method="GET",route="/api/v1/files/*",status="404"}'),
    ).toBe(1)
    expect(
      sample(text, 'ftpgw_http_requests_total', '{method="GET",route="/api/v1/dirs/*",status="401"}'),
    ).toBe(1)
    expect(sample(text, 'ftpgw_http_requests_total', '{method="GET",route="(unmatched)",status="404"}')).toBe(
      1,
    )
    // Raw paths never become labels (cardinality, and file names can be confidential).
    expect(text).not.toMatch(/secret-name|missing\.txt|no\/such/)
    expect(text).toContain(
      'ftpgw_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/files/*"}',
    )
    expect(text).toContain('# TYPE ftpgw_http_received_bytes_total counter')
    expect(text).toContain('# TYPE ftpgw_http_sent_bytes_total counter')
    expect(
      sample(
        text,
        'ftpgw_ftp_command_duration_seconds_count',
        '{upstream="web",command="RETR",reply_class="1xx"}',
      ),
    ).toBe(1)
    expect(
      sample(
        text,
        'ftpgw_ftp_command_duration_seconds_count',
        '{upstream="default",command="CWD",reply_class="error"}',
      ),
    ).toBe(1)
    const up = '{upstream="web"}'
    // One series per upstream.
    expect(sample(text, 'ftpgw_pool_sessions_created_total', '{upstream="partners"}')).toBe(9)
    expect(sample(text, 'ftpgw_pool_sessions', up)).toBe(3)
    expect(sample(text, 'ftpgw_pool_sessions_idle', up)).toBe(1)
    expect(sample(text, 'ftpgw_pool_sessions_busy', up)).toBe(2)
    expect(sample(text, 'ftpgw_pool_waiting', up)).toBe(4)
    expect(sample(text, 'ftpgw_pool_pending_creates', up)).toBe(1)
    expect(sample(text, 'ftpgw_pool_sessions_created_total', up)).toBe(7)
    expect(sample(text, 'ftpgw_pool_sessions_evicted_total', up)).toBe(2)
    expect(sample(text, 'ftpgw_pool_create_failures_total', up)).toBe(1)
    expect(sample(text, 'ftpgw_cache_hits_total')).toBe(11)
    expect(sample(text, 'ftpgw_cache_misses_total')).toBe(5)
    expect(sample(text, 'ftpgw_store_errors_total')).toBe(1)
    expect(sample(text, 'ftpgw_active_transfers', '{direction="download"}')).toBe(0)
    expect(sample(text, 'ftpgw_active_transfers', '{direction="upload"}')).toBe(0)
    expect(text).toContain('ftpgw_process_resident_memory_bytes')

    // Scrape-time counters follow their sources rather than adding up on every scrape.
    const again = (await t.app.inject({ url: '/metrics' })).body
    expect(sample(again, 'ftpgw_pool_sessions_created_total', up)).toBe(7)
  })

  it('counts bytes on real connections', async () => {
    const files = new FakeFileService()
    files.putFile('big.bin', Buffer.alloc(100_000, 7))
    files.chunkSize = 16_384
    const app = createServer({
      config: testConfig(),
      files,
      auth: new FakeAuthenticator(),
      stats,
      store: new MemoryStore(),
    })
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 })
      const body = Buffer.alloc(50_000, 1)
      const put = await fetch(`${address}/api/v1/files/in.bin`, {
        method: 'PUT',
        headers: { authorization: GOOD_AUTH, 'content-type': 'application/octet-stream' },
        body,
      })
      expect(put.status).toBe(201)
      const get = await fetch(`${address}/api/v1/files/big.bin`, { headers: { authorization: GOOD_AUTH } })
      expect((await get.arrayBuffer()).byteLength).toBe(100_000)
      // A response is counted when it closes, which on the server can come a moment after the
      // client has read the last byte (the socket's write completion is its own event).
      const sent = async () =>
        sample(
          await (await fetch(`${address}/metrics`)).text(),
          'ftpgw_http_sent_bytes_total',
          '{route="/api/v1/files/*"}',
        )
      for (let i = 0; i < 50 && ((await sent()) ?? 0) <= 100_000; i++)
        await new Promise((r) => setTimeout(r, 20))
      const text = await (await fetch(`${address}/metrics`)).text()
      expect(sample(text, 'ftpgw_http_received_bytes_total', '{route="/api/v1/files/*"}')).toBeGreaterThan(
        50_000,
      )
      expect(sample(text, 'ftpgw_http_sent_bytes_total', '{route="/api/v1/files/*"}')).toBeGreaterThan(
        100_000,
      )
    } finally {
      await app.close()
    }
  })

  it('is a registry per app: two apps do not share counters', async () => {
    const a = await buildTestApp()
    const b = await buildTestApp()
    await a.app.inject({ url: '/healthz' })
    await a.app.inject({ url: '/healthz' })
    await b.app.inject({ url: '/healthz' })
    const count = async (t: typeof a) =>
      sample(
        (await t.app.inject({ url: '/metrics' })).body,
        'ftpgw_http_requests_total',
        '{method="GET",route="/healthz",status="200"}',
      )
    expect(await count(a)).toBe(2)
    expect(await count(b)).toBe(1)
  })

  it('limits requests per client with problem+json and Retry-After, sparing probes', async () => {
    const t = await buildTestApp({ config: testConfig({ rateLimitMax: 3, rateLimitWindowMs: 60_000 }) })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await t.app.inject({ url: '/api/v1/dirs/' })).statusCode)
    expect(statuses).toEqual([401, 401, 401, 429])
    const res = await t.app.inject({ url: '/api/v1/dirs/' })
    expect(res.statusCode).toBe(429)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(res.json()).toMatchObject({
      status: 429,
      code: 'GW_ERR_RATE_LIMITED',
      requestId: res.headers['x-request-id'],
    })
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200)
    const metrics = (await t.app.inject({ url: '/metrics' })).body
    expect(sample(metrics, 'ftpgw_http_rate_limited_total')).toBe(2)
  })
})
