/**
 * An HTTP proxy the test controls, in front of a load balancer: it pins every request to one
 * backend (a header the balancer routes by, see HaproxyOptions.pinHeader) and cuts PATCH requests
 * mid-body a given number of times, each cut moving all later requests to the other backend. So a
 * test knows that an upload was interrupted mid-PATCH and resumed through the other instance.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Transform } from 'node:stream'

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  method: string
  url: string
  backend: number
  /** The status the backend answered, or 'cut' when the proxy cut it. */
  outcome: number | 'cut' | 'error'
  /** Body bytes forwarded. */
  bytes: number
}

/** A running cutting proxy. */
export interface CuttingProxy {
  url: string
  readonly requests: ProxiedRequest[]
  readonly cuts: number
  close(): Promise<void>
}

/** Options of {@link startCuttingProxy}. */
export interface CuttingProxyOptions {
  /** The balancer to forward to (`http://127.0.0.1:PORT`). */
  target: string
  /** The header the balancer pins backends by. */
  pinHeader: string
  /** How many backends there are (a cut moves to the next one). */
  backends: number
  /** Cut a PATCH (not again until a PATCH got through) once this many body bytes went through it … */
  cutAfterBytes: number
  /** … this many times in all. */
  cuts: number
}

/** Starts the proxy on 127.0.0.1 (a free port). */
export async function startCuttingProxy(options: CuttingProxyOptions): Promise<CuttingProxy> {
  const target = new URL(options.target)
  const requests: ProxiedRequest[] = []
  let cuts = 0
  let backend = 0
  let armed = true
  const agent = new http.Agent({ keepAlive: false })
  const server = http.createServer((req, res) => {
    const entry: ProxiedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      backend,
      outcome: 'error',
      bytes: 0,
    }
    requests.push(entry)
    const headers = { ...req.headers, [options.pinHeader]: String(backend) }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (up) => {
        entry.outcome = up.statusCode ?? 0
        if (req.method === 'PATCH' && up.statusCode === 204) armed = true
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    // Not again until a PATCH got through: the requests after a cut are the resumption.
    const willCut = req.method === 'PATCH' && cuts < options.cuts && armed
    let cutting = false
    const cut = () => {
      armed = false
      entry.outcome = 'cut'
      backend = (backend + 1) % options.backends
      upstream.destroy()
      req.socket.destroy()
    }
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        entry.bytes += chunk.length
        if (cutting) return done()
        if (willCut && entry.bytes >= options.cutAfterBytes) {
          cutting = true
          cuts++
          // Part of this chunk goes on, then the connection is gone: a cut in the middle of a write.
          done(null, chunk.subarray(0, Math.max(0, chunk.length - (entry.bytes - options.cutAfterBytes))))
          setImmediate(cut)
          return
        }
        done(null, chunk)
      },
    })
    upstream.on('error', () => res.destroy())
    req.on('error', () => upstream.destroy())
    req.pipe(counter).pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get cuts() {
      return cuts
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      agent.destroy()
    },
  }
}
