/**
 * The spans of a traced gateway (docs/architecture.md, "Tracing"). app.ts loads this module only
 * when it is handed a tracer, so an untraced gateway never loads it nor `@opentelemetry/api`.
 *
 * One trace per request: a SERVER span from the first hook to the response's close, continuing the
 * caller's W3C `traceparent` when there is one. Inside it:
 * - `authenticate` (and `session.create`): the Authenticator wrapped, so a Basic login's pool
 *   checkout and FTP commands nest under it;
 * - `pool.acquire`, `ftp <VERB>` and `ftp.transfer`: published by the pool and the engine on the
 *   diagnostics channels of src/channels.ts (http/ never imports them) when they end, and turned
 *   into spans with their real start time under whatever span is active where they were published.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import {
  type Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import type { FastifyPluginAsync } from 'fastify'
import type { Logger } from 'pino'
import type { Authenticator, SessionApi } from '../auth/types.js'
import {
  FTP_COMMAND_CHANNEL,
  FTP_TRANSFER_CHANNEL,
  type FtpCommandEvent,
  type FtpTransferEvent,
  POOL_ACQUIRE_CHANNEL,
  type PoolAcquireEvent,
} from '../channels.js'
import { UNMATCHED_ROUTE } from './production.js'

/** Options of the tracing plugin. */
export interface TracingPluginOptions {
  tracer: Tracer
}

/** The plugin: the request span and the subscriptions. Registered before every route (like productionFace). */
export const tracingPlugin: FastifyPluginAsync<TracingPluginOptions> = async (app, { tracer }) => {
  app.addHook('onRequest', (request, reply, done) => {
    // Headers are client input: extract() only accepts a well-formed traceparent, else a new trace.
    const parent = propagation.extract(ROOT_CONTEXT, request.headers)
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.scheme': request.protocol,
          'client.address': request.ip,
          'ftpgw.request_id': request.id,
        },
      },
      parent,
    )
    // 'close' fires once whether the response finished or broke mid-transfer (WebDAV hijacks too).
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode
      span.setAttribute('http.response.status_code', status)
      if (status >= 500 || !reply.raw.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    })
    // Everything after this hook (hooks, handler, FTP work) runs with the span active.
    context.with(trace.setSpan(parent, span), done)
  })

  const unsubscribes = [
    subscribe(FTP_COMMAND_CHANNEL, (message) => {
      const e = message as FtpCommandEvent
      const attributes: Attributes = { 'ftp.command': e.command, 'ftp.session': e.session }
      if (e.code > 0) attributes['ftp.reply_code'] = e.code
      childSpan(
        tracer,
        `ftp ${e.command}`,
        SpanKind.CLIENT,
        e.durationMs,
        attributes,
        e.code === 0 || e.code >= 400,
      )
    }),
    subscribe(POOL_ACQUIRE_CHANNEL, (message) => {
      const e = message as PoolAcquireEvent
      childSpan(
        tracer,
        'pool.acquire',
        SpanKind.INTERNAL,
        e.durationMs,
        { 'ftpgw.upstream': e.upstream, 'ftpgw.pool.outcome': e.outcome },
        e.outcome !== 'ok',
      )
    }),
    subscribe(FTP_TRANSFER_CHANNEL, (message) => {
      const e = message as FtpTransferEvent
      childSpan(
        tracer,
        'ftp.transfer',
        SpanKind.CLIENT,
        e.durationMs,
        {
          'ftp.command': e.command,
          'ftp.session': e.session,
          'ftpgw.upstream': e.upstream,
          'ftpgw.transfer.bytes': e.bytes,
        },
        !e.ok,
      )
    }),
  ]
  app.addHook('onClose', async () => {
    for (const unsubscribe of unsubscribes) unsubscribe()
  })
}
// Like productionFace: the hook lands on the parent, so it reaches every route registered later.
Object.assign(tracingPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'ftp-gateway-tracing',
})

/**
 * A span that already happened (a lower layer reports it when it ends), under the active span.
 * Nothing is recorded outside a request: keepalive NOOPs and readiness probes would be noise.
 */
function childSpan(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  durationMs: number,
  attributes: Attributes,
  failed: boolean,
): void {
  if (trace.getSpan(context.active()) === undefined) return
  // A number below the time origin is read by the SDK as performance.now() time: sub-ms exact.
  const span = tracer.startSpan(name, { kind, attributes, startTime: performance.now() - durationMs })
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR })
  span.end()
}

/** Runs `fn` inside a new active span named `name`, ending it (with the error, if any) when it settles. */
async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span)
    } catch (err) {
      const code = (err as { code?: unknown })?.code
      if (typeof code === 'string') span.setAttribute('ftpgw.error_code', code)
      span.setStatus({ code: SpanStatusCode.ERROR })
      throw err
    } finally {
      span.end()
    }
  })
}

/** The Authenticator with an `authenticate` span around each call (the scheme, never the credentials). */
export function tracedAuthenticator(auth: Authenticator, tracer: Tracer): Authenticator {
  return {
    authenticate: (authorization, clientAddress) =>
      inSpan(tracer, 'authenticate', { 'ftpgw.auth.scheme': schemeOf(authorization) }, () =>
        auth.authenticate(authorization, clientAddress),
      ),
  }
}

/** The session API with a `session.create` span around logins. */
export function tracedSessions(sessions: SessionApi, tracer: Tracer): SessionApi {
  return {
    create: (username, password, clientAddress) =>
      inSpan(tracer, 'session.create', {}, () => sessions.create(username, password, clientAddress)),
    describe: (token) => sessions.describe(token),
    revoke: (token) => sessions.revoke(token),
  }
}

function schemeOf(authorization: string | undefined): string {
  const word = authorization?.trimStart().split(' ', 1)[0]?.toLowerCase()
  return word === 'basic' || word === 'bearer' ? word : word ? 'other' : 'none'
}

/**
 * A pino mixin adding the active span's `trace_id` and `span_id` to every line logged inside a
 * traced request, wrapped around the gateway's own mixin (the request id).
 */
export function withTraceIds(
  mixin: (merge: object, level: number, logger?: Logger) => object,
): (merge: object, level: number, logger?: Logger) => object {
  return (merge, level, logger) => {
    const base = mixin(merge, level, logger)
    const span = trace.getSpan(context.active())
    if (span === undefined) return base
    const { traceId, spanId } = span.spanContext()
    return { ...base, trace_id: traceId, span_id: spanId }
  }
}

function subscribe(name: string, listener: (message: unknown) => void): () => void {
  diagnosticsChannel.subscribe(name, listener)
  return () => {
    diagnosticsChannel.unsubscribe(name, listener)
  }
}
