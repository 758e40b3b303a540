/**
 * A file service over one test FTP server, as gateway.ts wires it but without the HTTP app: an
 * Upstream (plain FTP, passive) on a store, a metadata cache, and the FtpFileService over them.
 */
import { FtpFileService, MetadataCache, Upstream, type UpstreamOptions } from '../../src/files/index.js'
import type { Store } from '../../src/store/store.js'

/** What testUpstream needs besides the server's address. */
export interface TestUpstreamOptions extends Partial<Omit<UpstreamOptions, 'url' | 'store'>> {
  store: Store
}

/** An Upstream to `server` (plain FTP, passive; small pools and a 10 s timeout unless overridden). */
export function testUpstream(
  server: { host?: string; port: number },
  options: TestUpstreamOptions,
): Upstream {
  return new Upstream({
    url: { host: server.host ?? '127.0.0.1', port: server.port, secure: 'none', root: undefined },
    dataMode: 'passive',
    poolMax: 2,
    poolMaxTotal: 4,
    idleTimeoutMs: 60_000,
    timeoutMs: 10_000,
    ...options,
  })
}

/** An FtpFileService over `upstream`, with a started metadata cache (`cacheTtlMs` 0: no caching). */
export async function testFileService(
  upstream: Upstream,
  store: Store,
  cacheTtlMs = 5000,
): Promise<FtpFileService> {
  const cache = new MetadataCache({ store, ttlMs: cacheTtlMs })
  await cache.start()
  return new FtpFileService({ upstream, cache })
}
