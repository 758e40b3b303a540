/**
 * A 100,000-entry directory served page by page: one FTP listing, then pages of at most 10,000
 * entries with cursors, all entries exactly once, over the embedded server (MLSD) so the test does
 * not depend on vsftpd's per-directory limits.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalFtpServer } from '../../../src/local-server/index.js'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'

const COUNT = 100_000

describe('a 100,000-entry directory', () => {
  let root: string
  let server: LocalFtpServer
  let gw: GatewayHandle

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'ftpgw-big-dir-'))
    mkdirSync(path.join(root, 'big'))
    for (let i = 0; i < COUNT; i++)
      writeFileSync(path.join(root, 'big', `f${String(i).padStart(6, '0')}`), '')
    server = new LocalFtpServer({ root, users: { u: 'p' } })
    const { port } = await server.listen()
    gw = await startGateway({ host: '127.0.0.1', port }, { CACHE_TTL_MS: '60000', REDIS_URL: '' })
  }, 120_000)

  afterAll(async () => {
    await gw?.close()
    await server?.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('is listed once upstream and served in pages of 10,000 with cursors', async () => {
    const seen = new Set<string>()
    let cursor: string | null = null
    let pages = 0
    const heapBefore = process.memoryUsage().heapUsed
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      const res = await fetch(`${gw.url}/api/v1/dirs/big?limit=10000${query}`, {
        headers: { authorization: basicAuth('u', 'p') },
      })
      expect(res.status).toBe(200)
      const page = (await res.json()) as {
        entries: { name: string; type: string; size: number }[]
        next: string | null
      }
      expect(page.entries.length).toBeLessThanOrEqual(10_000)
      for (const e of page.entries) {
        expect(seen.has(e.name)).toBe(false)
        seen.add(e.name)
      }
      cursor = page.next
      pages++
    } while (cursor)
    expect(seen.size).toBe(COUNT)
    expect(pages).toBe(10)
    expect([...seen].sort()[0]).toBe('f000000')
    const listings = server.commands.filter((c) => c.verb === 'MLSD' || c.verb === 'LIST')
    expect(listings).toHaveLength(1)
    // Reported, not asserted as a speed or memory target: what a 100k listing costs in process.
    console.log(
      `100k listing: ${pages} pages, heap delta ${((process.memoryUsage().heapUsed - heapBefore) / 1048576).toFixed(1)} MiB`,
    )
  }, 120_000)

  it('answers PROPFIND Depth 1 with all 100,001 responses, written as they are rendered', async () => {
    const res = await fetch(`${gw.url}/dav/big/`, {
      method: 'PROPFIND',
      headers: { authorization: basicAuth('u', 'p'), depth: '1' },
    })
    expect(res.status).toBe(207)
    // Streamed (chunked), not rendered whole first: a whole body would carry its length.
    expect(res.headers.get('content-length')).toBeNull()
    expect(res.headers.get('transfer-encoding')).toBe('chunked')
    const body = await res.text()
    expect(body.startsWith('<?xml')).toBe(true)
    expect(body.endsWith('</D:multistatus>')).toBe(true)
    const hrefs = [...body.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1])
    expect(hrefs).toHaveLength(COUNT + 1)
    expect(new Set(hrefs).size).toBe(COUNT + 1)
    expect(hrefs[0]).toBe('/dav/big/')
    expect(hrefs).toContain('/dav/big/f099999')
    // A folder small enough is still answered whole, with its length.
    const small = await fetch(`${gw.url}/dav/`, {
      method: 'PROPFIND',
      headers: { authorization: basicAuth('u', 'p'), depth: '1' },
    })
    expect(small.status).toBe(207)
    expect(Number(small.headers.get('content-length'))).toBe(Buffer.byteLength(await small.text()))
    // `big` still listed once upstream for both faces (the cache serves WebDAV), plus the root.
    expect(server.commands.filter((c) => c.verb === 'MLSD' || c.verb === 'LIST')).toHaveLength(2)
  }, 120_000)

  it('stops writing when the client goes away mid-body, and serves on', async () => {
    const aborter = new AbortController()
    const res = await fetch(`${gw.url}/dav/big/`, {
      method: 'PROPFIND',
      headers: { authorization: basicAuth('u', 'p'), depth: '1' },
      signal: aborter.signal,
    })
    const reader = res.body!.getReader()
    expect((await reader.read()).done).toBe(false)
    aborter.abort()
    await reader.read().catch(() => undefined)
    const again = await fetch(`${gw.url}/dav/big/`, {
      method: 'PROPFIND',
      headers: { authorization: basicAuth('u', 'p'), depth: '0' },
    })
    expect(again.status).toBe(207)
    expect((await again.text()).match(/<D:response>/g)).toHaveLength(1)
  }, 120_000)
})
