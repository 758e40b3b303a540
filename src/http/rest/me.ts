/**
 * `GET /api/v1/me`: who the gateway takes the caller for (the person, their groups, how they
 * authenticated) and, per upstream, how the gateway reaches it for them. What clients and the
 * browse page show, and what mount rules (`user:NAME`, `group:NAME`) are matched against.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Identity } from '../../files/types.js'
import { requestIdentity } from '../identity.js'
import { COMMON_PROBLEMS, jsonContent, problems, SECURITY } from './schemas.js'

/** How the gateway logs in to one upstream for a person. */
export interface UpstreamAccount {
  /** The `upstreams.<name>` key. */
  name: string
  /** `service`: the upstream's own account; `passthrough`: the caller's credentials; `mapped`: an account linked per person. */
  credentials: 'passthrough' | 'service' | 'mapped'
  /** Whether the gateway has an FTP account for this person there (a JWT has none on a passthrough upstream). */
  linked: boolean
}

/** Options of meRoutes. */
export interface MeOptions {
  /** Each upstream's account for `who`; without it the list is empty. */
  accountsOf?: ((who: Identity) => UpstreamAccount[]) | undefined
}

const MethodSchema = Type.Unsafe<'basic' | 'token' | 'jwt' | 'cookie' | 'oidc' | 'app-password'>({
  type: 'string',
  enum: ['basic', 'token', 'jwt', 'cookie', 'oidc', 'app-password'],
  description:
    'How the request authenticated: Basic credentials, an API token, a JWT, the session cookie of a password sign-in, a session from the OpenID sign-in (`oidc`, as cookie or bearer token), an app password (as Basic)',
})

const CredentialsSchema = Type.Unsafe<UpstreamAccount['credentials']>({
  type: 'string',
  enum: ['passthrough', 'service', 'mapped'],
  description:
    "`passthrough`: your own credentials go to the FTP server; `service`: the upstream's service account; `mapped`: an FTP account linked to you",
})

const MeSchema = Type.Object(
  {
    username: Type.String({ description: 'The person (mount rules: user:NAME)' }),
    groups: Type.Array(Type.String(), { description: 'Their groups (mount rules: group:NAME)' }),
    method: MethodSchema,
    upstreams: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          credentials: CredentialsSchema,
          linked: Type.Boolean({ description: 'Whether the gateway has an FTP account for you there' }),
        },
        { title: 'UpstreamAccount' },
      ),
    ),
  },
  {
    title: 'Me',
    description: 'Who the gateway takes you for',
    examples: [
      {
        username: 'alice',
        groups: ['staff'],
        method: 'jwt',
        upstreams: [{ name: 'partner', credentials: 'service', linked: true }],
      },
    ],
  },
)

/** The `/me` route (authenticated like the file routes). */
export const meRoutes: FastifyPluginAsyncTypebox<MeOptions> = async (app, { accountsOf }) => {
  app.get(
    '/me',
    {
      schema: {
        operationId: 'getMe',
        summary: 'Who you are to the gateway',
        description:
          'The person the credentials name, their groups, how they authenticated, and how each upstream is reached for them.',
        tags: ['me'],
        security: SECURITY,
        response: {
          200: { description: 'The caller', ...jsonContent(MeSchema) },
          ...problems(...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      const who = requestIdentity(request)
      // Personal: no shared cache may keep it.
      reply.header('cache-control', 'no-store')
      return {
        username: who.principal,
        groups: [...(who.groups ?? [])],
        method: who.method ?? 'basic',
        upstreams: accountsOf?.(who) ?? [],
      }
    },
  )
}
