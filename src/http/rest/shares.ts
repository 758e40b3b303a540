/**
 * `/api/v1/shares` (issue 20): create, list and revoke share links. Registered in the
 * authenticated context, so the creator is the caller's identity (Basic, bearer or the browse
 * page's cookie with its CSRF header). The public side (`/s/{id}`) is src/http/shares/.
 *
 * Creating a share stats its path as the creator first: a path the creator cannot see is 404
 * here, a drop box must be a folder. Nothing is decided once for all: every use re-checks the
 * creator's access through the file service.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { FileError } from '../../files/errors.js'
import type { FileService } from '../../files/types.js'
import { audit } from '../audit.js'
import { ownOrigin } from '../cross-site.js'
import { GatewayError } from '../errors.js'
import { requestIdentity } from '../identity.js'
import { displayPath, pathFromBody } from '../paths.js'
import { expiryFor, isShareId, parseAddressRule } from '../share-rules.js'
import type { ShareRecord, ShareStore } from '../share-store.js'
import { type AdminPolicy, isAdmin } from './admin.js'
import { COMMON_PROBLEMS, created, empty, jsonContent, problems, SECURITY } from './schemas.js'

/** Options of the share API routes. */
export interface ShareApiOptions {
  files: FileService
  shares: ShareStore
  /** Administrators see and revoke every share. */
  policy: AdminPolicy
  /** SHARE_MAX_LIFETIME_MS. */
  maxLifetimeMs: number
}

const ShareInputSchema = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 4096, description: 'The file or folder to share' }),
    kind: Type.Union([Type.Literal('read'), Type.Literal('drop')], {
      description: '`read`: download (a file, or a folder listed); `drop`: upload into a folder, never read',
    }),
    expiresInSeconds: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Lifetime; capped (and defaulted) by SHARE_MAX_LIFETIME_MS' }),
    ),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    maxUses: Type.Optional(Type.Integer({ minimum: 1, description: 'Downloads or uploads allowed in all' })),
    allowedAddresses: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        maxItems: 100,
        description: 'Client addresses or CIDR blocks allowed to use the share (empty: any)',
      }),
    ),
    label: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { title: 'ShareInput', additionalProperties: false },
)

const ShareSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String({ description: 'The public link' }),
    path: Type.String(),
    kind: Type.Union([Type.Literal('read'), Type.Literal('drop')]),
    expiresAt: Type.String({ format: 'date-time' }),
    usesLeft: Type.Union([Type.Integer(), Type.Null()], { description: 'null: unlimited' }),
    label: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    hasPassword: Type.Boolean(),
    allowedAddresses: Type.Array(Type.String()),
    owner: Type.String({ description: 'The principal who made it' }),
  },
  { title: 'Share' },
)

const ShareListSchema = Type.Object({ shares: Type.Array(ShareSchema) }, { title: 'ShareList' })

const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

/** The JSON form of a share. */
function shareJson(request: FastifyRequest, record: ShareRecord, usesLeft: number | null) {
  return {
    id: record.id,
    url: `${ownOrigin(request) ?? ''}/s/${record.id}`,
    path: displayPath(record.path),
    kind: record.kind,
    expiresAt: new Date(record.expiresAt).toISOString(),
    usesLeft,
    label: record.label,
    createdAt: new Date(record.createdAt).toISOString(),
    hasPassword: record.passwordHash !== undefined,
    allowedAddresses: record.allowedAddresses,
    owner: record.principal,
  }
}

/** The share API routes (register inside the authenticated context, under /api/v1). */
export const shareApiRoutes: FastifyPluginAsyncTypebox<ShareApiOptions> = async (app, options) => {
  const { files, shares, policy, maxLifetimeMs } = options

  app.post(
    '/shares',
    {
      schema: {
        operationId: 'createShare',
        summary: 'Create a share link or drop box',
        description:
          'The share acts with your rights, checked at every use: it stops working when you lose access to the path. Its link is public (`/s/{id}`); protect it with a password, a use limit, addresses and an expiry.',
        tags: ['shares'],
        security: SECURITY,
        body: ShareInputSchema,
        response: {
          201: created('The share', ShareSchema),
          ...problems(...COMMON_PROBLEMS, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const who = requestIdentity(request)
      const body = request.body
      const path = pathFromBody(body.path)
      const rule = parseAddressRule(body.allowedAddresses ?? [])
      const stat = await files.stat(who, path)
      if (body.kind === 'drop' && stat.type !== 'dir')
        throw new FileError('FILE_ERR_CONFLICT', 'A drop box must be a folder')
      const record = await shares.create(who, {
        path,
        kind: body.kind,
        expiresAt: expiryFor(Date.now(), body.expiresInSeconds, maxLifetimeMs),
        maxUses: body.maxUses,
        allowedAddresses: [...rule.entries],
        password: body.password,
        label: body.label,
      })
      audit(request, { action: 'share-create', path: displayPath(path), to: record.id, outcome: 'success' })
      return reply
        .code(201)
        .header('location', `/api/v1/shares/${record.id}`)
        .send(shareJson(request, record, record.maxUses ?? null))
    },
  )

  app.get(
    '/shares',
    {
      schema: {
        operationId: 'listShares',
        summary: 'Your share links (every share for administrators)',
        tags: ['shares'],
        security: SECURITY,
        response: {
          200: { description: 'The shares, oldest first', ...jsonContent(ShareListSchema) },
          ...problems(...COMMON_PROBLEMS),
        },
      },
    },
    async (request) => {
      const who = requestIdentity(request)
      const records = await shares.list(isAdmin(who, policy) ? undefined : who.principal)
      const out = await Promise.all(records.map(async (r) => shareJson(request, r, await shares.usesLeft(r))))
      return { shares: out }
    },
  )

  app.delete(
    '/shares/:id',
    {
      schema: {
        operationId: 'deleteShare',
        summary: 'Revoke a share link',
        description:
          'Yours, or any for administrators; another user’s share is 404 (its existence is not revealed).',
        tags: ['shares'],
        security: SECURITY,
        params: IdParam,
        response: {
          204: empty('Revoked on every instance'),
          ...problems(...COMMON_PROBLEMS, 404),
        },
      },
    },
    async (request, reply) => {
      const who = requestIdentity(request)
      const { id } = request.params
      const record = isShareId(id) ? await shares.get(id) : undefined
      if (record === undefined || (record.principal !== who.principal && !isAdmin(who, policy)))
        throw new GatewayError('GW_ERR_SHARE_NOT_FOUND', 'No share of yours has this id')
      await shares.remove(id)
      audit(request, { action: 'share-delete', path: displayPath(record.path), to: id, outcome: 'success' })
      return reply.code(204).send(null)
    },
  )
}
