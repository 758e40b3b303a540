/**
 * `/api/v1/dirs/*`: paged listings, mkdir, rmdir. A listing page is written out entry by entry
 * (a stream, not one JSON.stringify of the page), so a 10,000-entry page is not held twice.
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { type Static, Type } from 'typebox'
import { FileError } from '../../files/errors.js'
import { MAX_FILTER_LENGTH } from '../../files/index.js'
import type { FileService, FileStat, ListOptions, ListPage } from '../../files/types.js'
import { requestIdentity } from '../identity.js'
import { displayPath, encodePath, pathFromRawUrl } from '../paths.js'
import {
  COMMON_PROBLEMS,
  created,
  empty,
  Flag,
  flag,
  jsonContent,
  ListSchema,
  problems,
  SECURITY,
  StatSchema,
} from './schemas.js'
import { toStatJson } from './stat.js'

/** Route prefix segments of the dirs routes. */
export const DIRS_PREFIX = ['api', 'v1', 'dirs'] as const

/** Default and largest page size. */
export const DEFAULT_LIMIT = 1000
export const MAX_LIMIT = 10_000

const ListQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_LIMIT,
      description: `Entries per page (default ${DEFAULT_LIMIT})`,
    }),
  ),
  // Opaque, but always printable ASCII: anything else is refused before the file service sees it.
  cursor: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 2048,
      pattern: '^[!-~]+$',
      description:
        "The previous page's `next`; it carries the sort, order and filter (repeat them or leave them out)",
    }),
  ),
  sort: Type.Optional(
    Type.Union([Type.Literal('name'), Type.Literal('size'), Type.Literal('modified'), Type.Literal('type')], {
      description:
        'Order of the whole folder before paging: name (natural order: file2 before file10, case folded), size, modified or type (extension); folders always come first. Default name',
    }),
  ),
  order: Type.Optional(
    Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'Default asc' }),
  ),
  q: Type.Optional(
    Type.String({
      maxLength: MAX_FILTER_LENGTH,
      pattern: '^[^\\u0000-\\u001f\\u007f]*$',
      description: 'Keep only names that contain this text (case-insensitive), over the whole folder',
    }),
  ),
})

const TAGS = ['dirs']

function entryJson(e: FileStat): string {
  return JSON.stringify({
    name: e.name,
    type: e.type,
    size: e.size ?? null,
    modified: e.modified?.toISOString() ?? null,
    etag: e.etag,
  })
}

/** The JSON text of a listing page, one chunk per entry. */
export function* listingChunks(page: ListPage, path: string): Generator<string> {
  yield `{"path":${JSON.stringify(displayPath(path))},"entries":[`
  for (let i = 0; i < page.entries.length; i++) {
    yield (i === 0 ? '' : ',') + entryJson(page.entries[i]!)
  }
  const upstream = page.upstream === undefined ? '' : `,"upstream":${JSON.stringify(page.upstream)}`
  yield `],"next":${JSON.stringify(page.next)},"total":${page.total}${upstream}}`
}

function dirPath(request: FastifyRequest): string {
  return pathFromRawUrl(request.raw.url ?? '', DIRS_PREFIX).path
}

/** The directory routes. */
export const dirRoutes: FastifyPluginAsyncTypebox<{ files: FileService }> = async (app, { files }) => {
  const listSchema = {
    operationId: 'listFolder',
    summary: 'List a folder (paged)',
    description:
      'Pages of at most `limit` entries; `next` is the cursor of the following page (null on the last). A file is 409 with `reason: "not-a-directory"`.',
    tags: TAGS,
    security: SECURITY,
    querystring: ListQuery,
    response: {
      200: { description: 'One page of the listing', ...jsonContent(ListSchema) },
      ...problems(...COMMON_PROBLEMS, 403, 404, 409),
    },
  }
  const list = async (
    request: FastifyRequest<{ Querystring: Static<typeof ListQuery> }>,
    reply: FastifyReply,
  ) => {
    const path = dirPath(request)
    const { limit = DEFAULT_LIMIT, cursor, sort, order, q } = request.query
    const options: ListOptions = { limit }
    // Only what the client said: a cursor alone continues its own view.
    if (cursor !== undefined) options.cursor = cursor
    if (sort !== undefined) options.sort = sort
    if (order !== undefined) options.order = order
    if (q !== undefined && q !== '') options.q = q
    const page = await files.list(requestIdentity(request), path, options)
    return reply.type('application/json; charset=utf-8').send(Readable.from(listingChunks(page, path)))
  }
  app.get(
    '/dirs',
    { schema: { ...listSchema, operationId: 'listRoot', summary: 'List the root folder (paged)' } },
    list,
  )
  app.get('/dirs/*', { schema: listSchema }, list)

  app.post(
    '/dirs/*',
    {
      schema: {
        operationId: 'createFolder',
        summary: 'Create a folder',
        description:
          'An existing folder is 409 FILE_ERR_EXISTS (a file of that name: 409 with `reason: "not-a-directory"`); a missing parent folder is 409 with `reason: "parent-missing"` unless `parents=1` creates it.',
        tags: TAGS,
        security: SECURITY,
        querystring: Type.Object({
          parents: Type.Optional({ ...Flag, description: '`1`: create missing parent folders too' }),
        }),
        response: {
          201: created('Created', StatSchema),
          ...problems(...COMMON_PROBLEMS, 403, 409, 507),
        },
      },
    },
    async (request, reply) => {
      const path = dirPath(request)
      if (path === '') throw new FileError('FILE_ERR_EXISTS', 'The root folder always exists.')
      const stat = await files.mkdir(requestIdentity(request), path, { parents: flag(request.query.parents) })
      reply.header('location', `/api/v1/dirs/${encodePath(path)}`)
      return reply.code(201).send(toStatJson({ ...stat, path }))
    },
  )

  app.delete(
    '/dirs/*',
    {
      schema: {
        operationId: 'deleteFolder',
        summary: 'Remove a folder',
        description:
          'A folder that is not empty is 409 FILE_ERR_NOT_EMPTY unless `recursive=1`; a file is 409 with `reason: "not-a-directory"`.',
        tags: TAGS,
        security: SECURITY,
        querystring: Type.Object({
          recursive: Type.Optional({ ...Flag, description: '`1`: remove the folder and everything in it' }),
        }),
        response: {
          204: empty('Removed'),
          ...problems(...COMMON_PROBLEMS, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const path = dirPath(request)
      if (path === '') throw new FileError('FILE_ERR_FORBIDDEN', 'The root folder cannot be removed.')
      await files.rmdir(requestIdentity(request), path, { recursive: flag(request.query.recursive) })
      return reply.code(204).send(null)
    },
  )
}
