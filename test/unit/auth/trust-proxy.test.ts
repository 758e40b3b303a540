/**
 * TRUST_PROXY as the HTTP layer applies it: the address the authenticator (and so the login limits,
 * the logs and the request rate limit) sees, for each form of the setting.
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { buildTestApp, GOOD_AUTH, testConfig } from '../../helpers/http-app.js'

async function seenAddress(trustProxy: string, remoteAddress: string, xff?: string): Promise<string> {
  const { app, auth } = await buildTestApp({
    config: testConfig({ trustProxy: loadConfig({ TRUST_PROXY: trustProxy }).trustProxy }),
  })
  const headers: Record<string, string> = { authorization: GOOD_AUTH }
  if (xff !== undefined) headers['x-forwarded-for'] = xff
  await app.inject({ method: 'GET', url: '/api/v1/dirs/', headers, remoteAddress })
  return auth.calls.at(-1)?.clientAddress ?? 'none'
}

describe('TRUST_PROXY decides which X-Forwarded-For entry is the client', () => {
  it('false: the socket address; forged headers are ignored', async () => {
    expect(await seenAddress('false', '10.0.0.9', '203.0.113.7')).toBe('10.0.0.9')
  })

  it('a hop count: that many entries from the right, never what the client wrote before them', async () => {
    // A client sends its own X-Forwarded-For; the one proxy appends what it saw.
    expect(await seenAddress('1', '10.0.0.9', '203.0.113.7, 198.51.100.4')).toBe('198.51.100.4')
    expect(await seenAddress('2', '10.0.0.9', '203.0.113.7, 198.51.100.4, 10.0.0.5')).toBe('198.51.100.4')
    // `true` is one hop, not "trust every entry".
    expect(await seenAddress('true', '10.0.0.9', '203.0.113.7, 198.51.100.4')).toBe('198.51.100.4')
  })

  it('a list: only listed peers are proxies', async () => {
    expect(await seenAddress('10.0.0.0/8', '10.0.0.9', '203.0.113.7, 198.51.100.4')).toBe('198.51.100.4')
    // A peer not in the list is the client, whatever it claims.
    expect(await seenAddress('10.0.0.0/8', '192.0.2.50', '198.51.100.4')).toBe('192.0.2.50')
  })
})
