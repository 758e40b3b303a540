/**
 * Hostile input end to end: CR/LF and NUL in paths, `..%2f` escapes, a LF inside the Basic
 * password, CR/LF in JSON body paths. Each gets its exact 4xx status and problem `code` from the
 * gateway, and vsftpd's own protocol log (log_ftp_protocol) proves that no FTP command ever carried
 * the injected text: the refusal happened before any FTP I/O. The gateway keeps serving afterwards.
 */
import { chown, readFile, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

// Every payload carries this marker; it must never show up in the server's command log.
const MARK = 'INJECTEDZQX'

let server: FtpServerHandle
let gw: GatewayHandle
let auth: string

beforeAll(async () => {
  server = await startVsftpd()
  gw = await startGateway(server)
  auth = basicAuth(server.user, server.password)
  const victim = path.join(server.root, 'victim.txt')
  await writeFile(victim, 'still here')
  await chown(victim, server.uid, server.gid)
})

afterAll(async () => {
  await gw?.close()
  await server?.stop()
})

/** Sends the request line exactly as given (node:http does not normalise percent-escapes or dots). */
function raw(
  method: string,
  rawPath: string,
  headers: http.OutgoingHttpHeaders = {},
  body?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      gw.url,
      { method, path: rawPath, headers: { authorization: auth, ...headers } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          text += c
        })
        res.on('end', () => {
          let json: Record<string, unknown> = {}
          try {
            json = JSON.parse(text) as Record<string, unknown>
          } catch {}
          resolve({ status: res.statusCode ?? 0, json })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

describe('hostile input never reaches the FTP server', () => {
  it.each([
    ['CR LF in a file path', 'GET', `/api/v1/files/a%0d%0aDELE%20victim.txt%20${MARK}`],
    ['CR LF in a PUT path', 'PUT', `/api/v1/files/x%0d%0aRMD%20${MARK}`],
    ['LF alone in a listing path', 'GET', `/api/v1/dirs/d%0aSITE%20${MARK}`],
    ['NUL in a path', 'GET', `/api/v1/files/victim.txt%00${MARK}`],
    ['NUL in a mkdir path', 'POST', `/api/v1/dirs/${MARK}%00x`],
    ['..%2f escape', 'GET', `/api/v1/files/..%2f..%2fetc%2f${MARK}`],
    ['%2e%2e escape', 'GET', `/api/v1/stat/%2e%2e/%2e%2e/${MARK}`],
    ['.. inside a path', 'DELETE', `/api/v1/files/sub/..%2F..%2F${MARK}`],
  ])('%s → 400 FILE_ERR_BAD_PATH', async (_name, method, rawPath) => {
    const r = await raw(
      method,
      rawPath,
      method === 'PUT' ? { 'content-length': '4' } : {},
      method === 'PUT' ? 'evil' : undefined,
    )
    expect(r.status).toBe(400)
    expect(r.json.code).toBe('FILE_ERR_BAD_PATH')
  })

  it('CR LF in a move body path → 400 FILE_ERR_BAD_PATH', async () => {
    const r = await raw(
      'POST',
      '/api/v1/move',
      { 'content-type': 'application/json' },
      JSON.stringify({ from: 'victim.txt', to: `x\r\nDELE victim.txt ${MARK}` }),
    )
    expect(r.status).toBe(400)
    expect(r.json.code).toBe('FILE_ERR_BAD_PATH')
  })

  it('a LF in the Basic password → 400 AUTH_ERR_BAD_HEADER (no login attempted)', async () => {
    const lf = `Basic ${Buffer.from(`${server.user}:pa\nss${MARK}`).toString('base64')}`
    const r = await raw('GET', '/api/v1/dirs/', { authorization: lf })
    expect(r.status).toBe(400)
    expect(r.json.code).toBe('AUTH_ERR_BAD_HEADER')
    const crlfUser = `Basic ${Buffer.from(`${server.user}\r\nDELE victim.txt ${MARK}:x`).toString('base64')}`
    const r2 = await raw('GET', '/api/v1/dirs/', { authorization: crlfUser })
    expect(r2.status).toBe(400)
    expect(r2.json.code).toBe('AUTH_ERR_BAD_HEADER')
    // The session API applies the same rule to JSON credentials.
    const tok = await raw(
      'POST',
      '/api/v1/sessions',
      { 'content-type': 'application/json', authorization: '' },
      JSON.stringify({ username: server.user, password: `a\r\nb${MARK}` }),
    )
    expect(tok.status).toBe(400)
    expect(tok.json.code).toBe('AUTH_ERR_BAD_HEADER')
  })

  it('the server log shows normal commands but never the injected text; the gateway still serves', async () => {
    const ok = await fetch(`${gw.url}/api/v1/files/victim.txt`, { headers: { authorization: auth } })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('still here')
    expect(await readFile(path.join(server.root, 'victim.txt'), 'utf8')).toBe('still here')

    const log = await server.commandLog()
    // The log is live: it holds this test's login and download.
    expect(log.some((l) => /"USER /.test(l) || /USER /.test(l))).toBe(true)
    expect(log.some((l) => /RETR .*victim\.txt/.test(l))).toBe(true)
    expect(log.filter((l) => l.includes(MARK))).toEqual([])
    expect(log.filter((l) => /DELE|RMD|SITE/.test(l))).toEqual([])
  })
})
