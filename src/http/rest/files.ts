/**
 * `/api/v1/files/*`: download (GET/HEAD with ranges and conditional requests), upload (PUT,
 * streamed), delete. Request bodies of this context are never parsed: every content type reaches
 * the PUT handler as the raw request stream, so uploads stream straight into the file service.
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { FileError } from '../../files/errors.js'
import type { FileService, FileStat } from '../../files/types.js'
import {
  evaluateRead,
  formatEtag,
  ifRangeMatches,
  parseRange,
  type RangeRequest,
  resolveRange,
} from '../conditional.js'
import { requestIdentity } from '../identity.js'
import { encodePath, pathFromRawUrl } from '../paths.js'
import { parseContentLength, parseDigest, parseMtime, parseWritePreconditions } from '../upload-headers.js'
import { userContentHeaders } from '../user-content.js'
import { BinaryBody, COMMON_PROBLEMS, Flag, flag, problems, SECURITY, StatSchema } from './schemas.js'
import { toStatJson } from './stat.js'

/** Route prefix segments of the files routes (for paths.ts). */
export const FILES_PREFIX = ['api', 'v1', 'files'] as const

const DownloadQuery = Type.Object({ download: Flag })
const UploadQuery = Type.Object({
  mtime: Type.Optional(Type.String({ description: 'Modification time: unix seconds or ISO 8601' })),
})

const TAGS = ['files']

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

function setValidators(reply: FastifyReply, stat: FileStat): void {
  reply.header('etag', formatEtag(stat.etag))
  if (stat.modified !== undefined) reply.header('last-modified', stat.modified.toUTCString())
}

/** The files routes; `files` is the file service they run on. */
export const fileRoutes: FastifyPluginAsyncTypebox<{ files: FileService }> = async (app, { files }) => {
  // Uploads must stay streams: drop the JSON/text parsers of this context and pass every body through.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))

  const download = async (
    request: FastifyRequest<{ Querystring: { download?: string } }>,
    reply: FastifyReply,
  ) => {
    const who = requestIdentity(request)
    const { path } = pathFromRawUrl(request.raw.url ?? '', FILES_PREFIX)
    const isGet = request.method === 'GET'
    // Malformed ranges are refused before any file operation (RFC 9110 lets HEAD ignore Range).
    const range: RangeRequest = isGet ? parseRange(header(request, 'range')) : { kind: 'none' }
    const stat = await files.stat(who, path)
    if (stat.type === 'dir')
      throw new FileError('FILE_ERR_CONFLICT', 'This is a directory: list it under /api/v1/dirs/')
    setValidators(reply, stat)
    if (evaluateRead(request.headers, stat) === 'not-modified') return reply.code(304).send()
    const wanted = ifRangeMatches(header(request, 'if-range'), stat)
      ? resolveRange(range, stat.size)
      : undefined
    // Sandboxed, nosniff, attachment for active types (user-content.ts): a file never scripts this origin.
    reply
      .header('accept-ranges', 'bytes')
      .headers(userContentHeaders(stat.name, { download: flag(request.query.download) }))
    if (!isGet) {
      // HEAD never opens a transfer: the stat has everything the headers need.
      if (stat.size !== undefined) reply.header('content-length', stat.size)
      return reply.code(200).send()
    }
    const result = await files.read(who, path, wanted === undefined ? {} : { range: wanted })
    if (request.raw.destroyed || reply.raw.destroyed) {
      // The client left while the transfer was being opened.
      result.body.destroy()
      return reply
    }
    setValidators(reply, result.stat)
    const size = result.stat.size
    if (result.range !== undefined) {
      const { start, end } = result.range
      reply
        .code(206)
        .header('content-range', `bytes ${start}-${end}/${size ?? '*'}`)
        .header('content-length', end - start + 1)
    } else {
      reply.code(200)
      if (size !== undefined) reply.header('content-length', size)
    }
    // Fastify destroys the body when the client goes away, and destroys the response when the
    // body errors after the headers went out: the client then sees a broken transfer, never a clean end.
    // A small file already in memory goes out as one write; anything else streams.
    return reply.send(result.bytes ?? result.body)
  }

  const downloadSchema = {
    tags: TAGS,
    security: SECURITY,
    querystring: DownloadQuery,
    response: {
      200: { description: 'The file', ...BinaryBody },
      206: { description: 'Part of the file (one range)', ...BinaryBody },
      304: { description: 'Not modified', type: 'null' },
      ...problems(...COMMON_PROBLEMS, 403, 404, 409, 412, 416),
    },
  }
  // HEAD first, so Fastify does not add its own HEAD (which would run the GET handler and open a transfer).
  app.head(
    '/files/*',
    {
      schema: { ...downloadSchema, summary: 'File headers without the body' },
      config: { swagger: { exposeHeadRoute: true } } as object,
    },
    download,
  )
  app.get('/files/*', { schema: { ...downloadSchema, summary: 'Download a file' } }, download)

  app.put(
    '/files/*',
    {
      schema: {
        summary: 'Upload a file (streamed; put in place only when complete)',
        tags: TAGS,
        security: SECURITY,
        querystring: UploadQuery,
        response: {
          201: { description: 'Created', ...jsonContent(StatSchema) },
          204: { description: 'Replaced', type: 'null' },
          ...problems(...COMMON_PROBLEMS, 403, 404, 409, 412, 413, 507),
        },
      },
    },
    async (request, reply) => {
      const who = requestIdentity(request)
      const parsed = pathFromRawUrl(request.raw.url ?? '', FILES_PREFIX)
      if (parsed.path === '' || parsed.trailingSlash) {
        throw new FileError(
          'FILE_ERR_BAD_PATH',
          'PUT needs a file path (no trailing slash); create directories with POST /api/v1/dirs/',
        )
      }
      const mtime = parseMtime(header(request, 'x-oc-mtime'), request.query.mtime)
      const options = {
        ...parseWritePreconditions(header(request, 'if-match'), header(request, 'if-none-match')),
        digest: parseDigest(header(request, 'repr-digest'), header(request, 'content-md5')),
        mtime,
        expectedLength: parseContentLength(header(request, 'content-length')),
      }
      // No body at all (Content-Length: 0 or none) is an empty file.
      const body = request.body instanceof Readable ? request.body : Readable.from([])
      const result = await files.write(who, parsed.path, body, options)
      reply.header('etag', formatEtag(result.stat.etag))
      if (mtime !== undefined && request.headers['x-oc-mtime'] !== undefined)
        reply.header('x-oc-mtime', 'accepted')
      if (!result.created) return reply.code(204).send(null)
      reply.header('location', `/api/v1/files/${encodePath(parsed.path)}`)
      return reply.code(201).send(toStatJson({ ...result.stat, path: parsed.path }))
    },
  )

  app.delete(
    '/files/*',
    {
      schema: {
        summary: 'Delete a file',
        tags: TAGS,
        security: SECURITY,
        response: {
          204: { description: 'Deleted', type: 'null' },
          ...problems(...COMMON_PROBLEMS, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { path } = pathFromRawUrl(request.raw.url ?? '', FILES_PREFIX)
      if (path === '') throw new FileError('FILE_ERR_BAD_PATH', 'The root is not a file')
      await files.delete(requestIdentity(request), path)
      return reply.code(204).send(null)
    },
  )
}

/** A JSON response declaration (content type spelled out for the OpenAPI document). */
export function jsonContent(schema: unknown): { content: Record<string, { schema: unknown }> } {
  return { content: { 'application/json': { schema } } }
}
