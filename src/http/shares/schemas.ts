/**
 * OpenAPI declarations of the public share routes that scripts use (the pages are hidden). The
 * problem responses are written the way rest/schemas.ts writes them (a face may not import
 * another), so openapi.ts turns them into references to the shared response components.
 */
import { PROBLEM_CONTENT_TYPE } from '../problem.js'

function problems(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {}
  for (const status of statuses) {
    out[status] = {
      description: `x-problem-${status}`,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' } } },
    }
  }
  return out
}

const BINARY = { content: { '*/*': { schema: { type: 'string', format: 'binary' } } } }
const IdParams = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }
// The wildcard is documented by openapi.ts (as `path`); the id is kept beside it.
const FileParams = IdParams
// The share password, as HTTP Basic with any user name (or the page's cookie); none for open shares.
const SECURITY = [{}, { sharePassword: [] }]
const REFUSALS = [400, 401, 403, 404, 410, 429, 500, 502, 503, 504]
const DOWNLOAD_RESPONSES = {
  200: { description: 'The file', ...BINARY },
  206: { description: 'Part of the file (one range)', ...BINARY },
  304: { description: 'Not modified', type: 'null' },
  ...problems(...REFUSALS, 412, 416),
}
const TAGS = ['shares']
const DESCRIPTION =
  'Public: no account. A password share takes its password as HTTP Basic (any user name). Each GET that sends bytes uses one of `maxUses`; a use beyond them is 410.'

/** Schemas of the documented public share routes, by route. */
export const PUBLIC_SHARE_SCHEMAS = {
  download: {
    operationId: 'downloadSharedFile',
    summary: 'Download the file a read share points at (Range works)',
    description: DESCRIPTION,
    tags: TAGS,
    security: SECURITY,
    params: IdParams,
    response: DOWNLOAD_RESPONSES,
  },
  headDownload: { hide: true, params: IdParams },
  file: {
    operationId: 'downloadFileInShare',
    summary: 'Download a file inside a shared folder (a folder answers with its HTML page)',
    description: DESCRIPTION,
    tags: TAGS,
    security: SECURITY,
    params: FileParams,
    response: DOWNLOAD_RESPONSES,
  },
  headFile: { hide: true, params: FileParams },
  zip: {
    operationId: 'downloadSharedFolderZip',
    summary: 'Download a shared folder as one zip (streamed; one use)',
    description: `${DESCRIPTION} Files in their folders, stored, UTF-8 names, ZIP64 where needed; symbolic links left out. A file or drop share is 403; over \`ZIP_MAX_BYTES\` 413 before any byte; a file failing mid-way ends the response as an error, never a clean zip missing files.`,
    tags: TAGS,
    security: SECURITY,
    params: IdParams,
    response: {
      200: {
        description: 'The zip',
        content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
      },
      ...problems(...REFUSALS, 413),
    },
  },
  drop: {
    operationId: 'uploadToDropBox',
    summary: 'Upload one file into a drop box (never replaces: an existing name is 412)',
    description: DESCRIPTION,
    tags: TAGS,
    security: SECURITY,
    params: FileParams,
    binaryBody: 'The file content (any media type is taken as bytes)',
    response: { 201: { description: 'Received', type: 'null' }, ...problems(...REFUSALS, 409, 412, 413) },
  },
} as const
