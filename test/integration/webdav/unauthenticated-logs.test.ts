/**
 * The first request of every WebDAV client carries no credentials; the 401 that asks for them is
 * routine, not a failure (issue 21 reports it logged as an error with a stack trace). The
 * gateway's real logger output is captured over vsftpd for the first requests real clients send
 * (Windows' Mini-Redirector, macOS Finder, davfs2, rclone, cadaver): nothing at warn or above, no
 * error object or stack, at most an info line.
 */
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { createGateway, type Gateway } from '../../../src/gateway.js'
import { LOG_REDACTION } from '../../../src/http/app.js'
import { requestIdMixin } from '../../../src/http/request-context.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

const PROPFIND =
  '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/></D:prop></D:propfind>'
const LOCK =
  '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>'

// What clients send before they know the gateway wants credentials.
const FIRST_REQUESTS: Array<{
  client: string
  method: string
  path: string
  headers: Record<string, string>
  body?: string
}> = [
  {
    client: 'Windows',
    method: 'OPTIONS',
    path: '/dav/',
    headers: { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045' },
  },
  {
    client: 'Windows',
    method: 'PROPFIND',
    path: '/dav',
    headers: { 'user-agent': 'Microsoft-WebDAV-MiniRedir/10.0.19045', depth: '0' },
  },
  {
    client: 'macOS Finder',
    method: 'PROPFIND',
    path: '/dav/',
    headers: {
      'user-agent': 'WebDAVFS/3.0.0 (03008000) Darwin/22.6.0',
      depth: '0',
      'content-type': 'text/xml',
    },
    body: PROPFIND,
  },
  {
    client: 'davfs2',
    method: 'PROPFIND',
    path: '/dav/',
    headers: { 'user-agent': 'davfs2/1.7.0 neon/0.32.5', depth: '1', 'content-type': 'application/xml' },
    body: PROPFIND,
  },
  { client: 'rclone', method: 'GET', path: '/dav/report.txt', headers: { 'user-agent': 'rclone/v1.60.1' } },
  {
    client: 'rclone',
    method: 'PUT',
    path: '/dav/report.txt',
    headers: { 'user-agent': 'rclone/v1.60.1', 'content-type': 'application/octet-stream' },
    body: 'x'.repeat(4096),
  },
  {
    client: 'cadaver',
    method: 'LOCK',
    path: '/dav/report.txt',
    headers: { 'user-agent': 'cadaver/0.23.3 neon/0.32.5', 'content-type': 'application/xml' },
    body: LOCK,
  },
  {
    client: 'cadaver',
    method: 'MKCOL',
    path: '/dav/new/',
    headers: { 'user-agent': 'cadaver/0.23.3 neon/0.32.5' },
  },
]

describe('unauthenticated WebDAV requests are routine in the log', () => {
  let server: FtpServerHandle
  let gateway: Gateway
  let url: string
  const lines: Array<Record<string, unknown>> = []

  beforeAll(async () => {
    server = await startVsftpd()
    const memory = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    // The logger main.ts builds, at debug: whatever the gateway says about these requests is here.
    const logger = pino({ level: 'debug', redact: LOG_REDACTION, mixin: requestIdMixin }, memory)
    gateway = await createGateway(
      loadConfig({ FTP_URL: `ftp://${server.host}:${server.port}`, LOG_LEVEL: 'debug' }),
      logger,
    )
    url = await gateway.app.listen({ host: '127.0.0.1', port: 0 })
  })

  afterAll(async () => {
    await gateway?.close(1000)
    await server?.stop()
  })

  it.each(FIRST_REQUESTS)('$client $method $path: 401, logged below warn, without a stack', async (r) => {
    const before = lines.length
    const res = await fetch(url + r.path, {
      method: r.method,
      headers: r.headers,
      ...(r.body === undefined ? {} : { body: r.body }),
    })
    await res.arrayBuffer()
    // OPTIONS needs no credentials (clients probe the server's DAV classes with it).
    expect(res.status).toBe(r.method === 'OPTIONS' ? 200 : 401)
    if (res.status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Basic /)
    const own = lines.slice(before).filter((l) => l.reqId === res.headers.get('x-request-id'))
    // The request was logged (the capture works), and nothing about it is a warning or an error.
    expect(own.length).toBeGreaterThan(0)
    // Every line since the request, its own or not (a plugin may log on the app's logger).
    const since = lines.slice(before)
    expect(since.filter((l) => Number(l.level) >= 40)).toEqual([])
    expect(JSON.stringify(since)).not.toMatch(/"stack"|"err"/)
  })
})
