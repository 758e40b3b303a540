/**
 * allprop responses are written by their own fast path (src/http/webdav/propfind.ts); it must say
 * exactly what the per-property path says when asked for every live and dead property by name.
 */
import { describe, expect, it } from 'vitest'
import type { FileStat, RelPath } from '../../../src/files/types.js'
import type { DavLock } from '../../../src/http/webdav/locks.js'
import type { PropertyBag } from '../../../src/http/webdav/properties.js'
import { LIVE, responseXml, type Want } from '../../../src/http/webdav/propfind.js'
import { splitExpandedName } from '../../../src/http/webdav/xml.js'

const modified = new Date(Date.UTC(2026, 10, 24, 22, 38, 0))

const file = (over: Partial<FileStat> = {}): FileStat => ({
  path: 'docs/report <1> & "q".txt' as RelPath,
  name: 'report <1> & "q".txt',
  type: 'file',
  size: 1234,
  modified,
  etag: '4d2-19a1f',
  ...over,
})

const dir: FileStat = {
  path: 'docs' as RelPath,
  name: 'docs',
  type: 'dir',
  size: undefined,
  modified,
  etag: 'd',
}

// Half a second away from a whole-second boundary, so both renderings print the same timeout.
const lock = (path: string, depth: 0 | 'infinity'): DavLock => ({
  token: 'urn:uuid:6f1c0f0e-1b2a-4c5d-8e9f-0a1b2c3d4e5f',
  path: path as RelPath,
  scope: 'exclusive',
  depth,
  owner: '<D:owner><D:href>mailto:a@example.org</D:href></D:owner>',
  principal: 'p',
  timeoutSec: 3600,
  expiresAt: Date.now() + 3_600_250,
})

const dead: PropertyBag = {
  '{urn:x}color': '<color xmlns="urn:x">blue</color>',
  '{urn:y}size': '<size xmlns="urn:y">10</size>',
}

/** The same resource asked for by name: every live property, then every dead one. */
function byName(stat: FileStat, bag: PropertyBag, locks: DavLock[]): string {
  const names = [
    ...LIVE.map((name) => ({ ns: 'DAV:', name })),
    ...Object.keys(bag).map((k) => splitExpandedName(k) as { ns: string; name: string }),
  ]
  const xml = responseXml(stat, bag, { kind: 'props', names }, locks)
  // Properties a directory lacks go into a 404 propstat that allprop leaves out.
  return xml.replace(/<D:propstat>(?:(?!<D:propstat>).)*404 Not Found<\/D:status><\/D:propstat>/, '')
}

const ALL: Want = { kind: 'all' }

describe('PROPFIND allprop rendering', () => {
  const cases: Array<[string, FileStat, PropertyBag, DavLock[]]> = [
    ['a file', file(), {}, []],
    ['a file with dead properties', file(), dead, []],
    ['a file under a depth-infinity lock', file(), dead, [lock('docs', 'infinity')]],
    ['a file beside a depth-0 lock on its folder', file(), {}, [lock('docs', 0)]],
    ['a file without size or time', file({ size: undefined, modified: undefined }), {}, []],
    ['a symlink (rendered as a file)', file({ type: 'symlink' }), {}, []],
    ['a directory', dir, dead, [lock('docs', 0)]],
    ['the root', { ...dir, path: '' as RelPath, name: '' }, {}, []],
  ]

  it.each(cases)('says what the per-property path says: %s', (_, stat, bag, locks) => {
    expect(responseXml(stat, bag, ALL, locks)).toBe(byName(stat, bag, locks))
  })

  it('escapes names, shows held locks and leaves out what a directory lacks', () => {
    const xml = responseXml(file(), {}, ALL, [lock('docs', 'infinity')])
    expect(xml).toContain('<D:displayname>report &lt;1&gt; &amp; &quot;q&quot;.txt</D:displayname>')
    expect(xml).toContain('<D:lockdiscovery><D:activelock>')
    expect(xml).toContain('<D:getlastmodified>Tue, 24 Nov 2026 22:38:00 GMT</D:getlastmodified>')
    const d = responseXml(dir, {}, ALL, [])
    expect(d).toContain('<D:resourcetype><D:collection/></D:resourcetype>')
    expect(d).not.toContain('getcontentlength')
    expect(d).toContain('<D:href>/dav/docs/</D:href>')
  })
})
