/** `GET /api/v1/stat/*`: metadata of a file or directory as JSON. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FileService, FileStat } from '../../files/types.js'
import { requestIdentity } from '../identity.js'
import { displayPath, pathFromRawUrl } from '../paths.js'
import { COMMON_PROBLEMS, jsonContent, problems, SECURITY, StatSchema } from './schemas.js'

/** Route prefix segments of the stat route. */
export const STAT_PREFIX = ['api', 'v1', 'stat'] as const

/** The JSON form of a FileStat (times as ISO strings, missing values as null). */
export interface StatJson {
  path: string
  name: string
  type: FileStat['type']
  size: number | null
  modified: string | null
  etag: string
}

/** FileStat → its JSON form. */
export function toStatJson(stat: FileStat): StatJson {
  return {
    path: displayPath(stat.path),
    name: stat.name,
    type: stat.type,
    size: stat.size ?? null,
    modified: stat.modified?.toISOString() ?? null,
    etag: stat.etag,
  }
}

/** The stat route. */
export const statRoutes: FastifyPluginAsyncTypebox<{ files: FileService }> = async (app, { files }) => {
  app.get(
    '/stat/*',
    {
      schema: {
        operationId: 'statEntry',
        summary: 'Metadata of a file or folder',
        tags: ['files'],
        security: SECURITY,
        response: {
          200: { description: 'The metadata', ...jsonContent(StatSchema) },
          ...problems(...COMMON_PROBLEMS, 403, 404),
        },
      },
    },
    async (request) => {
      const { path } = pathFromRawUrl(request.raw.url ?? '', STAT_PREFIX)
      const stat = await files.stat(requestIdentity(request), path)
      return toStatJson({ ...stat, path })
    },
  )
}
