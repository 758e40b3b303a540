/**
 * PROPPATCH of a modification time (Windows' Win32LastModifiedTime, DAV:getlastmodified): 200 only
 * when the file service kept the time; otherwise 403 for the time and 424 for the rest, and no
 * dead property stored (RFC 4918 §9.2, all or nothing). On the fake file service.
 */
import { describe, expect, it } from 'vitest'
import { buildTestApp, GOOD_AUTH } from '../../helpers/http-app.js'

const auth = { authorization: GOOD_AUTH }
const when = new Date('2021-03-04T05:06:07Z')

function patch(props: string): string {
  return (
    '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:" xmlns:X="urn:x">' +
    `<D:set><D:prop>${props}</D:prop></D:set></D:propertyupdate>`
  )
}

/** The status each property got, by element name. */
function statuses(body: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of body.matchAll(/<D:propstat><D:prop>(.*?)<\/D:prop><D:status>HTTP\/1\.1 (\d+)/g)) {
    for (const p of m[1]!.matchAll(/<(?:[\w-]+:)?([\w-]+)[^>]*\/>/g)) out[p[1]!] = Number(m[2])
  }
  return out
}

async function setup(keepsTimes: boolean) {
  const t = await buildTestApp()
  t.files.putFile('docs/a.txt', '0123456789', new Date('2024-01-01T00:00:00Z'))
  t.files.keepsTimes = keepsTimes
  t.files.calls.length = 0
  const send = (props: string) =>
    t.app.inject({ method: 'PROPPATCH', url: '/dav/docs/a.txt', headers: auth, payload: patch(props) })
  const dead = async () => {
    const r = await t.app.inject({
      method: 'PROPFIND',
      url: '/dav/docs/a.txt',
      headers: { ...auth, depth: '0' },
      payload: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
    })
    return r.body
  }
  return { ...t, send, dead }
}

describe('PROPPATCH of a modification time', () => {
  it('Win32LastModifiedTime: 200 and the file shows the time when the server kept it', async () => {
    const { send, files } = await setup(true)
    const r = await send(
      `<Z:Win32LastModifiedTime>${when.toUTCString()}</Z:Win32LastModifiedTime><X:note>n</X:note>`,
    )
    expect(r.statusCode).toBe(207)
    expect(statuses(r.body)).toEqual({ Win32LastModifiedTime: 200, note: 200 })
    expect((await files.stat({} as never, 'docs/a.txt')).modified).toEqual(when)
  })

  it('Win32LastModifiedTime: 403 for it, 424 for the rest and nothing stored when the server cannot', async () => {
    const { send, files, dead } = await setup(false)
    const r = await send(
      `<Z:Win32LastModifiedTime>${when.toUTCString()}</Z:Win32LastModifiedTime><X:note>n</X:note>`,
    )
    expect(r.statusCode).toBe(207)
    expect(statuses(r.body)).toEqual({ Win32LastModifiedTime: 403, note: 424 })
    expect(files.callsOf('setModified')).toHaveLength(1)
    expect((await files.stat({} as never, 'docs/a.txt')).modified).toEqual(new Date('2024-01-01T00:00:00Z'))
    const props = await dead()
    expect(props).not.toContain('Win32LastModifiedTime')
    expect(props).not.toContain('note')
  })

  it('DAV:getlastmodified is settable: 200 when kept, 403 when not; other live properties stay 403', async () => {
    const kept = await setup(true)
    const ok = await kept.send(`<D:getlastmodified>${when.toUTCString()}</D:getlastmodified>`)
    expect(statuses(ok.body)).toEqual({ getlastmodified: 200 })
    expect((await kept.files.stat({} as never, 'docs/a.txt')).modified).toEqual(when)

    const refused = await setup(false)
    const no = await refused.send(`<D:getlastmodified>${when.toUTCString()}</D:getlastmodified>`)
    expect(statuses(no.body)).toEqual({ getlastmodified: 403 })

    const bad = await kept.send('<D:getlastmodified>yesterday</D:getlastmodified><D:getetag>"x"</D:getetag>')
    expect(statuses(bad.body)).toEqual({ getlastmodified: 403, getetag: 403 })
  })

  it('a time FTP cannot carry stays a dead property and asks nothing of the server', async () => {
    const { send, files } = await setup(false)
    const r = await send('<Z:Win32LastModifiedTime>+010000-01-01T00:00:00.000Z</Z:Win32LastModifiedTime>')
    expect(statuses(r.body)).toEqual({ Win32LastModifiedTime: 200 })
    expect(files.callsOf('setModified')).toHaveLength(0)
  })
})
