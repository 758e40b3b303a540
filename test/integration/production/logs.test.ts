/**
 * Logs of a real gateway over vsftpd: JSON lines carrying the request id the client was given, an
 * audit event for a write (who, what, where, size, outcome), and no password anywhere — neither
 * the right one nor a wrong one a client tried.
 */
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { createGateway, type Gateway } from '../../../src/gateway.js'
import { LOG_REDACTION } from '../../../src/http/app.js'
import { requestIdMixin } from '../../../src/http/request-context.js'
import { basicAuth, SHARED_REDIS_URL, testKeyPrefix } from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'

// Distinctive strings: if any shows up in a log line, a credential leaked.
const WRONG_PASSWORD = 'Zebra-Quokka-7731-wrong'

describe('logs', () => {
  let server: FtpServerHandle
  let gateway: Gateway
  let url: string
  const lines: string[] = []

  beforeAll(async () => {
    server = await startVsftpd()
    const memory = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
        done()
      },
    })
    const config = loadConfig({
      FTP_URL: `ftp://${server.host}:${server.port}`,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: testKeyPrefix('logs'),
      SESSION_SECRET: 'logs-test-secret-'.padEnd(32, 'x'),
      LOG_LEVEL: 'debug',
    })
    // The same redaction main.ts applies; debug level so the FTP engine's lines are included too.
    const logger = pino({ level: 'debug', redact: LOG_REDACTION, mixin: requestIdMixin }, memory)
    gateway = await createGateway(config, logger)
    url = await gateway.app.listen({ host: '127.0.0.1', port: 0 })
  })

  afterAll(async () => {
    await gateway?.close(1000)
    await server?.stop()
  })

  it('carries the request id, audits the write, and never logs a password', async () => {
    const auth = basicAuth(server.user, server.password)
    const body = Buffer.from('audited upload body\n')
    const put = await fetch(`${url}/api/v1/files/audited.txt`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/octet-stream' },
      body,
    })
    expect(put.status).toBe(201)
    const putId = put.headers.get('x-request-id')
    expect(putId).toBeTruthy()

    const get = await fetch(`${url}/api/v1/files/audited.txt`, { headers: { authorization: auth } })
    expect(await get.text()).toBe(body.toString())

    const wrong = await fetch(`${url}/api/v1/dirs/`, {
      headers: { authorization: basicAuth(server.user, WRONG_PASSWORD) },
    })
    expect(wrong.status).toBe(401)
    const session = await fetch(`${url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: server.user, password: server.password }),
    })
    expect(session.status).toBe(201)
    const del = await fetch(`${url}/api/v1/files/audited.txt`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${((await session.json()) as { token: string }).token}` },
    })
    expect(del.status).toBe(204)
    // Response-close hooks run just after the client has its answer: wait for the DELETE's audit line.
    const deleteAudited = () =>
      lines.some((l) => {
        const r = JSON.parse(l) as Record<string, unknown>
        return r.audit === true && r.action === 'delete' && r.status === 204
      })
    expect(await waitFor(deleteAudited, 5000), 'the DELETE audited').toBe(true)

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const ofPut = records.filter((r) => r.reqId === putId)
    expect(ofPut.length).toBeGreaterThanOrEqual(2)
    expect(ofPut.some((r) => r.msg === 'request completed')).toBe(true)

    const audits = records.filter((r) => r.audit === true)
    expect(audits).toContainEqual(
      expect.objectContaining({
        reqId: putId,
        action: 'upload',
        user: server.user,
        path: '/audited.txt',
        size: body.length,
        outcome: 'success',
        status: 201,
      }),
    )
    expect(audits).toContainEqual(
      expect.objectContaining({
        action: 'delete',
        user: server.user,
        path: '/audited.txt',
        outcome: 'success',
        status: 204,
      }),
    )
    // Reads are not audited.
    expect(audits.every((a) => a.action !== 'download')).toBe(true)
    // FTP engine lines name their session.
    expect(records.some((r) => r.component === 'ftp' && typeof r.session === 'number')).toBe(true)
    // …and carry the id of the request they served.
    const requestIds = new Set(
      records.filter((r) => typeof r.reqId === 'string' && r.component !== 'ftp').map((r) => r.reqId),
    )
    const ftpWithId = records.filter(
      (r) => r.component === 'ftp' && typeof r.session === 'number' && typeof r.reqId === 'string',
    )
    expect(ftpWithId.length).toBeGreaterThan(0)
    expect(ftpWithId.every((r) => requestIds.has(r.reqId))).toBe(true)

    const all = lines.join('\n')
    expect(all).not.toContain(WRONG_PASSWORD)
    expect(all).not.toContain(server.password)
    expect(all).not.toContain(Buffer.from(`${server.user}:${server.password}`).toString('base64'))
  })
})
