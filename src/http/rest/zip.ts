/**
 * `GET /api/v1/zip/*`: a folder, or some items of it (`?name=a&name=b`), as a zip streamed from the
 * FTP server as it is read (zip-download.ts does the work, for share links too).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { FileService } from '../../files/types.js'
import { replySink } from '../file-transfer-sinks.js'
import { requestIdentity } from '../identity.js'
import { pathFromRawUrl } from '../paths.js'
import { MAX_SELECTED, parseSelection, sendFolderZip } from '../zip-download.js'
import { COMMON_PROBLEMS, problems, SECURITY } from './schemas.js'

/** Route prefix segments of the zip route. */
export const ZIP_PREFIX = ['api', 'v1', 'zip'] as const

/** Options of the zip route. */
export interface ZipRouteOptions {
  files: FileService
  /** ZIP_MAX_BYTES (0: no cap). */
  maxBytes: number
  /** The app's scope for the zip metrics (its store). */
  scope?: object | undefined
}

const ZipQuery = Type.Object({
  // Read from the raw query (zip-download.ts parseSelection); declared for validation and the contract.
  name: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 1020 }), {
      maxItems: MAX_SELECTED,
      description:
        'Zip only these items of the folder (names, not paths; repeat the parameter: `?name=a.txt&name=photos`). A folder among them is zipped whole. Without it, the whole folder.',
    }),
  ),
})

/** The zip route. */
export const zipRoutes: FastifyPluginAsyncTypebox<ZipRouteOptions> = async (app, options) => {
  app.get(
    '/zip/*',
    {
      // A HEAD would run this handler and list the whole folder: HEAD is refused with 405 instead.
      exposeHeadRoute: false,
      schema: {
        operationId: 'downloadZip',
        summary: 'Download a folder (or items of it) as a zip',
        description:
          'Streamed as it is read from the FTP server: files in their folders relative to the zipped folder (empty folders kept), stored (not compressed), names UTF-8 (flag bit 11), ZIP64 where sizes need it, times from the listing. Symbolic links and what the caller may not see are left out. Refused before any byte: a file (409 `not-a-directory`), a missing folder or item (404), listed sizes over `ZIP_MAX_BYTES` (413 `GW_ERR_ZIP_TOO_LARGE`). A file that fails mid-way ends the response as an error (no central directory), never as a clean zip missing files.',
        tags: ['files'],
        security: SECURITY,
        querystring: ZipQuery,
        response: {
          200: {
            description: 'The zip',
            headers: {
              'Content-Disposition': {
                type: 'string',
                description: '`attachment` with the folder name (or the one selected item) and `.zip`',
              },
            },
            content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
          },
          ...problems(...COMMON_PROBLEMS, 403, 404, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const raw = request.raw.url ?? ''
      const q = raw.indexOf('?')
      const names = parseSelection(q === -1 ? '' : raw.slice(q + 1))
      const { path } = pathFromRawUrl(raw, ZIP_PREFIX)
      await sendFolderZip(
        options.files,
        {
          who: requestIdentity(request),
          folder: path,
          names,
          maxBytes: options.maxBytes,
          log: request.log,
          scope: options.scope,
        },
        replySink(request, reply),
      )
      return reply
    },
  )
}
