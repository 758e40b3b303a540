/**
 * TypeBox schemas shared by the REST routes: the problem body, file metadata, listings, and the
 * response and header declarations of the OpenAPI contract. Schemas with a `title` become named
 * component schemas (openapi.ts hoists them); problem responses become shared components, one per
 * status, so the document does not repeat the same block for every route.
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
    title: Type.String({
      description: 'What went wrong, in plain words (the same for every problem of this code)',
    }),
    status: Type.Integer({ description: 'The HTTP status' }),
    detail: Type.String({ description: 'What went wrong this time, in plain words' }),
    code: Type.Unsafe<string>({ type: 'string', enum: [...PROBLEM_CODES], description: 'Stable error code' }),
    instance: Type.String({ description: 'Request path' }),
    requestId: Type.String({ description: 'The X-Request-Id of the request, for the logs' }),
    reason: Type.Optional(
      Type.Unsafe<string>({
        type: 'string',
        enum: ['is-directory', 'not-a-directory', 'parent-missing'],
        description:
          'Which conflict a 409 FILE_ERR_CONFLICT is: a folder where a file is expected, a file where a folder is expected, or a missing parent folder',
      }),
    ),
    missing: Type.Optional(
      Type.Unsafe<string>({
        type: 'string',
        enum: ['from', 'to'],
        description: 'Move and copy: the argument that does not exist (`to`: the folder of the target)',
      }),
    ),
    upstreamReply: Type.Optional(
      Type.String({
        description:
          "The FTP server's own reply, for operators (only on 4xx: a 5xx never carries upstream text)",
      }),
    ),
  },
  {
    $id: PROBLEM_SCHEMA_ID,
    description: 'Problem details (RFC 9457)',
    examples: [
      {
        type: 'https://ftp-gateway.dev/problems/file_err_not_found',
        title: 'Not found',
        status: 404,
        detail: 'The source "/reports/q3.pdf" does not exist.',
        code: 'FILE_ERR_NOT_FOUND',
        instance: '/api/v1/move',
        requestId: '5f0c6d1e-8a51-4d0e-9a8b-2f4c1f2b7e10',
        missing: 'from',
        upstreamReply: 'MLST: 550 No such file or directory',
      },
    ],
  },
)

const ProblemRef = Type.Unsafe<unknown>({ $ref: `${PROBLEM_SCHEMA_ID}#` })

/**
 * Response declarations for problem statuses. Each is marked with its status so that openapi.ts
 * can replace it by a reference to the shared response component (`#/components/responses/...`).
 */
export function problems(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {}
  for (const status of statuses) {
    out[status] = {
      description: `x-problem-${status}`,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemRef } },
    }
  }
  return out
}

/** Statuses every authenticated route can answer with. */
export const COMMON_PROBLEMS = [400, 401, 429, 500, 502, 503, 504] as const

/** A header declaration (OpenAPI response header). */
export interface HeaderDoc {
  description: string
  type?: 'string' | 'integer'
}

/** Response headers of the gateway, by name. */
export const RESPONSE_HEADERS = {
  ETag: { description: 'Entity tag of the file (strong, from size and modification time)' },
  'Last-Modified': { description: 'Modification time of the file (HTTP date)' },
  'Content-Range': { description: 'The part sent: `bytes <start>-<end>/<size>`' },
  'Accept-Ranges': { description: '`bytes`' },
  'Content-Disposition': {
    description: '`attachment` with the file name (with `?download=1`, and for active types)',
  },
  Location: { description: 'The URL of the created or replaced resource' },
  'X-Request-Id': { description: 'The request id (also in the logs and in problems)' },
} as const satisfies Record<string, HeaderDoc>

/** A response header map for a response declaration. */
export function headers(...names: Array<keyof typeof RESPONSE_HEADERS>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of names) {
    const h: HeaderDoc = RESPONSE_HEADERS[name]
    out[name] = { type: h.type ?? 'string', description: h.description }
  }
  return out
}

/** A JSON response declaration (content type spelled out for the OpenAPI document). */
export function jsonContent(schema: unknown): { content: Record<string, { schema: unknown }> } {
  return { content: { 'application/json': { schema } } }
}

/** A 201 response with a JSON body and a Location header. */
export function created(description: string, schema: unknown): Record<string, unknown> {
  return { description, headers: headers('Location'), ...jsonContent(schema) }
}

/** A 200 response with a JSON body and a Location header. */
export function ok(description: string, schema: unknown): Record<string, unknown> {
  return { description, headers: headers('Location'), ...jsonContent(schema) }
}

/** A response without a body. */
export function empty(description: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { description, type: 'null', ...extra }
}

/** A streamed body of any media type. */
export const BinaryBody = { content: { '*/*': { schema: { type: 'string', format: 'binary' } } } }

/** A `0/1/true/false` query flag (a string enum: generated clients get a union, not four anyOf). */
export const Flag = Type.Optional(
  Type.Unsafe<'1' | '0' | 'true' | 'false'>({ type: 'string', enum: ['1', '0', 'true', 'false'] }),
)

/** True for `1` / `true`. */
export function flag(value: string | undefined): boolean {
  return value === '1' || value === 'true'
}

/** The kinds of entries a folder holds. */
export const EntryTypeSchema = Type.Unsafe<'file' | 'dir' | 'symlink' | 'unknown'>({
  type: 'string',
  enum: ['file', 'dir', 'symlink', 'unknown'],
  title: 'EntryType',
  description: 'What an entry is',
})

/** The fields every file or directory description carries (stat and listing entries). */
const entryFields = {
  name: Type.String({ description: 'The name (the last path segment)' }),
  type: EntryTypeSchema,
  size: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Bytes; null for folders' }),
  modified: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'Modification time (UTC); null when the server does not say',
  }),
  etag: Type.String({ description: 'Entity tag, as in the ETag header (quoted)' }),
}

/** Metadata of a file or directory as JSON. */
export const StatSchema = Type.Object(
  {
    path: Type.String({ description: "'/' plus the path relative to the gateway root" }),
    ...entryFields,
  },
  {
    title: 'Stat',
    description: 'Metadata of a file or folder',
    examples: [
      {
        path: '/reports/q3.pdf',
        name: 'q3.pdf',
        type: 'file',
        size: 48213,
        modified: '2026-11-30T09:12:44.000Z',
        etag: '"bc55-19acbd8e6e0"',
      },
    ],
  },
)

/** One directory entry. */
export const EntrySchema = Type.Object(entryFields, { title: 'Entry', description: 'One entry of a folder' })

/** A page of a directory listing. */
export const ListSchema = Type.Object(
  {
    path: Type.String({ description: "The folder: '/' plus its path" }),
    entries: Type.Array(EntrySchema),
    next: Type.Union([Type.String(), Type.Null()], {
      description:
        'Cursor of the next page (pass as `?cursor=`; it carries the sort, order and filter); null on the last page',
    }),
    total: Type.Integer({ minimum: 0, description: 'Entries in the whole folder after the filter' }),
    upstream: Type.Optional(
      Type.String({
        description:
          'The FTP server the folder lives on (its name in the configuration), when the gateway fronts several; absent for a folder that only holds mounts',
      }),
    ),
  },
  {
    title: 'Listing',
    description: 'One page of a folder listing',
    examples: [
      {
        path: '/reports',
        entries: [
          {
            name: '2025',
            type: 'dir',
            size: null,
            modified: '2026-01-02T08:00:00.000Z',
            etag: '"d0-19acbd8e6e0"',
          },
          {
            name: 'q3.pdf',
            type: 'file',
            size: 48213,
            modified: '2026-11-30T09:12:44.000Z',
            etag: '"bc55-19acbd8e6e0"',
          },
        ],
        next: null,
        total: 2,
      },
    ],
  },
)

/** Security requirement of the file routes: Basic, a bearer token, or the browse page's cookie. */
export const SECURITY: Array<Record<string, string[]>> = [
  { basicAuth: [] },
  { bearerAuth: [] },
  { sessionCookie: [] },
]

/** No authentication (health, creating a session). */
export const PUBLIC: Array<Record<string, string[]>> = []
