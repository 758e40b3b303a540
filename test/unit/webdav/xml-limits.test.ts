/**
 * The XML reader's limits and names (issue 15 items 1 and 11): each limit refuses with the
 * GW_ERR_XML_LIMIT code one step past it and accepts the document at it; the walks over a parsed
 * tree are safe at the deepest tree the reader lets through; names and namespace URIs that could
 * break the XML we write are refused or escaped.
 */
import { describe, expect, it } from 'vitest'
import type { FileStat, RelPath } from '../../../src/files/types.js'
import { classifyError } from '../../../src/http/errors.js'
import { propKey } from '../../../src/http/webdav/properties.js'
import { emptyOf, responseXml, type Want } from '../../../src/http/webdav/propfind.js'
import {
  elements,
  parseXml,
  serialize,
  splitExpandedName,
  textOf,
  XML_MAX_ATTRIBUTES,
  XML_MAX_DEPTH,
  XML_MAX_ELEMENTS,
  XML_MAX_NAMESPACE_DECLARATIONS,
  XmlError,
} from '../../../src/http/webdav/xml.js'

/** The code an XmlError carries, or 'none' when parsing succeeded. */
function codeOf(doc: string): string {
  try {
    parseXml(doc)
    return 'none'
  } catch (err) {
    expect(err).toBeInstanceOf(XmlError)
    return (err as XmlError).code
  }
}

const nested = (depth: number, inner = 'x') => `${'<a>'.repeat(depth)}${inner}${'</a>'.repeat(depth)}`

describe('XML limits', () => {
  it(`nesting: ${XML_MAX_DEPTH} deep parses, one more is GW_ERR_XML_LIMIT (400), 5,000 deep too`, () => {
    expect(codeOf(nested(XML_MAX_DEPTH))).toBe('none')
    expect(codeOf(nested(XML_MAX_DEPTH + 1))).toBe('GW_ERR_XML_LIMIT')
    // Closed and unclosed: before the limit, the closed one overflowed the stack later (500).
    expect(codeOf(nested(5000))).toBe('GW_ERR_XML_LIMIT')
    expect(codeOf(`<D:propfind xmlns:D="DAV:">${'<D:prop>'.repeat(5000)}`)).toBe('GW_ERR_XML_LIMIT')
    const p = classifyError(new XmlError('x', 'GW_ERR_XML_LIMIT'))
    expect([p.status, p.code]).toEqual([400, 'GW_ERR_XML_LIMIT'])
  })

  it(`elements: ${XML_MAX_ELEMENTS} parse, one more is refused`, () => {
    expect(codeOf(`<r>${'<a/>'.repeat(XML_MAX_ELEMENTS - 1)}</r>`)).toBe('none')
    expect(codeOf(`<r>${'<a/>'.repeat(XML_MAX_ELEMENTS)}</r>`)).toBe('GW_ERR_XML_LIMIT')
  })

  it(`namespace declarations: ${XML_MAX_NAMESPACE_DECLARATIONS} in all, counted over every element`, () => {
    const decls = (n: number) => Array.from({ length: n }, (_, i) => ` xmlns:n${i}="u"`).join('')
    const spread = (n: number) => `<r>${'<a xmlns:p="u"/>'.repeat(n)}</r>`
    expect(codeOf(spread(XML_MAX_NAMESPACE_DECLARATIONS))).toBe('none')
    expect(codeOf(spread(XML_MAX_NAMESPACE_DECLARATIONS + 1))).toBe('GW_ERR_XML_LIMIT')
    // The red team's body: 5,000 declarations on the root, 50,000 elements inside.
    const redTeam = `<D:propfind xmlns:D="DAV:"${decls(5000)}><D:prop>${'<a/>'.repeat(50_000)}</D:prop></D:propfind>`
    expect(codeOf(redTeam)).toBe('GW_ERR_XML_LIMIT')
  })

  it(`attributes: ${XML_MAX_ATTRIBUTES} on one element, one more is refused`, () => {
    const attrs = (n: number) => Array.from({ length: n }, (_, i) => ` a${i}="v"`).join('')
    expect(codeOf(`<r${attrs(XML_MAX_ATTRIBUTES)}/>`)).toBe('none')
    expect(codeOf(`<r${attrs(XML_MAX_ATTRIBUTES + 1)}/>`)).toBe('GW_ERR_XML_LIMIT')
  })

  it('every walk over a tree at the depth limit works (textOf, serialize, elements)', () => {
    const deep = parseXml(nested(XML_MAX_DEPTH, 'leaf &amp; more'))
    expect(textOf(deep)).toBe('leaf & more')
    expect(parseXml(serialize(deep))).toEqual(deep)
    let el = deep
    let depth = 1
    while (elements(el).length > 0) {
      el = elements(el)[0] as typeof el
      depth++
    }
    expect(depth).toBe(XML_MAX_DEPTH)
  })

  it('bad character references and characters are GW_ERR_BAD_XML, not a RangeError', () => {
    for (const doc of [
      '<a>&#x110000;</a>',
      '<a>&#99999999999;</a>',
      '<a>&#0;</a>',
      '<a>\u0001</a>',
      '<a b="&#x1;"/>',
    ])
      expect(codeOf(doc), doc).toBe('GW_ERR_BAD_XML')
    expect(textOf(parseXml('<a>&#x10FFFF;&#9;</a>'))).toBe('\u{10FFFF}\t')
  })
})

describe('XML names (item 11)', () => {
  it.each([
    ['<a\u00d7b/>', 'x with a multiplication sign, not a NameChar'],
    ['<a:b:c xmlns:a="u"/>', 'two colons'],
    ['<r a="1" a="2"/>', 'duplicate attribute'],
    ['<r xmlns:p="u" xmlns:q="u" p:a="1" q:a="2"/>', 'duplicate expanded attribute'],
    ['<r xmlns:p="http://www.w3.org/2000/xmlns/"/>', 'binding the xmlns namespace'],
    ['<r xmlns:xml="urn:other"/>', 'rebinding xml'],
    ['<r xmlns:p="http://www.w3.org/XML/1998/namespace"/>', 'another prefix for the xml namespace'],
    ['<a></ a>', 'space before the end tag name'],
  ])('refuses %s (%s)', (doc) => {
    expect(codeOf(doc)).toBe('GW_ERR_BAD_XML')
  })

  it('splits {ns}name keys at the last brace and refuses non-names', () => {
    expect(splitExpandedName('{urn:a}b}c')).toEqual({ ns: 'urn:a}b', name: 'c' })
    expect(splitExpandedName('{}x')).toEqual({ ns: '', name: 'x' })
    expect(splitExpandedName('{urn:a}<D:href>')).toBeUndefined()
    expect(splitExpandedName('no-brace')).toBeUndefined()
  })

  it('a namespace URI holding } < " & and a tab stays one property through serialize and emptyOf', () => {
    const ns = 'urn:x}<D:href>/dav/evil</D:href>"&\t}'
    const key = propKey(ns, 'p')
    const empty = parseXml(emptyOf(key))
    expect([empty.ns, empty.name, empty.children]).toEqual([ns, 'p', []])
    const written = 'urn:x}&lt;D:href>/dav/evil&lt;/D:href>&quot;&amp;&#9;}'
    const value = parseXml(`<p xmlns="${written}" a="1&#10;2">v&#13;</p>`)
    expect(value.ns).toBe(ns)
    const once = serialize(value)
    expect(parseXml(once)).toEqual(value)
    expect(serialize(parseXml(once))).toBe(once)
    const stat: FileStat = {
      path: 'f' as RelPath,
      name: 'f',
      type: 'file',
      size: 1,
      modified: undefined,
      etag: 'e',
    }
    const wants: Want[] = [{ kind: 'names' }, { kind: 'all' }, { kind: 'props', names: [{ ns, name: 'p' }] }]
    for (const want of wants) {
      const doc = parseXml(
        `<D:multistatus xmlns:D="DAV:">${responseXml(stat, { [key]: once }, want, [])}</D:multistatus>`,
      )
      expect(elements(doc)).toHaveLength(1)
      const response = elements(doc)[0] as typeof doc
      expect(elements(response).filter((e) => e.name === 'href')).toHaveLength(1)
      const props = elements(response)
        .filter((e) => e.name === 'propstat')
        .flatMap((ps) => elements(elements(ps)[0] as typeof doc))
      const mine = props.filter((e) => e.ns === ns)
      expect(mine.map((e) => e.name)).toEqual(['p'])
    }
  })

  it('the xml namespace keeps its own prefix when written (xml:lang)', () => {
    const el = parseXml('<p xmlns="urn:x" xml:lang="en">v</p>')
    expect(serialize(el)).toBe('<p xmlns="urn:x" xml:lang="en">v</p>')
  })
})
