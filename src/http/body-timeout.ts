/**
 * The request-body idle timeout (HTTP_BODY_IDLE_TIMEOUT_MS). Uploads have no total time limit
 * (`requestTimeout: 0`: a big file may take hours), so a client that sends headers and a few bytes
 * of body and then goes quiet would hold its FTP session (a STOR in progress) for as long as it
 * likes. While a request body is being received, a pause longer than the limit destroys the
 * request: the upload then fails through the usual abort path (data connection closed, session
 * resynchronised, temporary file removed, old file untouched). When no response has started, the
 * client is first told so with a 408 problem.
 *
 * How "a pause" is measured, without touching the body stream (no extra listener, no Transform in
 * the upload path): a timer per request with a body samples the socket's byte counter every
 * min(1 s, limit/4). A pause counts only while the gateway is waiting for the client, that is
 * once something reads the body (before that the request may be queued for a session) and while
 * the request's buffer is not full (when it is, the gateway itself has stopped reading: upstream
 * backpressure is never the client's fault). The timer ends with the body: responses (a client
 * that stops reading a download) are never subject to it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { classifyError, GatewayError } from './errors.js'
import { buildProblem, PROBLEM_CONTENT_TYPE } from './problem.js'

/** How long the 408 may take to flush before the request is destroyed anyway. */
const ANSWER_FLUSH_MS = 1000

/** True when the request announces a body (chunked, or a non-zero Content-Length). */
export function announcesBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true
  const length = req.headers['content-length']
  return length !== undefined && Number(length) > 0
}

/**
 * Calls `onIdle` once when the body of `req` has made no progress for `limitMs` while the gateway
 * was waiting for it. Stops by itself when the body is complete or the request is gone; the
 * returned function stops it early.
 */
export function watchBodyIdle(
  req: IncomingMessage,
  limitMs: number,
  onIdle: (idleMs: number) => void,
): () => void {
  const socket = req.socket
  let lastBytes = socket.bytesRead
  let lastProgress = Date.now()
  const stop = () => {
    clearInterval(timer)
    req.off('end', stop)
    req.off('close', stop)
  }
  const timer = setInterval(
    () => {
      if (req.complete || req.destroyed || socket.destroyed) return stop()
      const now = Date.now()
      const bytes = socket.bytesRead
      // Nobody reads the body yet (auth, a wait for a session), or its buffer is full (the
      // gateway is not reading): the client is not the one holding things up.
      const waitingForClient = req.readableFlowing !== null && req.readableLength < req.readableHighWaterMark
      if (bytes !== lastBytes || !waitingForClient) {
        lastBytes = bytes
        lastProgress = now
        return
      }
      if (now - lastProgress >= limitMs) {
        stop()
        onIdle(now - lastProgress)
      }
    },
    Math.max(10, Math.min(1000, Math.floor(limitMs / 4))),
  )
  timer.unref()
  req.once('end', stop)
  req.once('close', stop)
  return stop
}

// The path only, as in every problem's `instance`: query strings may carry tokens.
function instanceOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/**
 * Ends a request whose body went idle: a 408 problem (connection: close) when no response has
 * started, then the request is destroyed with a GW_ERR_REQUEST_TIMEOUT error, which is what the
 * upload's consumer sees.
 */
export function abandonIdleBody(request: FastifyRequest, res: ServerResponse, idleMs: number): void {
  const req = request.raw
  const err = new GatewayError('GW_ERR_REQUEST_TIMEOUT', `No request body data for ${idleMs} ms`)
  request.log.info({ code: err.code, idleMs }, 'request body idle: closing the request')
  let destroyed = false
  const destroy = () => {
    if (destroyed) return
    destroyed = true
    req.destroy(err)
  }
  if (res.headersSent || res.writableEnded || res.destroyed) {
    destroy()
    return
  }
  const p = classifyError(err)
  const body = JSON.stringify(buildProblem(p, instanceOf(req.url ?? request.url), request.id))
  res.writeHead(p.status, {
    ...p.headers,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-request-id': request.id,
    connection: 'close',
  })
  // Destroying the request destroys its socket: the answer goes first (bounded, should the
  // client not read it).
  const flushed = setTimeout(destroy, ANSWER_FLUSH_MS)
  flushed.unref()
  res.end(body, () => {
    clearTimeout(flushed)
    destroy()
  })
}

/** The onRequest hook: every request that announces a body gets an idle watch. */
export function bodyIdleTimeoutHook(
  limitMs: number,
): (request: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  return (request, reply, done) => {
    const req = request.raw
    if (announcesBody(req) && !req.complete) {
      watchBodyIdle(req, limitMs, (idleMs) => abandonIdleBody(request, reply.raw, idleMs))
    }
    done()
  }
}
