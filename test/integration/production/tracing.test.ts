/**
 * OpenTelemetry traces of a real gateway over vsftpd, exported to an in-memory exporter: one trace
 * per request (a SERVER span continuing the caller's traceparent), with authenticate, pool.acquire,
 * the FTP commands and the data transfer (its bytes and upstream) as descendants, and the trace id
 * in the log lines of the request. A malformed traceparent starts a new trace and changes nothing else.
 */
import { Writable } from 'node:stream'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOG_REDACTION } from '../../../src/http/app.js'
import { requestIdMixin } from '../../../src/http/request-context.js'
import { withTraceIds } from '../../../src/http/tracing.js'
import { startTracing, type Tracing } from '../../../src/tracing.js'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { startVsftpd, type VsftpdHandle } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'

type Finished = ReturnType<InMemorySpanExporter['getFinishedSpans']>[number]

const exporter = new InMemorySpanExporter()
let tracing: Tracing
let server: VsftpdHandle
let gw: GatewayHandle
const lines: Array<Record<string, unknown>> = []

beforeAll(async () => {
  tracing = startTracing({ serviceName: 'ftpgw-trace-test', exporter })
  server = await startVsftpd()
  const memory = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  const logger = pino({ level: 'debug', redact: LOG_REDACTION, mixin: withTraceIds(requestIdMixin) }, memory)
  // In-memory store: the spans under test are the gateway's, not Redis round trips.
  gw = await startGateway(server, { REDIS_URL: '' }, { tracer: tracing.tracer, logger })
})

afterAll(async () => {
  await gw?.close()
  await server?.stop()
  await tracing?.shutdown()
})

/** The finished SERVER span of the request with this id, once it has ended. */
async function serverSpanOf(requestId: string): Promise<Finished> {
  let found: Finished | undefined
  await waitFor(() => {
    found = exporter.getFinishedSpans().find((s) => s.attributes['ftpgw.request_id'] === requestId)
    return found !== undefined
  }, 10_000)
  if (!found) throw new Error(`no server span for request ${requestId}`)
  return found
}

/** Every finished span below `root` (children, grandchildren, …). */
function descendantsOf(root: Finished): Finished[] {
  const all = exporter
    .getFinishedSpans()
    .filter((s) => s.spanContext().traceId === root.spanContext().traceId)
  const ids = new Set([root.spanContext().spanId])
  const out: Finished[] = []
  for (let grew = true; grew; ) {
    grew = false
    for (const s of all) {
      const parent = s.parentSpanContext?.spanId
      if (parent && ids.has(parent) && !ids.has(s.spanContext().spanId)) {
        ids.add(s.spanContext().spanId)
        out.push(s)
        grew = true
      }
    }
  }
  return out
}

function parentOf(span: Finished): string | undefined {
  return span.parentSpanContext?.spanId
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'

describe('tracing', () => {
  it('traces an upload as one trace continuing the caller traceparent', async () => {
    const body = Buffer.alloc(300_000, 'u')
    const put = await fetch(`${gw.url}/api/v1/files/traced-upload.bin`, {
      method: 'PUT',
      headers: {
        authorization: basicAuth(server.user, server.password),
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
      },
      body,
    })
    expect(put.status).toBe(201)
    const root = await serverSpanOf(put.headers.get('x-request-id') ?? '')
    // The caller's trace goes on: same trace id, the caller's span as parent.
    expect(root.spanContext().traceId).toBe(TRACE_ID)
    expect(parentOf(root)).toBe(CALLER_SPAN)
    expect(root.name).toBe('PUT /api/v1/files/*')
    expect(root.attributes['http.response.status_code']).toBe(201)

    const below = descendantsOf(root)
    const auth = below.find((s) => s.name === 'authenticate')
    expect(auth?.attributes['ftpgw.auth.scheme']).toBe('basic')
    expect(parentOf(auth as Finished)).toBe(root.spanContext().spanId)
    expect(below.some((s) => s.name === 'pool.acquire' && s.attributes['ftpgw.pool.outcome'] === 'ok')).toBe(
      true,
    )
    const stor = below.find((s) => s.name === 'ftp STOR')
    expect(stor?.attributes['ftp.reply_code']).toBe(150)
    const transfer = below.find((s) => s.name === 'ftp.transfer' && s.attributes['ftp.command'] === 'STOR')
    expect(transfer?.attributes).toMatchObject({
      'ftp.command': 'STOR',
      'ftpgw.transfer.bytes': body.length,
      // The upstream's configured name (FTP_URL's upstream is 'default').
      'ftpgw.upstream': 'default',
    })
    // The rename into place is part of the same request.
    expect(below.some((s) => s.name === 'ftp RNTO')).toBe(true)
    // Children lie within their parent in time.
    for (const s of below) expect(hrMs(s.startTime)).toBeGreaterThanOrEqual(hrMs(root.startTime) - 1)

    // The request's log lines carry the trace id; Fastify's 'incoming request' line is written
    // before the first hook, so before the span exists.
    const logged = lines.filter(
      (l) => l.reqId === put.headers.get('x-request-id') && l.msg !== 'incoming request',
    )
    expect(logged.length).toBeGreaterThan(0)
    expect(logged.filter((l) => l.trace_id !== TRACE_ID).map((l) => l.msg)).toEqual([])
  })

  it('traces a bearer-token download: new trace, RETR and the transfer with its bytes', async () => {
    const content = Buffer.alloc(1_500_000, 'd')
    const put = await fetch(`${gw.url}/api/v1/files/traced-download.bin`, {
      method: 'PUT',
      headers: { authorization: basicAuth(server.user, server.password) },
      body: content,
    })
    expect(put.status).toBe(201)
    const login = await fetch(`${gw.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: server.user, password: server.password }),
    })
    expect(login.status).toBe(201)
    const loginRoot = await serverSpanOf(login.headers.get('x-request-id') ?? '')
    expect(descendantsOf(loginRoot).some((s) => s.name === 'session.create')).toBe(true)
    const { token } = (await login.json()) as { token: string }

    const get = await fetch(`${gw.url}/api/v1/files/traced-download.bin`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(Buffer.from(await get.arrayBuffer()).equals(content)).toBe(true)
    const root = await serverSpanOf(get.headers.get('x-request-id') ?? '')
    expect(parentOf(root)).toBeUndefined()
    expect(root.spanContext().traceId).not.toBe(TRACE_ID)
    expect(root.spanContext().traceId).not.toBe(loginRoot.spanContext().traceId)
    const below = descendantsOf(root)
    expect(below.find((s) => s.name === 'authenticate')?.attributes['ftpgw.auth.scheme']).toBe('bearer')
    expect(below.some((s) => s.name === 'pool.acquire')).toBe(true)
    expect(below.find((s) => s.name === 'ftp RETR')?.attributes['ftp.reply_code']).toBe(150)
    const transfer = below.find((s) => s.name === 'ftp.transfer' && s.attributes['ftp.command'] === 'RETR')
    expect(transfer?.attributes).toMatchObject({
      'ftp.command': 'RETR',
      'ftpgw.transfer.bytes': content.length,
      // The upstream's configured name (FTP_URL's upstream is 'default').
      'ftpgw.upstream': 'default',
    })
    // Every span of this trace hangs off the request span: nothing leaked into another trace.
    const sameTrace = exporter
      .getFinishedSpans()
      .filter((s) => s.spanContext().traceId === root.spanContext().traceId)
    expect(sameTrace.length).toBe(below.length + 1)
  })

  it('a malformed traceparent starts a new trace and the request is served as usual', async () => {
    for (const bad of [
      '00-zzzz-00f067aa0ba902b7-01',
      `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`,
      'garbage\u00ff',
    ]) {
      const r = await fetch(`${gw.url}/api/v1/dirs/`, {
        headers: { authorization: basicAuth(server.user, server.password), traceparent: bad },
      })
      expect(r.status).toBe(200)
      const root = await serverSpanOf(r.headers.get('x-request-id') ?? '')
      expect(parentOf(root)).toBeUndefined()
      expect(root.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(root.spanContext().traceId).not.toBe('0'.repeat(32))
    }
  })

  it('FTP commands outside a request (pool keepalive, readiness probe) make no spans', async () => {
    const orphans = exporter
      .getFinishedSpans()
      .filter((s) => s.name.startsWith('ftp') && s.parentSpanContext === undefined)
    expect(orphans).toEqual([])
  })
})

function hrMs(t: [number, number]): number {
  return t[0] * 1000 + t[1] / 1e6
}
