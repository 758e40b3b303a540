/**
 * The WebDAV XML reader does work linear in its input (issue 15 item 1): its operation counter
 * (characters scanned, namespace bindings touched) stays under K × length + C for generated
 * documents that mix many namespace declarations, deep nesting and many elements (the red team's
 * 5,000 declarations × 50,000 elements took ~30 s when every element copied its parent's scope),
 * and for arbitrary fragments of markup. Counts only: no clock is read.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseXml, XmlError, type XmlParseStats } from '../../../src/http/webdav/xml.js'
import { anyText, check } from './runs.js'

/** Work allowed per input character, and a constant for tiny inputs. */
const K = 12
const C = 64

/** Parses and returns the work counted; any error must be an XmlError. */
function work(doc: string): number {
  const stats: XmlParseStats = { ops: 0 }
  try {
    parseXml(doc, stats)
  } catch (err) {
    expect(err).toBeInstanceOf(XmlError)
  }
  return stats.ops
}

const shape = fc.record({
  /** Wrappers around the leaves, each declaring `declsEach` prefixes. */
  wrappers: fc.integer({ min: 0, max: 60 }),
  declsEach: fc.integer({ min: 0, max: 40 }),
  leaves: fc.integer({ min: 0, max: 9000 }),
  attrs: fc.integer({ min: 0, max: 8 }),
  text: fc.constantFrom('', 'x', 'a &amp; b &#x41;', '<![CDATA[ <raw> ]]>', '<!-- c -->'),
  prefixed: fc.boolean(),
})

type Shape = typeof shape extends fc.Arbitrary<infer T> ? T : never

/** A PROPFIND-like document: declarations on nested wrappers (they stay in scope), then leaves. */
function build(s: Shape): string {
  let open = '<D:propfind xmlns:D="DAV:"><D:prop>'
  let close = '</D:prop></D:propfind>'
  for (let w = 0; w < s.wrappers; w++) {
    let decls = ''
    for (let d = 0; d < s.declsEach; d++) decls += ` xmlns:n${w}_${d}="urn:n${d}"`
    open += `<w${decls}>`
    close = `</w>${close}`
  }
  let attrs = ''
  for (let a = 0; a < s.attrs; a++) attrs += ` a${a}="v${a}"`
  const name = s.prefixed && s.wrappers > 0 && s.declsEach > 0 ? 'n0_0:a' : 'a'
  const leaf = s.text === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${s.text}</${name}>`
  return open + leaf.repeat(s.leaves) + close
}

/** Pieces of markup, hostile ones included, to glue together at random. */
const fragment = fc.constantFrom(
  '<a',
  '<a>',
  '</a>',
  '<a/>',
  ' xmlns:p="u"',
  ' xmlns="u"',
  ' p:x="1"',
  '>',
  '/>',
  '="',
  '"',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<?',
  '?>',
  '&amp;',
  '&#x41;',
  '&',
  ' ',
  'text',
  '<p:a>',
  '</p:a>',
)

describe('XML reader work is linear in the input', () => {
  it(`documents mixing declarations, depth and elements: ops <= ${K} x length + ${C}`, () =>
    check(
      fc.property(shape, (s) => {
        const doc = build(s)
        expect(work(doc)).toBeLessThanOrEqual(K * doc.length + C)
      }),
      60,
    ))

  it('arbitrary glued markup fragments, repeated: linear too', () =>
    check(
      fc.property(
        fc.array(fragment, { maxLength: 40 }),
        fc.integer({ min: 1, max: 2000 }),
        (parts, times) => {
          const doc = `<r xmlns:p="u">${parts.join('').repeat(times)}`
          expect(work(doc)).toBeLessThanOrEqual(K * doc.length + C)
        },
      ),
      300,
    ))

  it('arbitrary text: linear, and nothing but XmlError escapes', () =>
    check(
      fc.property(anyText(400), (text) => {
        expect(work(text)).toBeLessThanOrEqual(K * text.length + C)
      }),
      500,
    ))

  it("the red team's bodies cost at most K per character", () => {
    const decls = Array.from({ length: 5000 }, (_, i) => ` xmlns:n${i}="u"`).join('')
    for (const doc of [
      `<D:propfind xmlns:D="DAV:"${decls}><D:prop>${'<a/>'.repeat(50_000)}</D:prop></D:propfind>`,
      `<D:propfind xmlns:D="DAV:"><D:prop>${'<a xmlns:p="u">'.repeat(5000)}${'</a>'.repeat(5000)}</D:prop></D:propfind>`,
      `<D:propfind xmlns:D="DAV:"><D:prop><a${Array.from({ length: 30_000 }, (_, i) => ` b${i}="1"`).join('')}/></D:prop></D:propfind>`,
    ])
      expect(work(doc)).toBeLessThanOrEqual(K * doc.length + C)
  })
})
