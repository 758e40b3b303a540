/** The per-client limit's 429 is a catalogue problem like every other (title, type, Retry-After). */
import { describe, expect, it } from 'vitest'
import { PROBLEM_CATALOGUE } from '../../../src/http/errors.js'
import { problemType } from '../../../src/http/problem.js'
import { buildTestApp, testConfig } from '../../helpers/http-app.js'

describe('the rate limit answers through the problem catalogue', () => {
  it('429 GW_ERR_RATE_LIMITED with the catalogue title and type, on REST and WebDAV alike', async () => {
    const t = await buildTestApp({ config: testConfig({ rateLimitMax: 1, rateLimitWindowMs: 60_000 }) })
    await t.app.inject({ url: '/api/v1/dirs/' })
    for (const url of ['/api/v1/dirs/?x=secret', '/dav/docs/']) {
      const res = await t.app.inject({ url })
      expect(res.statusCode).toBe(429)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(res.json()).toEqual({
        type: problemType('GW_ERR_RATE_LIMITED'),
        title: PROBLEM_CATALOGUE.GW_ERR_RATE_LIMITED.title,
        status: 429,
        detail: expect.stringMatching(/^More than 1 requests in 60 s from this client; retry in \d+ s$/),
        code: 'GW_ERR_RATE_LIMITED',
        instance: url.split('?')[0],
        requestId: res.headers['x-request-id'],
      })
    }
  })
})
