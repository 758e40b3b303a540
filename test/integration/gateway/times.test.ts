/**
 * Modification times end to end, on the three real servers: a PUT with X-OC-Mtime (REST and
 * WebDAV) answers X-OC-MTime: accepted exactly when the server kept the time, and then the REST
 * stat, PROPFIND and the server's own MDTM (asked by another FTP client) all show it; PROPPATCH
 * Win32LastModifiedTime is 200 only when kept. vsftpd with mdtm_write=NO cannot keep times: no
 * header, 403 in the multistatus, the file written anyway. And LIST times on the server's clock:
 * vsftpd with use_localtime=YES in New York, read with FTP_TIMEZONE=America/New_York.
 */
import { chownSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { basicAuth, startGateway } from '../../helpers/gateway.js'
import {
  type FtpServerHandle,
  ftpServers,
  type StartOptions,
  startVsftpd,
} from '../../helpers/servers/index.js'
import { rawLogin } from '../../helpers/servers/raw-client.js'

const opened: Array<{ close(): Promise<void> } | { stop(): Promise<void> }> = []
afterAll(async () => {
  for (const o of opened.splice(0).reverse()) await ('close' in o ? o.close() : o.stop())
})

async function setup(
  start: (o?: StartOptions) => Promise<FtpServerHandle>,
  options: StartOptions = {},
  env: Record<string, string> = {},
) {
  const srv = await start(options)
  opened.push(srv)
  const gw = await startGateway(srv, env)
  opened.push(gw)
  const auth = { authorization: basicAuth(srv.user, srv.password) }
  const req = (method: string, url: string, headers: Record<string, string> = {}, body?: string) =>
    fetch(`${gw.url}${url}`, {
      method,
      headers: { ...auth, ...headers },
      ...(body === undefined ? {} : { body }),
    })
  return { srv, gw, req }
}

/** What the server itself says about a file's time: a raw MDTM from a client of its own. */
async function rawMdtm(srv: FtpServerHandle, file: string): Promise<string> {
  const c = await rawLogin(srv)
  try {
    return (await c.send(`MDTM ${file}`)).text
  } finally {
    await c.close()
  }
}

const when = new Date('2021-03-04T05:06:07Z')
const later = new Date('2022-05-06T07:08:09Z')
const unix = (d: Date) => String(d.getTime() / 1000)
const win32Patch = (d: Date) =>
  '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:">' +
  `<D:set><D:prop><Z:Win32LastModifiedTime>${d.toUTCString()}</Z:Win32LastModifiedTime></D:prop></D:set></D:propertyupdate>`

describe.each(ftpServers)('times kept on $name', (server) => {
  it('REST and WebDAV PUT with X-OC-Mtime, then stat, PROPFIND and the server agree; PROPPATCH too', async () => {
    const { srv, gw, req } = await setup(server.start)

    const put = await req('PUT', '/api/v1/files/rest.txt', { 'x-oc-mtime': unix(when) }, 'rest body')
    expect(put.status).toBe(201)
    expect(put.headers.get('x-oc-mtime')).toBe('accepted')
    const stat = (await (await req('GET', '/api/v1/stat/rest.txt')).json()) as { modified: string }
    expect(stat.modified).toBe(when.toISOString())
    expect(await rawMdtm(srv, '/rest.txt')).toBe('213 20210304050607')
    expect(statSync(path.join(srv.root, 'rest.txt')).mtime).toEqual(when)

    const dav = await req('PUT', '/dav/dav.txt', { 'x-oc-mtime': unix(when) }, 'dav body')
    expect(dav.status).toBe(201)
    expect(dav.headers.get('x-oc-mtime')).toBe('accepted')
    expect(dav.headers.get('last-modified')).toBe(when.toUTCString())
    const find = await req('PROPFIND', '/dav/dav.txt', { depth: '0' })
    expect(await find.text()).toContain(`<D:getlastmodified>${when.toUTCString()}</D:getlastmodified>`)
    expect(await rawMdtm(srv, '/dav.txt')).toBe('213 20210304050607')

    // What Windows Explorer sends after copying a file in: the file keeps its own date.
    const patch = await req('PROPPATCH', '/dav/dav.txt', { 'content-type': 'text/xml' }, win32Patch(later))
    expect(patch.status).toBe(207)
    expect(await patch.text()).toContain('HTTP/1.1 200 OK')
    expect(await rawMdtm(srv, '/dav.txt')).toBe('213 20220506070809')
    const after = (await (await req('GET', '/api/v1/stat/dav.txt')).json()) as { modified: string }
    expect(after.modified).toBe(later.toISOString())

    // A folder: MFMT dates folders (Pure-FTPd, ProFTPD); vsftpd's MDTM write form takes only files.
    expect((await req('MKCOL', '/dav/folder')).status).toBe(201)
    const dir = await req('PROPPATCH', '/dav/folder', { 'content-type': 'text/xml' }, win32Patch(later))
    const dirText = await dir.text()
    if (server.name === 'vsftpd') {
      expect(dirText).toContain('HTTP/1.1 403 Forbidden')
      expect(statSync(path.join(srv.root, 'folder')).mtime).not.toEqual(later)
    } else {
      expect(dirText).toContain('HTTP/1.1 200 OK')
      expect(statSync(path.join(srv.root, 'folder')).mtime).toEqual(later)
    }

    // A copy (streamed through the gateway) keeps the source's time.
    const copy = await req('COPY', '/dav/rest.txt', { destination: `${gw.url}/dav/copy.txt` })
    expect(copy.status).toBe(201)
    expect(await rawMdtm(srv, '/copy.txt')).toBe('213 20210304050607')
  })
})

describe('a server that cannot keep times (vsftpd, mdtm_write=NO)', () => {
  it('PUT answers 201 without X-OC-MTime: accepted; PROPPATCH answers 403 for the time', async () => {
    const { srv, req } = await setup(startVsftpd, { config: { mdtm_write: 'NO' } })
    const put = await req('PUT', '/api/v1/files/a.txt', { 'x-oc-mtime': unix(when) }, 'body')
    expect(put.status).toBe(201)
    expect(put.headers.get('x-oc-mtime')).toBeNull()
    expect(statSync(path.join(srv.root, 'a.txt')).mtime).not.toEqual(when)

    const dav = await req('PUT', '/dav/b.txt', { 'x-oc-mtime': unix(when) }, 'body')
    expect(dav.status).toBe(201)
    expect(dav.headers.get('x-oc-mtime')).toBeNull()

    const patch = await req('PROPPATCH', '/dav/b.txt', { 'content-type': 'text/xml' }, win32Patch(later))
    expect(patch.status).toBe(207)
    const text = await patch.text()
    expect(text).toContain('HTTP/1.1 403 Forbidden')
    expect(text).not.toContain('HTTP/1.1 200 OK')
    expect(statSync(path.join(srv.root, 'b.txt')).mtime).not.toEqual(later)
    // Nothing stored either: the property is not shown as if it had been kept.
    const find = await req('PROPFIND', '/dav/b.txt', { depth: '0' })
    expect(await find.text()).not.toContain('Win32LastModifiedTime')
  })
})

describe('LIST times on the server clock (FTP_TIMEZONE)', () => {
  it('vsftpd in New York with use_localtime=YES: listing, stat and a kept time are right', async () => {
    // The server's clock is New York's (its LIST, MDTM and MDTM write are local time then).
    const saved = process.env.TZ
    process.env.TZ = 'America/New_York'
    let ctx: Awaited<ReturnType<typeof setup>>
    try {
      ctx = await setup(
        startVsftpd,
        { config: { use_localtime: 'YES' } },
        { FTP_TIMEZONE: 'America/New_York' },
      )
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
    const { srv, req } = ctx
    // A recent file (LIST shows its time, not its year), to the minute as LIST shows it.
    const recent = new Date(Math.floor((Date.now() - 3 * 86_400_000) / 60_000) * 60_000)
    const file = path.join(srv.root, 'recent.txt')
    writeFileSync(file, 'x')
    chownSync(file, srv.uid, srv.gid)
    utimesSync(file, recent, recent)

    const listing = (await (await req('GET', '/api/v1/dirs/')).json()) as {
      entries: Array<{ name: string; modified: string }>
    }
    expect(listing.entries.find((e) => e.name === 'recent.txt')?.modified).toBe(recent.toISOString())
    // The server's own listing shows New York wall time, which the gateway read back to UTC.
    const c = await rawLogin(srv)
    const list = (await c.data('LIST')).bytes.toString()
    await c.close()
    const ny = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
    }).format(recent)
    expect(list).toContain(`${ny} recent.txt`)

    // A time set through the gateway lands on the disk as the right instant.
    const put = await req('PUT', '/api/v1/files/kept.txt', { 'x-oc-mtime': unix(when) }, 'k')
    expect(put.headers.get('x-oc-mtime')).toBe('accepted')
    expect(statSync(path.join(srv.root, 'kept.txt')).mtime).toEqual(when)
    const stat = (await (await req('GET', '/api/v1/stat/kept.txt')).json()) as { modified: string }
    expect(stat.modified).toBe(when.toISOString())
  })
})
