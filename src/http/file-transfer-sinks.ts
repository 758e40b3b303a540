/**
 * The two ways a transfer reaches a client (file-transfer.ts): through Fastify's reply (REST), or
 * straight into Node's response (WebDAV, whose requests are hijacked). Both give the same
 * guarantees: a stream that fails after the headers leaves a broken response, never a clean end,
 * and a client that leaves gets the stream destroyed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TransferSink } from './file-transfer.js'

/** A sink over Fastify's reply: status, headers and body go out with `reply.send`. */
export function replySink(request: FastifyRequest, reply: FastifyReply): TransferSink {
  return {
    header: (name, value) => {
      reply.header(name, value)
    },
    send: (status, body) => {
      // Fastify destroys a stream body when the client goes away, and destroys the response when
      // the body errors after the headers went out.
      reply.code(status).send(body)
    },
    gone: () => request.raw.destroyed || reply.raw.destroyed,
  }
}

/** A sink over a raw Node response (a hijacked request): bytes in one write, streams piped. */
export function responseSink(req: IncomingMessage, res: ServerResponse): TransferSink {
  return {
    header: (name, value) => {
      res.setHeader(name, value)
    },
    send: async (status, body) => {
      res.statusCode = status
      if (!(body instanceof Readable)) {
        res.end(body)
        return
      }
      // pipeline destroys the stream when the client leaves and the response when the stream
      // fails: the client then sees a broken body, never a clean end. Neither is this request's error.
      await pipeline(body, res).catch(() => undefined)
    },
    gone: () => req.destroyed || res.destroyed,
  }
}
