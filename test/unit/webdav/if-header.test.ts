import { describe, expect, it } from 'vitest'
import {
  evaluateIf,
  IF_MAX_CONDITIONS,
  IfHeaderError,
  type IfResolver,
  parseIfHeader,
} from '../../../src/http/webdav/if-header.js'

const T1 = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2'
const T2 = 'urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092'

/** A world with a lock T1 on `locked` (and below it), and fixed ETags. */
const resolver: IfResolver = {
  pathOf: (tag) => {
    const u = new URL(tag, 'http://www.example.com')
    if (u.host !== 'www.example.com' || !u.pathname.startsWith('/dav/')) return undefined
    return decodeURIComponent(u.pathname.slice(5).replace(/\/$/, ''))
  },
  etagOf: async (p) => ({ locked: '"I am an ETag"', 'locked/child': '"4217"', other: '"strong ETag"' })[p],
  tokenCovers: (token, p) => token === T1 && (p === 'locked' || p.startsWith('locked/')),
}

describe('If header parser (RFC 4918 §10.4 examples)', () => {
  it.each([
    [`(<${T1}> ["I am an ETag"]) (["I am another ETag"])`, 2],
    [`(Not <${T1}> <${T2}>)`, 1],
    [`(<${T1}>) (Not <DAV:no-lock>)`, 2],
    [`</resource1> (<${T1}> [W/"A weak ETag"]) (["strong ETag"])`, 2],
    [`<http://www.example.com/specs/> (<${T1}>)`, 1],
    ['</specs/rfc2518.doc> (["4217"])', 1],
    ['</specs/rfc2518.doc> (Not ["4217"])', 1],
  ])('parses %s', (header, lists) => {
    expect(parseIfHeader(header)).toHaveLength(lists)
  })

  it('keeps resource tags, Not and both condition kinds', () => {
    expect(parseIfHeader(`</a> (Not <${T1}> ["x"]) </b> (["y"])`)).toEqual([
      {
        resource: '/a',
        conditions: [
          { not: true, token: T1 },
          { not: false, etag: '"x"' },
        ],
      },
      { resource: '/b', conditions: [{ not: false, etag: '"y"' }] },
    ])
  })

  it.each([
    '',
    '(',
    '()',
    `(<${T1}>`,
    '(["unquoted])',
    '([noquotes])',
    `<${T1}>`,
    `(<${T1}>) </tag> (<${T2}>)`,
    '(Nicht <x>)',
    'junk',
  ])('refuses malformed %j', (header) => {
    expect(() => parseIfHeader(header)).toThrow(IfHeaderError)
  })
})

describe('If header evaluation', () => {
  const run = (header: string, path = 'locked') => evaluateIf(parseIfHeader(header), path, resolver)

  it.each([
    // A token of a lock covering the resource, with the right ETag.
    [`(<${T1}> ["I am an ETag"])`, 'locked', true],
    [`(<${T1}> ["wrong"]) (["I am another ETag"])`, 'locked', false],
    [`(<${T1}>)`, 'locked/child', true],
    [`(<${T2}>)`, 'locked', false],
    [`(<${T1}>)`, 'other', false],
    // Not, and the DAV:no-lock idiom that makes a list always true.
    [`(Not <${T2}>)`, 'locked', true],
    [`(Not <${T1}>)`, 'locked', false],
    [`(<${T2}>) (Not <DAV:no-lock>)`, 'locked', true],
    [`(<DAV:no-lock>)`, 'locked', false],
    // ETags, weak and strong.
    ['(["I am an ETag"])', 'locked', true],
    ['([W/"I am an ETag"])', 'locked', true],
    ['(Not ["I am an ETag"])', 'locked', false],
    ['(["x"])', 'missing', false],
    // Tagged lists apply to their resource, whatever the request URL is.
    ['<http://www.example.com/dav/locked/child> (["4217"])', 'other', true],
    ['</dav/locked/child> (Not ["4217"])', 'other', false],
    [`</dav/other> (["strong ETag"]) </dav/locked> (<${T2}>)`, 'x', true],
    // A resource on another server never matches.
    [`<http://elsewhere.example/dav/locked> (<${T1}>)`, 'locked', false],
  ])('%s on %s → %s', async (header, path, passed) => {
    expect((await run(header, path)).passed).toBe(passed)
  })

  it('reports submitted tokens, leaving out those under Not', async () => {
    const out = await run(`(<${T1}>) (Not <${T2}>) (Not <DAV:no-lock>)`)
    expect(out.tokens).toEqual([T1])
  })

  it('submits a token even from a list that failed (the lock check is separate)', async () => {
    const out = await run(`(<${T2}> ["nope"]) (Not <DAV:no-lock>)`)
    expect(out).toEqual({ passed: true, tokens: [T2] })
  })
})

describe('If header bounds', () => {
  it(`refuses more than ${IF_MAX_CONDITIONS} conditions, so one request cannot stat hundreds of resources`, async () => {
    const lists = (n: number) => Array.from({ length: n }, (_, i) => `</dav/r${i}> (["e${i}"])`).join(' ')
    expect(() => parseIfHeader(lists(IF_MAX_CONDITIONS + 1))).toThrow(IfHeaderError)
    let stats = 0
    const counting: IfResolver = {
      ...resolver,
      pathOf: (tag) => tag.slice(5),
      etagOf: async () => {
        stats++
        return undefined
      },
    }
    const outcome = await evaluateIf(parseIfHeader(lists(IF_MAX_CONDITIONS)), 'x', counting)
    expect(outcome.passed).toBe(false)
    expect(stats).toBe(IF_MAX_CONDITIONS)
  })
})
