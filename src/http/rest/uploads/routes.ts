/**
 * `/api/v1/uploads/`: tus 1.0.0 resumable uploads (core, creation, creation-with-upload,
 * termination, expiration, checksum). The protocol is written here rather than taken from
 * @tus/server (docs/architecture.md "Resumable uploads" says why). Every header is checked before
 * the store or the FTP server is touched; bodies are never parsed, they stream into the file
 * service. Every response carries `Tus-Resumable`.
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { FileError } from '../../../files/errors.js'
import { normalizeRelPath } from '../../../files/paths.js'
import { GatewayError } from '../../errors.js'
import { requestIdentity } from '../../identity.js'
import { parseWritePreconditions } from '../../upload-headers.js'
import { COMMON_PROBLEMS, problems, SECURITY } from '../schemas.js'
import {
  headerOf,
  isUploadId,
  parseByteCount,
  parseChecksum,
  parseMetadata,
  requireOffsetStream,
  requireTusVersion,
  TUS_CHECKSUMS,
  TUS_EXTENSIONS,
  TUS_VERSION,
} from './protocol.js'
import type { UploadService, UploadStatus } from './service.js'

const TAGS = ['uploads']
const IdParams = Type.Object({ id: Type.String({ description: 'The upload id from Location' }) })
const NoBody = { type: 'null' } as const

/** Every tus response says which version it speaks (errors included). */
function tusHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('tus-resumable', TUS_VERSION)
    return payload
  })
}

function setExpires(reply: FastifyReply, status: UploadStatus): void {
  if (status.expiresAt !== undefined) reply.header('upload-expires', new Date(status.expiresAt).toUTCString())
}

/** The body stream of a request whose parser passed the payload through (or an empty one). */
function bodyOf(request: FastifyRequest): Readable {
  return request.body instanceof Readable ? request.body : Readable.from([])
}

/** The upload id of the URL, or 404 before the store is asked. */
function idOf(request: FastifyRequest): string {
  const id = (request.params as { id?: unknown }).id
  if (typeof id !== 'string' || !isUploadId(id))
    throw new GatewayError('GW_ERR_UPLOAD_NOT_FOUND', 'No such upload')
  return id
}

/** The destination from the metadata's `path` key (the gateway tree), or a clear 400. */
function destinationOf(metadata: Map<string, string>): string {
  const raw = metadata.get('path')
  if (raw === undefined) {
    throw new GatewayError(
      'GW_ERR_BAD_HEADER',
      metadata.has('filename')
        ? "Upload-Metadata has only filename: add the key path (the file's path in the gateway, e.g. /docs/report.pdf), the folder is not known otherwise"
        : 'Upload-Metadata needs the key path: where the file goes in the gateway',
    )
  }
  const rel = normalizeRelPath(raw)
  if (rel === '' || raw.endsWith('/'))
    throw new FileError('FILE_ERR_BAD_PATH', 'The metadata path must name a file, not a folder')
  return rel
}

/** The tus discovery answer (no authentication: it tells nothing about anyone's files). */
export const uploadOptionsRoutes: FastifyPluginAsyncTypebox<{ maxBytes: number }> = async (
  app,
  { maxBytes },
) => {
  tusHeaders(app)
  const discovery = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(204)
      .header('tus-version', TUS_VERSION)
      .header('tus-extension', TUS_EXTENSIONS)
      .header('tus-max-size', String(maxBytes))
      .header('tus-checksum-algorithm', TUS_CHECKSUMS.join(','))
      .send(null)
  const schema = {
    operationId: 'discoverUploads',
    security: SECURITY,
    summary: 'tus discovery: version, extensions, maximum size, checksum algorithms',
    tags: TAGS,
    response: {
      204: { description: 'Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm', ...NoBody },
    },
  }
  app.options('/uploads/', { schema }, discovery)
  app.options('/uploads', { schema: { ...schema, hide: true } }, discovery)
  app.options('/uploads/:id', { schema: { ...schema, hide: true } }, discovery)
}

/** The authenticated tus routes. */
export const uploadRoutes: FastifyPluginAsyncTypebox<{ uploads: UploadService }> = async (
  app,
  { uploads },
) => {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
  tusHeaders(app)

  const create = async (request: FastifyRequest, reply: FastifyReply) => {
    const h = request.headers
    requireTusVersion(h)
    if (headerOf(h, 'upload-defer-length') !== undefined)
      throw new GatewayError('GW_ERR_BAD_HEADER', 'Upload-Defer-Length is not supported: send Upload-Length')
    const length = parseByteCount(h, 'upload-length', 'Upload-Length')
    if (length === undefined) throw new GatewayError('GW_ERR_BAD_HEADER', 'Upload-Length is required')
    const metadataRaw = headerOf(h, 'upload-metadata') ?? ''
    const path = destinationOf(parseMetadata(metadataRaw))
    const pre = parseWritePreconditions(headerOf(h, 'if-match'), headerOf(h, 'if-none-match'))
    const declared = parseByteCount(h, 'content-length', 'Content-Length') ?? 0
    const withBody = declared > 0 || headerOf(h, 'transfer-encoding') !== undefined
    if (withBody) requireOffsetStream(h)
    const checksum = withBody ? parseChecksum(h) : undefined
    if (length > uploads.maxBytes)
      throw new GatewayError(
        'GW_ERR_UPLOAD_TOO_LARGE',
        `Upload-Length is over the limit of ${uploads.maxBytes} bytes`,
      )
    if (declared > length)
      throw new GatewayError('GW_ERR_UPLOAD_TOO_LARGE', 'The body is longer than Upload-Length')
    const who = requestIdentity(request)
    const record = await uploads.create(
      { who, path, length, metadata: metadataRaw, ifMatch: pre.ifMatch, ifNoneMatch: pre.ifNoneMatch },
      request.log,
    )
    reply.header('location', `/api/v1/uploads/${record.id}`)
    let status: UploadStatus = { offset: 0, length, metadata: metadataRaw, expiresAt: record.expiresAt }
    if (withBody && length > 0) {
      // creation-with-upload: the upload exists whatever happens to its first bytes, so the answer
      // is 201 with the offset reached; the client goes on with PATCH (or HEAD) from there.
      status = await uploads
        .patch({ who, id: record.id, offset: 0, body: bodyOf(request), declared, checksum, log: request.log })
        .catch(async (err: unknown) => {
          request.log.info(
            { err: err instanceof Error ? err.message : String(err) },
            'creation-with-upload: body not completed',
          )
          return uploads.status(who, record.id).catch(() => status)
        })
    } else if (length === 0) status = { ...status, expiresAt: undefined }
    reply.header('upload-offset', String(status.offset))
    setExpires(reply, status)
    return reply.code(201).send(null)
  }
  const createSchema = {
    operationId: 'createUpload',
    summary: 'Create a resumable upload (tus creation; the destination is the metadata key path)',
    description:
      "Headers: Tus-Resumable: 1.0.0, Upload-Length, Upload-Metadata with `path` (base64, the file's path in the gateway), optional If-Match / If-None-Match: * (checked now and again when the file is put in place). A body of type application/offset+octet-stream is taken as the first bytes (creation-with-upload).",
    tags: TAGS,
    security: SECURITY,
    response: {
      201: { description: 'Created: Location is the upload URL; Upload-Offset, Upload-Expires', ...NoBody },
      ...problems(...COMMON_PROBLEMS, 403, 404, 409, 412, 413, 415, 501, 507),
    },
  }
  app.post('/uploads/', { schema: createSchema }, create)
  app.post('/uploads', { schema: { ...createSchema, hide: true } }, create)

  app.head(
    '/uploads/:id',
    {
      schema: {
        operationId: 'getUploadOffset',
        summary: 'Where a resumable upload stands (tus core)',
        tags: TAGS,
        security: SECURITY,
        params: IdParams,
        response: {
          200: { description: 'Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires', ...NoBody },
          ...problems(...COMMON_PROBLEMS, 404, 410, 412),
        },
      },
    },
    async (request, reply) => {
      requireTusVersion(request.headers)
      const status = await uploads.status(requestIdentity(request), idOf(request), request.log)
      reply.header('upload-offset', String(status.offset)).header('upload-length', String(status.length))
      if (status.metadata !== '') reply.header('upload-metadata', status.metadata)
      setExpires(reply, status)
      return reply.header('cache-control', 'no-store').code(200).send(null)
    },
  )

  app.patch(
    '/uploads/:id',
    {
      schema: {
        operationId: 'appendUpload',
        summary: 'Append bytes to a resumable upload at Upload-Offset (tus core; checksum extension)',
        description:
          'Body: application/offset+octet-stream. Upload-Offset must be the offset HEAD reports (409 otherwise, nothing written). Optional Upload-Checksum: sha1|md5 base64 (460 on mismatch, the bytes are not counted). A second PATCH while one is running gets 423. The last byte puts the file in place.',
        tags: TAGS,
        security: SECURITY,
        params: IdParams,
        response: {
          204: { description: 'Written: Upload-Offset is the new offset; Upload-Expires', ...NoBody },
          ...problems(...COMMON_PROBLEMS, 403, 404, 409, 410, 412, 413, 415, 423, 460, 507),
        },
      },
    },
    async (request, reply) => {
      const h = request.headers
      requireTusVersion(h)
      requireOffsetStream(h)
      const offset = parseByteCount(h, 'upload-offset', 'Upload-Offset')
      if (offset === undefined) throw new GatewayError('GW_ERR_BAD_HEADER', 'Upload-Offset is required')
      const checksum = parseChecksum(h)
      const declared = parseByteCount(h, 'content-length', 'Content-Length')
      const id = idOf(request)
      const status = await uploads.patch({
        who: requestIdentity(request),
        id,
        offset,
        body: bodyOf(request),
        declared,
        checksum,
        log: request.log,
      })
      reply.header('upload-offset', String(status.offset))
      setExpires(reply, status)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/uploads/:id',
    {
      schema: {
        operationId: 'terminateUpload',
        summary: 'Terminate a resumable upload: its partial file is removed (tus termination)',
        tags: TAGS,
        security: SECURITY,
        params: IdParams,
        response: {
          204: { description: 'Terminated', ...NoBody },
          ...problems(...COMMON_PROBLEMS, 404, 409, 410, 412, 423),
        },
      },
    },
    async (request, reply) => {
      requireTusVersion(request.headers)
      await uploads.terminate(requestIdentity(request), idOf(request), request.log)
      return reply.code(204).send(null)
    },
  )
}
