/**
 * The WebDAV `If` header (RFC 4918 §10.4): our own parser and evaluator. webdav-server's lets every
 * condition pass and crashes on resource tags, so the plugin evaluates the header before the request
 * reaches the library and hides it from it.
 */

/** One condition of a list: a state token or an entity tag, possibly negated. */
export type IfCondition =
  | { not: boolean; token: string; etag?: undefined }
  | { not: boolean; etag: string; token?: undefined }

/** A parenthesised list; `resource` is the tag before it (undefined: the request URL). */
export interface IfList {
  resource: string | undefined
  conditions: IfCondition[]
}

/**
 * Most conditions one header may hold. Real clients send one or two lists; each entity-tag
 * condition on another resource costs a stat of it upstream, so an unbounded header would let
 * one request send hundreds of FTP commands.
 */
export const IF_MAX_CONDITIONS = 64

/** Thrown for a header that does not follow the grammar (answered 400). */
export class IfHeaderError extends Error {
  override readonly name = 'IfHeaderError'
}

/** Parses an If header value into its lists. */
export function parseIfHeader(value: string): IfList[] {
  const lists: IfList[] = []
  let i = 0
  let tagged: boolean | undefined
  let resource: string | undefined
  let count = 0
  const skip = () => {
    while (i < value.length && /\s/.test(value[i] as string)) i++
  }
  const fail = (why: string): never => {
    throw new IfHeaderError(`Malformed If header: ${why} at ${i}`)
  }
  const coded = (): string => {
    const end = value.indexOf('>', i)
    if (end === -1) fail('unterminated <')
    const inner = value.slice(i + 1, end)
    if (inner === '' || /[\s<]/.test(inner)) fail('bad URL')
    i = end + 1
    return inner
  }
  skip()
  if (i >= value.length) fail('empty')
  while (i < value.length) {
    if (value[i] === '<') {
      if (tagged === false) fail('resource tag after untagged list')
      tagged = true
      resource = coded()
      skip()
      if (value[i] !== '(') fail('resource tag without a list')
      continue
    }
    if (value[i] !== '(') fail('expected (')
    if (tagged === undefined) tagged = false
    i++
    const conditions: IfCondition[] = []
    for (;;) {
      skip()
      if (value[i] === ')') {
        i++
        break
      }
      let not = false
      if (value.slice(i, i + 3).toLowerCase() === 'not' && /[\s<[]/.test(value[i + 3] ?? '')) {
        not = true
        i += 3
        skip()
      }
      if (++count > IF_MAX_CONDITIONS) fail(`more than ${IF_MAX_CONDITIONS} conditions`)
      if (value[i] === '<') conditions.push({ not, token: coded() })
      else if (value[i] === '[') {
        const end = value.indexOf(']', i)
        if (end === -1) fail('unterminated [')
        const etag = value.slice(i + 1, end).trim()
        if (!/^(W\/)?"[^"]*"$/.test(etag)) fail('bad entity tag')
        conditions.push({ not, etag })
        i = end + 1
      } else fail('expected a state token or entity tag')
    }
    if (conditions.length === 0) fail('empty list')
    lists.push({ resource: tagged ? resource : undefined, conditions })
    skip()
  }
  return lists
}

/** What evaluation needs to know about the resources a header names. */
export interface IfResolver {
  /** The request-relative path of a resource tag, or undefined when it is not ours. */
  pathOf(resourceTag: string): string | undefined
  /** The resource's current ETag (quoted), undefined when it does not exist. */
  etagOf(path: string): Promise<string | undefined>
  /** Whether `token` names a current lock that covers `path`. */
  tokenCovers(token: string, path: string): boolean
}

/** The outcome: whether the header holds, and the lock tokens it submits. */
export interface IfOutcome {
  passed: boolean
  /** Every state token the header names outside a `Not`: submitted lock tokens (§10.4.1). */
  tokens: string[]
}

function weakEqual(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '')
}

/**
 * Evaluates the lists against the request path: the header holds when any list holds, and a list
 * holds when all its conditions do. A tag naming another server's resource makes its list false.
 */
export async function evaluateIf(lists: IfList[], requestPath: string, r: IfResolver): Promise<IfOutcome> {
  const tokens = new Set<string>()
  for (const list of lists) {
    for (const c of list.conditions) if (c.token !== undefined && !c.not) tokens.add(c.token)
  }
  const etags = new Map<string, Promise<string | undefined>>()
  const etagOf = (path: string) => {
    let p = etags.get(path)
    if (!p) {
      p = r.etagOf(path)
      etags.set(path, p)
    }
    return p
  }
  let passed = false
  for (const list of lists) {
    const path = list.resource === undefined ? requestPath : r.pathOf(list.resource)
    if (path === undefined) continue
    let holds = true
    for (const c of list.conditions) {
      let ok: boolean
      if (c.token !== undefined) ok = r.tokenCovers(c.token, path)
      else {
        const current = await etagOf(path)
        ok = current !== undefined && weakEqual(current, c.etag)
      }
      if (ok === c.not) {
        holds = false
        break
      }
    }
    if (holds) {
      passed = true
      break
    }
  }
  return { passed, tokens: [...tokens] }
}
