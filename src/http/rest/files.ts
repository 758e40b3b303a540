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
import type { FileService } from '../../files/types.js'
import { download as transferDownload, upload } from '../file-transfer.js'
import { replySink } from '../file-transfer-sinks.js'
import { requestIdentity } from '../identity.js'
import { encodePath, pathFromRawUrl } from '../paths.js'
import {
  BinaryBody,
  COMMON_PROBLEMS,
  created,
  empty,
  Flag,
  flag,
  headers,
  problems,
  SECURITY,
  StatSchema,
} from './schemas.js'
import { toStatJson } from './stat.js'

/** Route prefix segments of the files routes (for paths.ts). */
export const FILES_PREFIX = ['api', 'v1', 'files'] as const

const DownloadQuery = Type.Object({
  download: Type.Optional({ ...Flag, description: '`1`: answer with `Content-Disposition: attachment`' }),
})
const UploadQuery = Type.Object({
  mtime: Type.Optional(
    Type.String({
      description: 'Modification time to set: unix seconds or ISO 8601 (X-OC-Mtime wins)',
      examples: ['2026-11-30T09:12:44Z'],
    }),
  ),
})
const FILE_HEADERS = headers('ETag', 'Last-Modified', 'Accept-Ranges', 'Content-Disposition')

const TAGS = ['files']

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
    await transferDownload(
      files,
      {
        who,
        path,
        method: request.method,
        headers: request.headers,
        attachment: flag(request.query.download),
        stat: (options) => files.stat(who, path, options),
        directory: async () => {
          throw new FileError(
            'FILE_ERR_CONFLICT',
            'This is a folder, not a file: list it under /api/v1/dirs/.',
            {
              reason: 'is-directory',
            },
          )
        },
      },
      replySink(request, reply),
    )
    return reply
  }

  const downloadSchema = {
    tags: TAGS,
    security: SECURITY,
    querystring: DownloadQuery,
    requestHeaders: [
      'Range',
      'If-Range',
      'If-Match',
      'If-None-Match',
      'If-Modified-Since',
      'If-Unmodified-Since',
    ],
    response: {
      200: { description: 'The file', headers: FILE_HEADERS, ...BinaryBody },
      206: {
        description: 'Part of the file (one range)',
        headers: { ...FILE_HEADERS, ...headers('Content-Range') },
        ...BinaryBody,
      },
      304: empty('Not modified: the ETag in If-None-Match still matches', { headers: headers('ETag') }),
      ...problems(...COMMON_PROBLEMS, 403, 404, 409, 412, 416),
    },
  }
  // HEAD first, so Fastify does not add its own HEAD (which would run the GET handler and open a transfer).
  app.head(
    '/files/*',
    {
      schema: { ...downloadSchema, operationId: 'headFile', summary: 'File headers without the body' },
      config: { swagger: { exposeHeadRoute: true } } as object,
    },
    download,
  )
  app.get(
    '/files/*',
    {
      schema: {
        ...downloadSchema,
        operationId: 'downloadFile',
        summary: 'Download a file',
        description:
          'Streamed from the FTP server. One byte range (`Range`) gives 206; conditional headers give 304 or 412. A folder is 409 with `reason: "is-directory"`.',
      },
    },
    download,
  )

  app.put(
    '/files/*',
    {
      schema: {
        operationId: 'uploadFile',
        summary: 'Upload a file (streamed; put in place only when complete)',
        description:
          'The body is the file, streamed to a temporary name and renamed into place only when complete (an interrupted upload leaves the old file as it was). 201 with the new metadata when the file is new, 204 when it replaced one. The parent folder must exist (409 `parent-missing`).',
        tags: TAGS,
        security: SECURITY,
        querystring: UploadQuery,
        requestHeaders: ['If-Match', 'If-None-Match', 'Content-MD5', 'Repr-Digest', 'X-OC-Mtime'],
        binaryBody: 'The file content (any media type is taken as bytes)',
        response: {
          201: {
            ...created('Created: the file did not exist', StatSchema),
            headers: headers('Location', 'ETag'),
          },
          204: empty('Replaced: the file existed and now has the new content', {
            headers: headers('ETag', 'Location'),
          }),
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
      // No body at all (Content-Length: 0 or none) is an empty file.
      const body = request.body instanceof Readable ? request.body : Readable.from([])
      const result = await upload(
        files,
        {
          who,
          path: parsed.path,
          headers: request.headers,
          body,
          mtimeQuery: request.query.mtime,
        },
        replySink(request, reply),
      )
      reply.header('location', `/api/v1/files/${encodePath(parsed.path)}`)
      if (!result.created) return reply.code(204).send(null)
      return reply.code(201).send(toStatJson({ ...result.stat, path: parsed.path }))
    },
  )

  app.delete(
    '/files/*',
    {
      schema: {
        operationId: 'deleteFile',
        summary: 'Delete a file',
        description:
          'A folder is 409 with `reason: "is-directory"` (remove folders with DELETE /api/v1/dirs/{path}).',
        tags: TAGS,
        security: SECURITY,
        response: {
          204: empty('Deleted'),
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
