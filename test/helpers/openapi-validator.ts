/**
 * Checks real responses against openapi/openapi.yaml (the committed contract, not the app's own
 * schemas): the status must be declared for the path and method, the content type must be one the
 * declaration names, and a JSON body must validate against its schema (JSON Schema 2020-12, as
 * OpenAPI 3.1 uses). A response the contract does not describe is a failure, whatever the body.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import { parse } from 'yaml'

const SPEC_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi/openapi.yaml')

interface MediaType {
  schema?: Record<string, unknown>
}
interface ResponseSpec {
  $ref?: string
  content?: Record<string, MediaType>
}
interface Operation {
  responses: Record<string, ResponseSpec>
}
interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>
  components?: Record<string, unknown>
}

/** One real response as seen by the test. */
export interface SeenResponse {
  method: string
  /** Request path as sent (percent-encoded, query allowed). */
  url: string
  status: number
  contentType: string | null
  /** Raw body text ('' when none). */
  body: string
}

// RFC 3339 date-time, enough to catch a Date printed with toString() instead of toISOString().
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

/** Loads the contract once and validates responses against it. */
export class OpenApiValidator {
  readonly doc: OpenApiDoc
  readonly #ajv: Ajv2020
  readonly #compiled = new Map<string, ValidateFunction>()
  readonly #templates: Array<{ template: string; re: RegExp }>

  constructor(file = SPEC_FILE) {
    this.doc = parse(readFileSync(file, 'utf8')) as OpenApiDoc
    // strict off: OpenAPI schemas carry annotations (description, default) next to JSON Schema keywords.
    this.#ajv = new Ajv2020({ strict: false, allErrors: true })
    this.#ajv.addFormat('date-time', DATE_TIME)
    this.#ajv.addFormat('binary', true)
    // Longest templates first so `/api/v1/sessions/current` wins over a wildcard.
    this.#templates = Object.keys(this.doc.paths)
      .sort((a, b) => b.length - a.length)
      .map((template) => ({
        template,
        re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '.+')}$`),
      }))
  }

  /** The contract path template a concrete request path falls under. */
  templateOf(url: string): string | undefined {
    const p = url.split('?')[0]!
    // `/api/v1/dirs/` (an empty wildcard) is the root listing the contract spells `/api/v1/dirs`.
    const forms = p.length > 1 && p.endsWith('/') ? [p, p.slice(0, -1)] : [p]
    for (const form of forms) {
      const hit = this.#templates.find((t) => t.re.test(form))
      if (hit) return hit.template
    }
    return undefined
  }

  /** Problems with `res` (empty when it matches the contract). */
  check(res: SeenResponse): string[] {
    const where = `${res.method} ${res.url} → ${res.status}`
    const template = this.templateOf(res.url)
    if (!template) return [`${where}: no path in the contract matches`]
    const op = this.doc.paths[template]?.[res.method.toLowerCase()]
    if (!op) return [`${where}: ${template} has no ${res.method} in the contract`]
    const declared0 = op.responses[String(res.status)]
    if (!declared0) return [`${where}: status not declared for ${res.method} ${template}`]
    // Shared responses (the problem statuses) are references into components.responses.
    const spec = declared0.$ref
      ? (this.doc.components?.responses as Record<string, ResponseSpec> | undefined)?.[
          declared0.$ref.split('/').pop() ?? ''
        ]
      : declared0
    if (!spec) return [`${where}: ${declared0.$ref} is not in components.responses`]
    const declared = Object.keys(spec.content ?? {})
    const type = res.contentType ? res.contentType.split(';')[0]!.trim().toLowerCase() : undefined
    if (declared.length === 0) {
      return res.body === '' ? [] : [`${where}: the contract declares no body, got ${res.body.length} chars`]
    }
    if (res.method === 'HEAD') return []
    const accepted = (d: string) =>
      d === type || d === '*/*' || (d.endsWith('/*') && type?.startsWith(d.slice(0, -1)))
    if (!type || !declared.some(accepted)) {
      return [`${where}: content type ${type ?? '(none)'} is not one of ${declared.join(', ')}`]
    }
    const schema = spec.content?.[type]?.schema ?? spec.content?.[declared.find(accepted)!]?.schema
    if (!schema || !type.includes('json')) return []
    let body: unknown
    try {
      body = JSON.parse(res.body)
    } catch {
      return [`${where}: body is not JSON: ${res.body.slice(0, 200)}`]
    }
    const validate = this.#validator(`${template} ${res.method} ${res.status} ${type}`, schema)
    if (validate(body)) return []
    return (validate.errors ?? []).map((e) => `${where}: body${e.instancePath} ${e.message}`)
  }

  #validator(key: string, schema: Record<string, unknown>): ValidateFunction {
    let v = this.#compiled.get(key)
    if (!v) {
      // `#/components/...` refs resolve against the root of the compiled schema, so carry them along.
      v = this.#ajv.compile({ ...schema, components: this.doc.components })
      this.#compiled.set(key, v)
    }
    return v
  }
}

/** A response read whole: its text, and its JSON when the body is JSON (else `{}`). */
export interface CheckedAnswer {
  status: number
  text: string
  json: { code?: string; [k: string]: unknown }
  headers: Headers
}

/**
 * Reads `r` (the answer to `method /api/v1{path}`), adds whatever it does not match in the contract
 * to `offContract`, and parses its body as JSON where it is JSON (a file's bytes or no body: `{}`).
 */
export async function readChecked(
  contract: OpenApiValidator,
  offContract: string[],
  method: string,
  url: string,
  r: Response,
): Promise<CheckedAnswer> {
  const text = await r.text()
  offContract.push(
    ...contract.check({
      method,
      url,
      status: r.status,
      contentType: r.headers.get('content-type'),
      body: text,
    }),
  )
  let json: CheckedAnswer['json'] = {}
  try {
    json = JSON.parse(text)
  } catch {
    // a file's bytes, or no body
  }
  return { status: r.status, text, json, headers: r.headers }
}
