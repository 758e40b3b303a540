/**
 * Writing problems out: `application/problem+json` bodies (RFC 9457), the Fastify error and
 * not-found handlers, and the raw-socket handler for requests Node refuses before Fastify sees them
 * (header section too large, malformed request line).
 */
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  AUTH_CHALLENGE,
  classifyError,
  GatewayError,
  PROBLEM_CATALOGUE,
  type ProblemCode,
  type ProblemDescription,
  type ProblemReason,
} from './errors.js'

const BEARER = /^\s*bearer\s/i
const BEARER_CHALLENGE = 'Bearer realm="ftp-gateway", error="invalid_token"'

/** The media type of every error body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** The JSON body of a problem response. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: ProblemCode
  instance: string
  requestId: string
  /** Which conflict a 409 FILE_ERR_CONFLICT is. */
  reason?: ProblemReason
  /** For move/copy: the argument that does not exist. */
  missing?: 'from' | 'to'
  /** The FTP server's own reply, for operators; people read `title` and `detail`. */
  upstreamReply?: string
}

/** Problem types with a name of their own (a contract: clients match on it). */
const PROBLEM_SLUGS: Partial<Record<ProblemCode, string>> = { FILE_ERR_READ_ONLY: 'forbidden-read-only' }

/** The `type` URI of a problem code. */
export function problemType(code: ProblemCode): string {
  return `https://ftp-gateway.dev/problems/${PROBLEM_SLUGS[code] ?? code.toLowerCase()}`
}

/** Builds the body of a problem response. */
export function buildProblem(p: ProblemDescription, instance: string, requestId: string): Problem {
  const problem: Problem = {
    type: problemType(p.code),
    title: p.title,
    status: p.status,
    detail: p.detail,
    code: p.code,
    instance,
    requestId,
  }
  if (p.reason !== undefined) problem.reason = p.reason
  if (p.missing !== undefined) problem.missing = p.missing
  if (p.upstreamReply !== undefined) problem.upstreamReply = p.upstreamReply
  return problem
}

// The path only: query strings can carry tokens or names the client did not mean to echo.
function instanceOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/** Sends a problem for `err`, logging 5xx at error level and 4xx at info. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const p = classifyError(err)
  if (p.status >= 500) request.log.error({ err, code: p.code }, 'request failed')
  else
    request.log.info(
      { code: p.code, status: p.status, detail: p.detail, upstreamReply: p.upstreamReply },
      'request refused',
    )
  return writeProblem(request, reply, p)
}

/**
 * Writes a problem out without logging it: for refusals counted elsewhere and too frequent to
 * log one by one (the per-client rate limit: rate-limit.ts).
 */
export function writeProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  p: ProblemDescription,
): FastifyReply {
  reply.code(p.status).headers(p.headers).type(PROBLEM_CONTENT_TYPE)
  // A refused Bearer token gets its own challenge too (RFC 6750), so a token client can tell an
  // expired or forged token from a missing login; Basic stays first for WebDAV clients.
  if (p.status === 401 && BEARER.test(request.headers.authorization ?? ''))
    reply.header('www-authenticate', `${AUTH_CHALLENGE}, ${BEARER_CHALLENGE}`)
  // A refused upload may still be arriving: close rather than read the rest of it just to discard it.
  if (request.raw.complete === false) reply.header('connection', 'close')
  // A string body skips the route's response serializer: problems have one fixed shape.
  return reply.send(JSON.stringify(buildProblem(p, instanceOf(request.raw.url ?? request.url), request.id)))
}

/** Installs the error and not-found handlers on an instance (its whole subtree). */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // Headers (and maybe part of a body) are gone: the only honest signal left is a broken response.
    if (reply.raw.headersSent) {
      request.log.error({ err }, 'failed after the response started; aborting it')
      reply.raw.destroy(err)
      return
    }
    return sendProblem(request, reply, err)
  })
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      new GatewayError('GW_ERR_NOT_FOUND', `No route for ${request.method} this path`),
    ),
  )
}

// Raw answers for Node's clientError: no request, so no request id; the connection is closed.
const CLIENT_ERRORS: Record<string, ProblemCode> = {
  HPE_HEADER_OVERFLOW: 'GW_ERR_HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'GW_ERR_REQUEST_TIMEOUT',
}

/** A `clientErrorHandler` for Fastify that answers with problem+json instead of Fastify's JSON. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const code: ProblemCode = CLIENT_ERRORS[err.code ?? ''] ?? 'GW_ERR_BAD_REQUEST'
  const spec = PROBLEM_CATALOGUE[code]
  if (socket.writable) {
    const body = JSON.stringify({
      type: problemType(code),
      title: spec.title,
      status: spec.status,
      detail: spec.title,
      code,
      instance: '',
      requestId: '',
    })
    socket.write(
      `HTTP/1.1 ${spec.status} ${spec.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}
