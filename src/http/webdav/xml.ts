/**
 * A small namespace-aware XML reader and writer for WebDAV bodies. webdav-server's parser accepts
 * documents RFC 4918 requires us to refuse (undeclared prefixes, `xmlns:p=""`, junk), and dead
 * property values must round-trip with their namespaces, so the DAV handlers read and write XML here.
 */

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

/** Thrown for anything that is not a well-formed, namespace-valid document (answered 400). */
export class XmlError extends Error {
  override readonly name = 'XmlError'
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
const NAME =
  /^[A-Za-z_\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*(?::[A-Za-z_\u00c0-\uffff][\w.\-\u00b7\u00c0-\uffff]*)?/

function decodeText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlError('Bare "&" in text')
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16))
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10))
    const v = ENTITIES[ref]
    if (v === undefined) throw new XmlError(`Unknown entity ${m}`)
    return v
  })
}

interface Frame {
  el: XmlElement
  qname: string
  scope: Map<string, string>
}

/** Parses a whole document; throws XmlError when it is not well-formed or uses bad namespaces. */
export function parseXml(input: string | Buffer): XmlElement {
  const src = typeof input === 'string' ? input : input.toString('utf8')
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0
  const stack: Frame[] = []
  let root: XmlElement | undefined
  const fail = (why: string): never => {
    throw new XmlError(`${why} at offset ${i}`)
  }
  while (i < src.length) {
    const lt = src.indexOf('<', i)
    const text = src.slice(i, lt === -1 ? src.length : lt)
    if (text.length > 0) {
      const top = stack[stack.length - 1]
      if (top) top.el.children.push(decodeText(text))
      else if (text.trim() !== '') fail('Text outside the root element')
    }
    if (lt === -1) break
    i = lt
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i)
      if (end === -1) fail('Unterminated processing instruction')
      i = end + 2
    } else if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i)
      if (end === -1) fail('Unterminated comment')
      i = end + 3
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i)
      const top = stack[stack.length - 1]
      if (end === -1 || !top) fail('Bad CDATA section')
      top?.el.children.push(src.slice(i + 9, end))
      i = end + 3
    } else if (src.startsWith('<!', i)) {
      // DOCTYPE and entity declarations are refused (entity expansion attacks).
      fail('Declarations are not accepted')
    } else if (src.startsWith('</', i)) {
      const end = src.indexOf('>', i)
      if (end === -1) fail('Unterminated end tag')
      const qname = src.slice(i + 2, end).trim()
      const top = stack.pop()
      if (!top || top.qname !== qname) fail(`Mismatched end tag </${qname}>`)
      i = end + 1
    } else {
      i = readStartTag(src, i + 1, stack, fail, (el) => {
        if (root !== undefined) fail('More than one root element')
        root = el
      })
    }
  }
  if (stack.length > 0 || root === undefined) throw new XmlError('Unexpected end of document')
  return root
}

function readStartTag(
  src: string,
  start: number,
  stack: Frame[],
  fail: (why: string) => never,
  setRoot: (el: XmlElement) => void,
): number {
  let i = start
  const m = NAME.exec(src.slice(i, i + 512))
  if (!m) fail('Bad element name')
  const qname = (m as RegExpExecArray)[0]
  i += qname.length
  const raw: Array<[string, string]> = []
  for (;;) {
    const ws = /^\s*/.exec(src.slice(i))?.[0].length ?? 0
    i += ws
    if (src.startsWith('/>', i) || src.startsWith('>', i)) break
    if (ws === 0) fail('Expected whitespace between attributes')
    const an = NAME.exec(src.slice(i, i + 512))
    if (!an) fail('Bad attribute name')
    const aname = (an as RegExpExecArray)[0]
    i += aname.length
    const eq = /^\s*=\s*(["'])/.exec(src.slice(i))
    if (!eq) fail('Expected = and a quoted value')
    i += (eq as RegExpExecArray)[0].length
    const quote = (eq as RegExpExecArray)[1] as string
    const close = src.indexOf(quote, i)
    if (close === -1) fail('Unterminated attribute value')
    const value = src.slice(i, close)
    if (value.includes('<')) fail('"<" in attribute value')
    raw.push([aname, decodeText(value)])
    i = close + 1
  }
  const selfClosing = src.startsWith('/>', i)
  i += selfClosing ? 2 : 1
  const parent = stack[stack.length - 1]
  const scope = new Map(parent?.scope ?? [['xml', 'http://www.w3.org/XML/1998/namespace']])
  for (const [k, v] of raw) {
    if (k === 'xmlns') scope.set('', v)
    else if (k.startsWith('xmlns:')) {
      // Namespaces in XML 1.0 forbids undeclaring a prefix (litmus propfind_invalid2).
      if (v === '') fail(`Empty namespace for prefix ${k.slice(6)}`)
      scope.set(k.slice(6), v)
    }
  }
  const resolve = (q: string, isAttr: boolean): [string, string] => {
    const c = q.indexOf(':')
    if (c === -1) return [isAttr ? '' : (scope.get('') ?? ''), q]
    const ns = scope.get(q.slice(0, c))
    if (ns === undefined) fail(`Undeclared prefix in ${q}`)
    return [ns as string, q.slice(c + 1)]
  }
  const [ns, name] = resolve(qname, false)
  const attrs: Record<string, string> = {}
  for (const [k, v] of raw) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) continue
    const [ans, aname] = resolve(k, true)
    attrs[`{${ans}}${aname}`] = v
  }
  const el: XmlElement = { ns, name, attrs, children: [] }
  if (parent) parent.el.children.push(el)
  else setRoot(el)
  if (!selfClosing) stack.push({ el, qname, scope })
  return i
}

/** Child elements of `el` (text dropped). */
export function elements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== 'string')
}

/** The first child element with this namespace and name. */
export function child(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return elements(el).find((c) => c.ns === ns && c.name === name)
}

/** The text content of an element and its descendants. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('')
}

/** Escapes text for element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot' }[c]};`)
}

/**
 * Writes an element with every namespace declared on the element that uses it, so the fragment
 * stands alone wherever it is pasted (dead property values are stored and replayed this way).
 */
export function serialize(el: XmlElement, inherited: ReadonlyMap<string, string> = new Map()): string {
  const scope = new Map(inherited)
  const decls: string[] = []
  let prefix = ''
  if (scope.get('') !== el.ns) {
    // The element's own namespace becomes the default one: this also covers the null namespace.
    scope.set('', el.ns)
    decls.push(` xmlns="${escapeXml(el.ns)}"`)
  }
  const attrs: string[] = []
  let n = 0
  for (const [key, value] of Object.entries(el.attrs)) {
    const close = key.indexOf('}')
    const ans = key.slice(1, close)
    const aname = key.slice(close + 1)
    if (ans === '') attrs.push(` ${aname}="${escapeXml(value)}"`)
    else {
      prefix = `a${n++}`
      decls.push(` xmlns:${prefix}="${escapeXml(ans)}"`)
      attrs.push(` ${prefix}:${aname}="${escapeXml(value)}"`)
    }
  }
  const open = `<${el.name}${decls.join('')}${attrs.join('')}`
  if (el.children.length === 0) return `${open}/>`
  const inner = el.children.map((c) => (typeof c === 'string' ? escapeXml(c) : serialize(c, scope))).join('')
  return `${open}>${inner}</${el.name}>`
}
