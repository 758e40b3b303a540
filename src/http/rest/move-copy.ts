/**
 * `POST /api/v1/move` and `POST /api/v1/copy` with `{ from, to, overwrite }`. Paths in the body
 * are plain text (not percent-encoded) and go through the same rules as URL paths.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { FileError, isFileError } from '../../files/errors.js'
import { assertSeparate } from '../../files/safe-replace.js'
import type { FileService, RelPath } from '../../files/types.js'
import { requestIdentity } from '../identity.js'
import { encodePath, pathFromBody } from '../paths.js'
import { COMMON_PROBLEMS, created, ok, problems, SECURITY } from './schemas.js'

const TransferBody = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 8192, description: 'Source path (plain, not URL-encoded)' }),
    to: Type.String({ minLength: 1, maxLength: 8192, description: 'Target path (plain, not URL-encoded)' }),
    overwrite: Type.Optional(
      // No JSON Schema `default`: generators (openapi-typescript) would make the field required.
      Type.Boolean({ description: 'Replace an existing target (default false)' }),
    ),
  },
  {
    additionalProperties: false,
    title: 'TransferRequest',
    description: 'What to move or copy, and where',
    examples: [{ from: 'reports/q3.pdf', to: 'archive/q3.pdf', overwrite: false }],
  },
)

/** The answer of a move or copy, the same whether a target was replaced (200) or created (201). */
export const TransferDoneSchema = Type.Object(
  {
    from: Type.String({ description: "The source, '/' plus its path" }),
    to: Type.String({ description: "The target, '/' plus its path" }),
    replaced: Type.Boolean({ description: 'True when an existing target was replaced' }),
  },
  {
    title: 'TransferResult',
    description: 'The outcome of a move or copy',
    examples: [{ from: '/reports/q3.pdf', to: '/archive/q3.pdf', replaced: false }],
  },
)

/**
 * A not-found from the source's side says so: which argument (`missing: "from"`) and which path,
 * in plain words (the FTP reply stays in upstreamReply).
 */
function sourceMissing(err: unknown, from: RelPath): unknown {
  if (!isFileError(err, 'FILE_ERR_NOT_FOUND') || err.argument !== undefined) return err
  return new FileError('FILE_ERR_NOT_FOUND', `The source "/${from}" does not exist.`, {
    cause: err,
    argument: 'from',
    upstreamReply: err.upstreamReply,
  })
}

/** The move and copy routes. */
export const moveCopyRoutes: FastifyPluginAsyncTypebox<{ files: FileService }> = async (app, { files }) => {
  for (const op of ['move', 'copy'] as const) {
    app.post(
      `/${op}`,
      {
        schema: {
          operationId: op === 'move' ? 'moveEntry' : 'copyEntry',
          summary: op === 'move' ? 'Move or rename a file or folder' : 'Copy a file or folder (recursively)',
          description:
            'Answers 201 when the target is new and 200 when an existing target was replaced (only with ' +
            '`overwrite: true`), with the same body either way and `Location` naming the target ' +
            '(`/api/v1/files/…` for a file, `/api/v1/dirs/…` for a folder). A missing source is 404 with ' +
            '`missing: "from"`; a missing folder of the target is 409 with `missing: "to"`.',
          tags: ['files'],
          security: SECURITY,
          body: TransferBody,
          response: {
            201: created('The target did not exist and now does', TransferDoneSchema),
            200: ok('An existing target was replaced', TransferDoneSchema),
            ...problems(...COMMON_PROBLEMS, 403, 404, 409, 415, 507),
          },
        },
      },
      async (request, reply) => {
        const from = pathFromBody(request.body.from)
        const to = pathFromBody(request.body.to)
        if (from === '' || to === '')
          throw new FileError('FILE_ERR_BAD_PATH', 'The root cannot be moved, copied or replaced.')
        // Refused before any FTP command, as the file service would refuse it.
        assertSeparate(from, to)
        const overwrite = request.body.overwrite ?? false
        const who = requestIdentity(request)
        // The source's type names the target's URL (a folder lives under /dirs/); a missing source
        // is reported here as the argument it is.
        const source = await files.stat(who, from).catch((err: unknown) => {
          throw sourceMissing(err, from)
        })
        // A 404 from here on is not labelled: the source was just there, and a refused RNTO also
        // reads as not-found (files/translate.ts), so guessing the argument could mislead.
        const { replaced } =
          op === 'move'
            ? await files.move(who, from, to, { overwrite })
            : await files.copy(who, from, to, { overwrite })
        const face = source.type === 'dir' ? 'dirs' : 'files'
        reply.header('location', `/api/v1/${face}/${encodePath(to)}`)
        return reply.code(replaced ? 200 : 201).send({ from: `/${from}`, to: `/${to}`, replaced })
      },
    )
  }
}
