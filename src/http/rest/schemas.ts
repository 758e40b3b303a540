/**
 * TypeBox schemas shared by the REST routes: the problem body, file metadata, listings, and the
 * response declarations for problem+json errors and streamed bodies.
 */
import { Type } from 'typebox'
import { PROBLEM_CODES } from '../errors.js'
import { PROBLEM_CONTENT_TYPE } from '../problem.js'

/** $id of the shared problem schema (added with `addSchema`; a component in OpenAPI). */
export const PROBLEM_SCHEMA_ID = 'Problem'

/** RFC 9457 problem details as the gateway sends them. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'https://ftp-gateway.dev/problems/<code in lower case>' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Unsafe<string>({ type: 'string', enum: [...PROBLEM_CODES], description: 'Stable error code' }),
    instance: Type.String({ description: 'Request path' }),
    requestId: Type.String(),
  },
  { $id: PROBLEM_SCHEMA_ID, description: 'Problem details (RFC 9457)' },
)

const ProblemRef = Type.Unsafe<unknown>({ $ref: `${PROBLEM_SCHEMA_ID}#` })

/** Response declarations for problem statuses (documentation; bodies are written by problem.ts). */
export function problems(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {}
  for (const status of statuses) {
    out[status] = { description: 'Problem', content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemRef } } }
  }
  return out
}

/** Statuses every authenticated route can answer with. */
export const COMMON_PROBLEMS = [400, 401, 429, 500, 502, 503, 504] as const

/** A streamed body of any media type. */
export const BinaryBody = { content: { '*/*': { schema: { type: 'string', format: 'binary' } } } }

/** A `0/1/true/false` query flag. */
export const Flag = Type.Optional(
  Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')]),
)

/** True for `1` / `true`. */
export function flag(value: string | undefined): boolean {
  return value === '1' || value === 'true'
}

/** The fields every file or directory description carries (stat and listing entries). */
const entryFields = {
  name: Type.String(),
  type: Type.Union([
    Type.Literal('file'),
    Type.Literal('dir'),
    Type.Literal('symlink'),
    Type.Literal('unknown'),
  ]),
  size: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  modified: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  etag: Type.String(),
}

/** Metadata of a file or directory as JSON. */
export const StatSchema = Type.Object({
  path: Type.String({ description: "'/' plus the path relative to the gateway root" }),
  ...entryFields,
})

/** One directory entry. */
export const EntrySchema = Type.Object(entryFields)

/** A page of a directory listing. */
export const ListSchema = Type.Object({
  path: Type.String(),
  entries: Type.Array(EntrySchema),
  next: Type.Union([Type.String(), Type.Null()], {
    description: 'Cursor of the next page (it carries the sort, order and filter); null on the last page',
  }),
  total: Type.Integer({ minimum: 0, description: 'Entries in the whole folder after the filter' }),
})

/** Security requirement of authenticated routes. */
export const SECURITY: Array<Record<string, string[]>> = [{ basicAuth: [] }, { bearerAuth: [] }]
