/**
 * `POST /api/v1/move` and `POST /api/v1/copy` with `{ from, to, overwrite }`. Paths in the body
 * are plain text (not percent-encoded) and go through the same rules as URL paths.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { FileError } from '../../files/errors.js'
import type { FileService } from '../../files/types.js'
import { requestIdentity } from '../identity.js'
import { encodePath, pathFromBody } from '../paths.js'
import { COMMON_PROBLEMS, problems, SECURITY } from './schemas.js'

const TransferBody = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 8192, description: 'Source path (plain, not URL-encoded)' }),
    to: Type.String({ minLength: 1, maxLength: 8192, description: 'Target path (plain, not URL-encoded)' }),
    overwrite: Type.Optional(Type.Boolean({ default: false, description: 'Replace an existing target' })),
  },
  { additionalProperties: false },
)

const Done = Type.Object({ from: Type.String(), to: Type.String(), replaced: Type.Boolean() })

/** The move and copy routes. */
export const moveCopyRoutes: FastifyPluginAsyncTypebox<{ files: FileService }> = async (app, { files }) => {
  for (const op of ['move', 'copy'] as const) {
    app.post(
      `/${op}`,
      {
        schema: {
          summary:
            op === 'move' ? 'Move or rename a file or directory' : 'Copy a file or directory (recursively)',
          tags: ['files'],
          security: SECURITY,
          body: TransferBody,
          response: {
            201: Done,
            204: { description: 'The target was replaced', type: 'null' },
            ...problems(...COMMON_PROBLEMS, 403, 404, 409, 412, 415, 507),
          },
        },
      },
      async (request, reply) => {
        const from = pathFromBody(request.body.from)
        const to = pathFromBody(request.body.to)
        if (from === '' || to === '')
          throw new FileError('FILE_ERR_BAD_PATH', 'The root cannot be moved, copied or replaced')
        const overwrite = request.body.overwrite ?? false
        const who = requestIdentity(request)
        const { replaced } =
          op === 'move'
            ? await files.move(who, from, to, { overwrite })
            : await files.copy(who, from, to, { overwrite })
        if (replaced) return reply.code(204).send(null)
        reply.header('location', `/api/v1/files/${encodePath(to)}`)
        return reply.code(201).send({ from: `/${from}`, to: `/${to}`, replaced })
      },
    )
  }
}
