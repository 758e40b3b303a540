/**
 * Hostile XML bodies on the WebDAV face (issue 15 items 1 and 11), end to end through an
 * in-process gateway to a real vsftpd. The red team's bodies (5,000 namespace declarations ×
 * 50,000 elements, 5,000-deep nesting, tens of thousands of attributes) on PROPFIND, PROPPATCH and
 * LOCK get 400 with the GW_ERR_XML_LIMIT problem code, vsftpd's own protocol log shows that no
 * command touching a file was sent for them, and /healthz and a normal PROPFIND answer right
 * after. A dead property whose namespace URI holds `}`, `<`, `"` and `&` comes back as one
 * property in one well-formed response, byte-exact, from propname, allprop and a named PROPFIND.
 */
import { chown, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  elements,
  parseXml,
  serialize,
  textOf,
  XML_MAX_DEPTH,
  type XmlElement,
} from '../../src/http/webdav/xml.js'
import { basicAuth, type GatewayHandle, startGateway } from '../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../helpers/servers/index.js'
import { record } from './support/counters.js'
import { rejectionCounter, request } from './support/harness.js'

const rejections = rejectionCounter()
let server: FtpServerHandle
let gw: GatewayHandle
let auth: string
let tried = 0

/** FTP verbs that read or change a file or folder (login and keep-alive commands are not). */
const FILE_VERBS =
  /"(LIST|NLST|MLSD|MLST|SIZE|MDTM|STAT|RETR|STOR|APPE|DELE|MKD|RMD|RNFR|RNTO|CWD|MFMT|SITE)\b/i

beforeAll(async () => {
  server = await startVsftpd()
  gw = await startGateway(server, { CACHE_TTL_MS: '0' })
  auth = basicAuth(server.user, server.password)
  await mkdir(path.join(server.root, 'sub'))
  await writeFile(path.join(server.root, 'sub', 'f.txt'), 'sub file')
  for (const f of ['sub', 'sub/f.txt']) await chown(path.join(server.root, f), server.uid, server.gid)
})

afterAll(async () => {
  record({ badInputs: tried })
  await gw?.close()
  await server?.stop()
})

async function send(method: string, url: string, headers: Record<string, string> = {}, body?: string) {
  tried++
  return request(`${gw.url}${url}`, {
    method,
    headers: {
      authorization: auth,
      'content-type': 'application/xml',
      ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
      ...headers,
    },
    body,
    timeoutMs: 60_000,
  })
}

/** vsftpd's logged commands that touch files. */
async function fileCommands(): Promise<string[]> {
  return (await server.commandLog()).filter((l) => /FTP command/.test(l) && FILE_VERBS.test(l))
}

const ROOTS: Record<string, [string, string]> = {
  PROPFIND: ['<D:propfind xmlns:D="DAV:"', '</D:propfind>'],
  PROPPATCH: ['<D:propertyupdate xmlns:D="DAV:"', '</D:propertyupdate>'],
  LOCK: ['<D:lockinfo xmlns:D="DAV:"', '</D:lockinfo>'],
}

/** The red team's bodies, each wrapped in the method's own root element. */
function hostileBodies(method: string): Array<[string, string]> {
  const [open, close] = ROOTS[method] as [string, string]
  const decls = Array.from({ length: 5000 }, (_, i) => ` xmlns:n${i}="u"`).join('')
  const attrs = Array.from({ length: 30_000 }, (_, i) => ` b${i}="1"`).join('')
  const inner = method === 'PROPPATCH' ? ['<D:set><D:prop>', '</D:prop></D:set>'] : ['<D:prop>', '</D:prop>']
  return [
    [
      '5,000 declarations x 50,000 elements',
      `${open}${decls}>${inner[0]}${'<a/>'.repeat(50_000)}${inner[1]}${close}`,
    ],
    ['50,000 elements', `${open}>${inner[0]}${'<a/>'.repeat(50_000)}${inner[1]}${close}`],
    [
      '5,000 elements each declaring',
      `${open}>${inner[0]}${'<a xmlns:p="u"/>'.repeat(5000)}${inner[1]}${close}`,
    ],
    [
      '5,000-deep nesting',
      `${open}>${inner[0]}${'<a>'.repeat(5000)}x${'</a>'.repeat(5000)}${inner[1]}${close}`,
    ],
    ['30,000 attributes', `${open}>${inner[0]}<a${attrs}/>${inner[1]}${close}`],
    [
      `${XML_MAX_DEPTH + 1} deep`,
      `${open}>${'<a>'.repeat(XML_MAX_DEPTH)}${'</a>'.repeat(XML_MAX_DEPTH)}${close}`,
    ],
  ]
}

describe('hostile XML bodies on PROPFIND, PROPPATCH and LOCK', () => {
  it('are refused with 400 GW_ERR_XML_LIMIT before any FTP command touches a file', async () => {
    // Warm the pooled session so the only commands left to see would be the hostile requests' own.
    expect((await send('PROPFIND', '/dav/sub/', { depth: '1' })).status).toBe(207)
    const before = (await fileCommands()).length
    let refused = 0
    for (const method of ['PROPFIND', 'PROPPATCH', 'LOCK']) {
      for (const [label, body] of hostileBodies(method)) {
        const r = await send(method, '/dav/sub/f.txt', { depth: '0' }, body)
        expect(r.status, `${method} ${label}`).toBe(400)
        expect(r.headers['content-type'], `${method} ${label}`).toMatch(/^application\/problem\+json/)
        const problem = JSON.parse(r.body.toString()) as { code: string; status: number; instance: string }
        expect([problem.code, problem.status, problem.instance], `${method} ${label}`).toEqual([
          'GW_ERR_XML_LIMIT',
          400,
          '/dav/sub/f.txt',
        ])
        refused++
      }
    }
    expect(await fileCommands(), 'file commands sent for hostile bodies').toHaveLength(before)
    record({ cases: refused })
  })

  it('leave the gateway answering: /healthz and a normal PROPFIND right after', async () => {
    expect((await request(`${gw.url}/healthz`)).status).toBe(200)
    const r = await send('PROPFIND', '/dav/sub/', { depth: '1' })
    expect(r.status).toBe(207)
    const hrefs = elements(parseXml(r.body)).map((resp) => textOf(elements(resp)[0] as XmlElement))
    expect(hrefs).toEqual(['/dav/sub/', '/dav/sub/f.txt'])
  })

  it('a malformed body is 400 GW_ERR_BAD_XML; an invalid property name is refused at PROPPATCH', async () => {
    for (const body of [
      '<D:propfind xmlns:D="DAV:"><D:prop>',
      '<D:propfind xmlns:D="DAV:"><D:prop><D:x>&#x110000;</D:x></D:prop></D:propfind>',
    ]) {
      const r = await send('PROPFIND', '/dav/sub/f.txt', { depth: '0' }, body)
      expect(r.status, body).toBe(400)
      expect(JSON.parse(r.body.toString()).code).toBe('GW_ERR_BAD_XML')
    }
    const badName =
      '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a\u00d7b xmlns:x="urn:x">1</x:a\u00d7b></D:prop></D:set></D:propertyupdate>'
    const r = await send('PROPPATCH', '/dav/sub/f.txt', {}, badName)
    expect(r.status).toBe(400)
    expect(JSON.parse(r.body.toString()).code).toBe('GW_ERR_BAD_XML')
  })
})

describe('a namespace URI holding } < " & (item 11)', () => {
  const ns = 'urn:x}<D:href>/dav/evil</D:href>"&}'
  const written = 'urn:x}&lt;D:href>/dav/evil&lt;/D:href>&quot;&amp;}'
  const value = 'caf\u00e9 <1> & "2"\t\u{1F600}'
  const valueXml = 'caf\u00e9 &lt;1> &amp; "2"\t\u{1F600}'

  /** The one `DAV:response` of a multistatus body, parsed by our strict reader. */
  function onlyResponse(body: Buffer): XmlElement {
    const doc = parseXml(body)
    expect([doc.ns, doc.name]).toEqual(['DAV:', 'multistatus'])
    const responses = elements(doc)
    expect(responses).toHaveLength(1)
    const response = responses[0] as XmlElement
    expect(
      elements(response)
        .filter((e) => e.name === 'href')
        .map(textOf),
    ).toEqual(['/dav/sub/f.txt'])
    return response
  }

  /** The properties in a response's propstats with status `status`. */
  function propsWith(response: XmlElement, status: string): XmlElement[] {
    return elements(response)
      .filter(
        (e) =>
          e.name === 'propstat' && elements(e).some((s) => s.name === 'status' && textOf(s).includes(status)),
      )
      .flatMap((ps) =>
        elements(ps)
          .filter((e) => e.name === 'prop')
          .flatMap(elements),
      )
  }

  it('PROPPATCH stores it and answers one well-formed response naming it', async () => {
    const body = `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><p xmlns="${written}" a="1&#10;2">${valueXml}</p></D:prop></D:set></D:propertyupdate>`
    const r = await send('PROPPATCH', '/dav/sub/f.txt', {}, body)
    expect(r.status).toBe(207)
    const mine = propsWith(onlyResponse(r.body), '200').filter((e) => e.ns === ns)
    expect(mine.map((e) => e.name)).toEqual(['p'])
  })

  it('PROPFIND propname, allprop and by name return it as one property, byte-exact', async () => {
    const sent = parseXml(`<p xmlns="${written}" a="1&#10;2">${valueXml}</p>`)
    const bodies = {
      propname: '<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>',
      allprop: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
      named: `<D:propfind xmlns:D="DAV:"><D:prop><p xmlns="${written}"/><q xmlns="${written}"/></D:prop></D:propfind>`,
    }
    for (const [kind, body] of Object.entries(bodies)) {
      const r = await send('PROPFIND', '/dav/sub/f.txt', { depth: '0' }, body)
      expect(r.status, kind).toBe(207)
      const response = onlyResponse(r.body)
      const found = propsWith(response, '200').filter((e) => e.ns === ns)
      expect(
        found.map((e) => e.name),
        kind,
      ).toEqual(['p'])
      const p = found[0] as XmlElement
      if (kind === 'propname') expect(p.children, kind).toEqual([])
      else {
        expect(p, kind).toEqual(sent)
        expect(textOf(p), kind).toBe(value)
        expect(serialize(p), kind).toBe(serialize(sent))
      }
      if (kind === 'named') expect(propsWith(response, '404').map((e) => [e.ns, e.name])).toEqual([[ns, 'q']])
    }
  })

  it('no unhandled rejections', () => {
    expect(rejections()).toEqual([])
  })
})
