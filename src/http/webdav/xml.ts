/**
 * A small namespace-aware XML reader and writer for WebDAV bodies. webdav-server's parser accepts
 * documents RFC 4918 requires us to refuse (undeclared prefixes, `xmlns:p=""`, junk), and dead
 * property values must round-trip with their namespaces, so the DAV handlers read and write XML here.
 *
 * Parsing is linear in the body: one forward pass with sticky regexes (never a slice of the rest of
 * the document), and namespace bindings kept as a stack per prefix that an element pushes only for
 * what it declares and pops when it closes, so no element copies its parent's scope. The limits
 * below bound what a body within the 1 MiB request limit can make us build.
 */
import { GatewayError } from '../errors.js'

/** Deepest element nesting accepted (the root is depth 1); also bounds every recursive walk. */
export const XML_MAX_DEPTH = 64
/** Most elements in one document: real PROPFIND/PROPPATCH/LOCK bodies have a few dozen. */
export const XML_MAX_ELEMENTS = 10_000
/** Most `xmlns` / `xmlns:p` declarations in one document, all elements together. */
export const XML_MAX_NAMESPACE_DECLARATIONS = 256
/** Most attributes (declarations included) on one element. */
export const XML_MAX_ATTRIBUTES = 64

/** An element with its namespace resolved (`ns` '' is the null namespace). */
export interface XmlElement {
  ns: string
  name: string
  /** Attributes keyed by `{ns}name` ('' namespace for unprefixed ones); xmlns declarations left out. */
  attrs: Record<string, string>
  children: XmlNode[]
}

/** A child node: an element or character data. */
export type XmlNode = XmlElement | string

/**
 * Thrown for anything that is not a well-formed, namespace-valid document (GW_ERR_BAD_XML) or that
 * goes over one of the limits above (GW_ERR_XML_LIMIT); both are 400 through the problem catalogue.
 */
export class XmlError extends GatewayError {
  override readonly name = 'XmlError'
  constructor(message: string, code: 'GW_ERR_BAD_XML' | 'GW_ERR_XML_LIMIT' = 'GW_ERR_BAD_XML') {
    super(code, message)
  }
}

/** Work counter for tests: `ops` grows with every character scanned and every binding touched. */
export interface XmlParseStats {
  ops: number
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace'
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/'
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

// XML 1.0 (5th ed.) NameStartChar / NameChar without ':' (Namespaces in XML: NCName).
const NAME_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}'
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`
const NCNAME = `[${NAME_START}][${NAME_CHAR}]*`
const NCNAME_ONLY = new RegExp(`^${NCNAME}$`, 'u')
// Sticky: matched at lastIndex, so a scan never copies or re-reads the rest of the document.
const QNAME_AT = new RegExp(`${NCNAME}(?::${NCNAME})?`, 'uy')
const SPACE_AT = /[ \t\r\n]*/y
const EQ_AT = /[ \t\r\n]*=[ \t\r\n]*["']/y
const END_TAG_REST = /[ \t\r\n]*>/y
// Characters XML 1.0 does not allow anywhere (C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates).
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether `name` is an NCName: what an element or attribute local name (and a prefix) must be. */
export function isXmlName(name: string): boolean {
  return NCNAME_ONLY.test(name)
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  )
}

function decodeText(raw: string): string {
  if (!raw.includes('&')) return raw
  return raw.replace(/&(#x[0-9a-fA-F]{1,8}|#[0-9]{1,10}|[a-z]+);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlError('Bare "&" in text')
    if (ref.startsWith('#')) {
      const cp = ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10)
      // String.fromCodePoint throws RangeError past U+10FFFF; XML also forbids NUL and friends.
      if (!isXmlChar(cp)) throw new XmlError(`Character reference ${m} is not an XML character`)
      return String.fromCodePoint(cp)
    }
    const v = ENTITIES[ref]
    if (v === undefined) throw new XmlError(`Unknown entity ${m}`)
    return v
  })
}

interface Frame {
  el: XmlElement
  qname: string
  /** Prefixes this element bound ('' for a default namespace), popped when it closes. */
  declared: string[] | undefined
}

/** One parse: the cursor, the open elements, the namespace bindings and the limit counters. */
class Parser {
  i = 0
  readonly stack: Frame[] = []
  /** Prefix → the URIs bound to it, innermost last: lookups are O(1), nothing is ever copied. */
  readonly bindings = new Map<string, string[]>([['xml', [XML_NS]]])
  root: XmlElement | undefined
  elements = 0
  declarations = 0

  constructor(
    readonly src: string,
    readonly stats: XmlParseStats,
  ) {}

  fail(why: string): never {
    throw new XmlError(`${why} at offset ${this.i}`)
  }

  limit(why: string): never {
    throw new XmlError(`${why} at offset ${this.i}`, 'GW_ERR_XML_LIMIT')
  }

  /** Where a sticky regex matching at the cursor ends (-1: no match); counts what it read. */
  to(re: RegExp): number {
    re.lastIndex = this.i
    const end = re.test(this.src) ? re.lastIndex : -1
    this.stats.ops += 1 + (end === -1 ? 0 : end - this.i)
    return end
  }

  /** indexOf from the cursor; counts the characters it passed over. */
  find(needle: string, from = this.i): number {
    const at = this.src.indexOf(needle, from)
    this.stats.ops += 1 + (at === -1 ? this.src.length : at) - from
    return at
  }

  lookup(prefix: string): string | undefined {
    this.stats.ops++
    return this.bindings.get(prefix)?.at(-1)
  }

  bind(prefix: string, uri: string): void {
    this.stats.ops++
    const uris = this.bindings.get(prefix)
    if (uris) uris.push(uri)
    else this.bindings.set(prefix, [uri])
  }

  /** `[ns, local]` of a qname; unprefixed attributes are in no namespace, elements in the default. */
  resolve(q: string, isAttr: boolean): [string, string] {
    const c = q.indexOf(':')
    if (c === -1) return [isAttr ? '' : (this.lookup('') ?? ''), q]
    const ns = this.lookup(q.slice(0, c))
    if (ns === undefined) this.fail(`Undeclared prefix in ${q}`)
    return [ns, q.slice(c + 1)]
  }

  unbind(frame: Frame): void {
    for (const prefix of frame.declared ?? []) {
      this.stats.ops++
      this.bindings.get(prefix)?.pop()
    }
  }
}

/**
 * Parses a whole document; throws XmlError when it is not well-formed, uses bad namespaces or goes
 * over a limit. `stats` (tests) receives a count of the work done, which stays linear in the input.
 */
export function parseXml(input: string | Buffer, stats: XmlParseStats = { ops: 0 }): XmlElement {
  const src = typeof input === 'string' ? input : input.toString('utf8')
  const p: Parser = new Parser(src, stats)
  stats.ops += src.length
  const bad = NOT_XML_CHAR.exec(src)
  if (bad) {
    p.i = bad.index
    p.fail('Character not allowed in XML')
  }
  p.i = src.charCodeAt(0) === 0xfeff ? 1 : 0
  while (p.i < src.length) {
    const lt = p.find('<')
    const end = lt === -1 ? src.length : lt
    if (end > p.i) {
      const text = src.slice(p.i, end)
      const top = p.stack.at(-1)
      stats.ops += text.length
      if (top) top.el.children.push(decodeText(text))
      else if (text.trim() !== '') p.fail('Text outside the root element')
    }
    if (lt === -1) break
    p.i = lt
    if (src.startsWith('<?', p.i)) {
      const close = p.find('?>', p.i + 2)
      if (close === -1) p.fail('Unterminated processing instruction')
      p.i = close + 2
    } else if (src.startsWith('<!--', p.i)) {
      const close = p.find('-->', p.i + 4)
      if (close === -1) p.fail('Unterminated comment')
      p.i = close + 3
    } else if (src.startsWith('<![CDATA[', p.i)) {
      const close = p.find(']]>', p.i + 9)
      const top = p.stack.at(-1)
      if (close === -1 || !top) p.fail('Bad CDATA section')
      top.el.children.push(src.slice(p.i + 9, close))
      stats.ops += close - p.i
      p.i = close + 3
    } else if (src.startsWith('<!', p.i)) {
      // DOCTYPE and entity declarations are refused (entity expansion attacks).
      p.fail('Declarations are not accepted')
    } else if (src.startsWith('</', p.i)) {
      readEndTag(p)
    } else {
      p.i++
      readStartTag(p)
    }
  }
  if (p.stack.length > 0 || p.root === undefined) throw new XmlError('Unexpected end of document')
  return p.root
}

function readEndTag(p: Parser): void {
  p.i += 2
  const nameEnd = p.to(QNAME_AT)
  const qname = nameEnd === -1 ? '' : p.src.slice(p.i, nameEnd)
  p.i += qname.length
  const end = p.to(END_TAG_REST)
  if (end === -1) p.fail('Unterminated end tag')
  p.i = end
  const top = p.stack.pop()
  if (!top || top.qname !== qname) p.fail(`Mismatched end tag </${qname}>`)
  p.unbind(top)
}

function readStartTag(p: Parser): void {
  const { src } = p
  const nameEnd = p.to(QNAME_AT)
  if (nameEnd === -1) p.fail('Bad element name')
  const qname = src.slice(p.i, nameEnd)
  p.i = nameEnd
  if (p.stack.length >= XML_MAX_DEPTH) p.limit(`Elements nested deeper than ${XML_MAX_DEPTH}`)
  if (++p.elements > XML_MAX_ELEMENTS) p.limit(`More than ${XML_MAX_ELEMENTS} elements`)
  const raw: Array<[string, string]> = []
  for (;;) {
    const ws = p.to(SPACE_AT) - p.i
    p.i += ws
    if (src.startsWith('/>', p.i) || src.startsWith('>', p.i)) break
    if (ws === 0) p.fail('Expected whitespace between attributes')
    if (raw.length >= XML_MAX_ATTRIBUTES) p.limit(`More than ${XML_MAX_ATTRIBUTES} attributes on one element`)
    const anEnd = p.to(QNAME_AT)
    if (anEnd === -1) p.fail('Bad attribute name')
    const aname = src.slice(p.i, anEnd)
    // At most XML_MAX_ATTRIBUTES to compare with: a bounded scan (counted like the rest).
    p.stats.ops += raw.length
    if (raw.some(([k]) => k === aname)) p.fail(`Duplicate attribute ${aname}`)
    p.i += aname.length
    const eqEnd = p.to(EQ_AT)
    if (eqEnd === -1) p.fail('Expected = and a quoted value')
    p.i = eqEnd
    const close = p.find(src[eqEnd - 1] as string)
    if (close === -1) p.fail('Unterminated attribute value')
    const value = src.slice(p.i, close)
    p.stats.ops += value.length
    if (value.includes('<')) p.fail('"<" in attribute value')
    raw.push([aname, decodeText(value)])
    p.i = close + 1
  }
  const selfClosing = src.startsWith('/>', p.i)
  p.i += selfClosing ? 2 : 1
  const frame: Frame = { el: { ns: '', name: '', attrs: {}, children: [] }, qname, declared: undefined }
  for (const [k, v] of raw) {
    if (k !== 'xmlns' && !k.startsWith('xmlns:')) continue
    if (++p.declarations > XML_MAX_NAMESPACE_DECLARATIONS)
      p.limit(`More than ${XML_MAX_NAMESPACE_DECLARATIONS} namespace declarations`)
    const prefix = k === 'xmlns' ? '' : k.slice(6)
    // Namespaces in XML 1.0 forbids undeclaring a prefix (litmus propfind_invalid2) and rebinding
    // the reserved xml / xmlns prefixes and namespaces.
    if (prefix !== '' && v === '') p.fail(`Empty namespace for prefix ${prefix}`)
    if (prefix === 'xmlns' || v === XMLNS_NS || (prefix === 'xml') !== (v === XML_NS))
      p.fail(`Reserved namespace binding ${k}`)
    p.bind(prefix, v)
    if (frame.declared) frame.declared.push(prefix)
    else frame.declared = [prefix]
  }
  const [ns, name] = p.resolve(qname, false)
  const el = frame.el
  el.ns = ns
  el.name = name
  for (const [k, v] of raw) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue
    const [ans, aname] = p.resolve(k, true)
    const key = `{${ans}}${aname}`
    if (Object.hasOwn(el.attrs, key)) p.fail(`Duplicate attribute {${ans}}${aname}`)
    el.attrs[key] = v
  }
  const parent = p.stack.at(-1)
  if (parent) parent.el.children.push(el)
  else if (p.root !== undefined) p.fail('More than one root element')
  else p.root = el
  if (selfClosing) p.unbind(frame)
  else p.stack.push(frame)
}

/**
 * Splits a `{ns}name` key (attribute keys here, dead property keys in properties.ts). Names cannot
 * hold `}` but namespace URIs can, so the name starts after the LAST one; undefined when the key is
 * not of that form or the name is not an NCName (nothing that could be written as XML).
 */
export function splitExpandedName(key: string): { ns: string; name: string } | undefined {
  const close = key.lastIndexOf('}')
  if (!key.startsWith('{') || close === -1) return undefined
  const name = key.slice(close + 1)
  return isXmlName(name) ? { ns: key.slice(1, close), name } : undefined
}

/** Child elements of `el` (text dropped). */
export function elements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== 'string')
}

/** The first child element with this namespace and name. */
export function child(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return elements(el).find((c) => c.ns === ns && c.name === name)
}

/** The text content of an element and its descendants (an explicit stack: no recursion). */
export function textOf(el: XmlElement): string {
  const out: string[] = []
  const todo: XmlNode[] = [el]
  while (todo.length > 0) {
    const node = todo.pop() as XmlNode
    if (typeof node === 'string') out.push(node)
    else for (let k = node.children.length - 1; k >= 0; k--) todo.push(node.children[k] as XmlNode)
  }
  return out.join('')
}

/** Escapes text for element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot' }[c]};`)
}

// What a reader would change: CR in text is normalised to LF, and tab, CR and LF in an attribute
// value to spaces, so they go out as character references to come back byte-exact.
const escapeText = (s: string) => escapeXml(s).replace(/\r/g, '&#13;')
/** Escapes an attribute value so a reader gets it back byte-exact (tab, CR, LF as references). */
export const escapeXmlAttr = (s: string) => escapeXml(s).replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * Writes an element with every namespace declared on the element that uses it, so the fragment
 * stands alone wherever it is pasted (dead property values are stored and replayed this way).
 * Names must be NCNames (XmlError otherwise); trees from parseXml nest at most XML_MAX_DEPTH deep,
 * which bounds the recursion.
 */
export function serialize(el: XmlElement, inheritedDefault?: string): string {
  if (!isXmlName(el.name)) throw new XmlError(`Not an XML name: ${JSON.stringify(el.name)}`)
  let decls = ''
  if (inheritedDefault !== el.ns) {
    // The element's own namespace becomes the default one: this also covers the null namespace.
    decls += ` xmlns="${escapeXmlAttr(el.ns)}"`
  }
  let attrs = ''
  let n = 0
  for (const [key, value] of Object.entries(el.attrs)) {
    const parts = splitExpandedName(key)
    if (!parts) throw new XmlError(`Not an XML attribute name: ${JSON.stringify(key)}`)
    if (parts.ns === '') attrs += ` ${parts.name}="${escapeXmlAttr(value)}"`
    else if (parts.ns === XML_NS) attrs += ` xml:${parts.name}="${escapeXmlAttr(value)}"`
    else {
      const prefix = `a${n++}`
      decls += ` xmlns:${prefix}="${escapeXmlAttr(parts.ns)}"`
      attrs += ` ${prefix}:${parts.name}="${escapeXmlAttr(value)}"`
    }
  }
  const open = `<${el.name}${decls}${attrs}`
  if (el.children.length === 0) return `${open}/>`
  let inner = ''
  for (const c of el.children) inner += typeof c === 'string' ? escapeText(c) : serialize(c, el.ns)
  return `${open}>${inner}</${el.name}>`
}
