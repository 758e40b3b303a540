/**
 * Liveness and readiness. `/healthz` only says the process answers; `/readyz` runs the readiness
 * check the process gives (store and upstream) and answers 503 when it fails, so a load balancer
 * takes the instance out of rotation without restarting it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

/** The readiness check: ok plus a short status per dependency. */
export type Readiness = () => Promise<{ ok: boolean; checks: Record<string, string> }>

const Health = Type.Object({ status: Type.Literal('ok') })
const Ready = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.String()),
})

/** `/healthz` and `/readyz`. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ readiness?: Readiness | undefined }> = async (
  app,
  { readiness },
) => {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness', tags: ['health'], response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  )
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness (store and upstream)',
        tags: ['health'],
        response: { 200: Ready, 503: Ready },
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
