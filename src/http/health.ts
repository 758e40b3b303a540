/**
 * Liveness and readiness. `/healthz` only says the process answers; `/readyz` runs the readiness
 * check the process gives (store and upstream) and answers 503 when it fails, so a load balancer
 * takes the instance out of rotation without restarting it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

/** The readiness check: ok plus a short status per dependency. */
export type Readiness = () => Promise<{ ok: boolean; checks: Record<string, string> }>

const Health = Type.Object(
  { status: Type.Unsafe<'ok'>({ type: 'string', enum: ['ok'] }) },
  { title: 'Health', description: 'The process answers' },
)
const Ready = Type.Object(
  {
    status: Type.Unsafe<'ok' | 'unavailable'>({ type: 'string', enum: ['ok', 'unavailable'] }),
    checks: Type.Record(Type.String(), Type.String(), { description: 'A short status per dependency' }),
  },
  {
    title: 'Readiness',
    description: 'Whether the instance can serve: the store and the upstream',
    examples: [{ status: 'ok', checks: { store: 'ok', upstream: 'ok' } }],
  },
)
const json = (description: string, schema: unknown) => ({
  description,
  content: { 'application/json': { schema } },
})

/** `/healthz` and `/readyz`. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ readiness?: Readiness | undefined }> = async (
  app,
  { readiness },
) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getLiveness',
        summary: 'Liveness',
        tags: ['health'],
        security: [],
        response: { 200: json('The process is alive', Health) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )
  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness (store and upstream)',
        tags: ['health'],
        security: [],
        response: {
          200: json('Ready to serve', Ready),
          503: json('Not ready: the store or the upstream is unavailable', Ready),
        },
      },
    },
    async (request, reply) => {
      if (readiness === undefined) return { status: 'ok' as const, checks: {} }
      let result: Awaited<ReturnType<Readiness>>
      try {
        result = await readiness()
      } catch (err) {
        // The check itself failing means "not ready", never a 500; the reason stays in the log.
        request.log.warn({ err }, 'readiness check failed')
        result = { ok: false, checks: { readiness: 'error' } }
      }
      return reply
        .code(result.ok ? 200 : 503)
        .send({ status: result.ok ? 'ok' : 'unavailable', checks: result.checks })
    },
  )
}
