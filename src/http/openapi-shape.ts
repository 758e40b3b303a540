/**
 * The last pass over the generated OpenAPI document (openapi.ts's `transformObject`):
 * - every schema with a `title` moves to `components.schemas` under that name and is referenced
 *   (so generated clients get `components['schemas']['Stat']`, not one anonymous type per use);
 * - every problem response (rest/schemas.ts `problems()` marks them) becomes a reference to one
 *   shared response component per status, with its description and headers (Retry-After…).
 * Pure: takes the document object and returns it reshaped.
 */
import { PROBLEM_HEADERS, PROBLEM_STATUSES } from './api-docs.js'
import { PROBLEM_CONTENT_TYPE } from './problem.js'

type Json = Record<string, unknown>

const PROBLEM_MARK = /^x-problem-(\d{3})$/

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Replaces titled schemas below `node` by references, collecting them in `named`. */
function hoist(node: unknown, named: Map<string, Json>): unknown {
  if (Array.isArray(node)) return node.map((n) => hoist(n, named))
  if (!isObject(node)) return node
  const inner: Json = {}
  for (const [k, v] of Object.entries(node))
    inner[k] = k === 'examples' || k === 'example' ? v : hoist(v, named)
  const title = inner.title
  if (typeof title !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(title)) return inner
  const { title: _drop, ...schema } = inner
  const known = named.get(title)
  if (known !== undefined && !sameJson(known, schema)) {
    throw new Error(`OpenAPI: two different schemas are both titled ${title}`)
  }
  named.set(title, schema)
  return { $ref: `#/components/schemas/${title}` }
}

function problemResponse(status: number): Json {
  const spec = PROBLEM_STATUSES[status]
  if (spec === undefined) throw new Error(`OpenAPI: no description for problem status ${status}`)
  const headers = PROBLEM_HEADERS[status]
  return {
    description: spec.description,
    ...(headers === undefined ? {} : { headers }),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  }
}

/** Reshapes the document: named schemas and shared problem responses. */
export function shapeDocument(doc: Json): Json {
  const named = new Map<string, Json>()
  const used = new Set<number>()
  const paths = isObject(doc.paths) ? doc.paths : {}
  for (const ops of Object.values(paths)) {
    if (!isObject(ops)) continue
    for (const [method, op] of Object.entries(ops)) {
      if (!isObject(op)) continue
      const responses = isObject(op.responses) ? op.responses : {}
      for (const [status, response] of Object.entries(responses)) {
        const mark = isObject(response) ? PROBLEM_MARK.exec(String(response.description)) : null
        if (mark) {
          used.add(Number(mark[1]))
          responses[status] = { $ref: `#/components/responses/${PROBLEM_STATUSES[Number(mark[1])]?.name}` }
        }
      }
      // @fastify/swagger suffixes the operationId of an exposed HEAD route with `-head`.
      if (method === 'head' && typeof op.operationId === 'string')
        op.operationId = op.operationId.replace(/-head$/, '')
      ops[method] = hoist(op, named)
    }
  }
  const components = isObject(doc.components) ? doc.components : {}
  const schemas = isObject(components.schemas) ? components.schemas : {}
  for (const [name, schema] of named) schemas[name] = schema
  const responses: Json = {}
  for (const status of [...used].sort()) {
    responses[PROBLEM_STATUSES[status]!.name] = problemResponse(status)
  }
  doc.components = { ...components, schemas, responses }
  return doc
}
