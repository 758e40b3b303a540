/**
 * One HTTP request sent from a chosen local address (127.0.0.x: each a different client to the
 * login limits and bans behind HAProxy), answered with what those tests look at.
 */
import http from 'node:http'

/** The answer: status, Retry-After, the problem's code (when the body is one) and the body. */
export interface AddressedAnswer {
  status: number
  retryAfter: string | undefined
  code: string | undefined
  body: string
}

/** Sends `method url` from `localAddress` on a fresh connection (no agent: no reuse across addresses). */
export function requestFrom(
  url: string,
  localAddress: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {},
): Promise<AddressedAnswer> {
  const headers: http.OutgoingHttpHeaders = { ...options.headers }
  if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body)
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', localAddress, agent: false, headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8')
          let code: string | undefined
          try {
            code = (JSON.parse(body) as { code?: string }).code
          } catch {
            code = undefined
          }
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], code, body })
        })
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}
