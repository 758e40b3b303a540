import { describe, expect, it } from 'vitest'
import { parseXml, serialize, XmlError } from '../../../src/http/webdav/xml.js'

describe('WebDAV XML reader', () => {
  it('resolves default and prefixed namespaces, and the null namespace', () => {
    const el = parseXml(
      '<?xml version="1.0"?><D:a xmlns:D="DAV:" xmlns="urn:x"><b/><c xmlns=""/><D:d/></D:a>',
    )
    expect(el.ns).toBe('DAV:')
    expect(el.children.map((c) => (typeof c === 'string' ? c : `${c.ns}|${c.name}`))).toEqual([
      'urn:x|b',
      '|c',
      'DAV:|d',
    ])
  })

  it.each([
    ['<foo>', 'unterminated'],
    ['<a:b/>', 'undeclared prefix'],
    ['<D:propfind xmlns:D="DAV:"><bar:foo xmlns:bar=""/></D:propfind>', 'undeclared prefix by empty name'],
    ['<a></b>', 'mismatched'],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a/>', 'declarations'],
    ['<a>&bogus;</a>', 'unknown entity'],
    ['<a/><b/>', 'two roots'],
    ['text', 'no element'],
  ])('refuses %s (%s)', (doc) => {
    expect(() => parseXml(doc)).toThrow(XmlError)
  })

  it('round-trips values with their namespaces, entities and non-ASCII text', () => {
    const doc =
      '<t:v xmlns:t="urn:t" t:attr="1 &amp; 2"><foo xmlns="http://bar">caf\u00e9 &lt;&#x1F600;</foo><x:y xmlns:x="urn:x"/></t:v>'
    const once = serialize(parseXml(doc))
    expect(parseXml(once)).toEqual(parseXml(doc))
    expect(once).toContain('caf\u00e9 &lt;\u{1F600}')
  })
})
