/**
 * What the OpenAPI document says about the shared parts of the REST contract: the problem
 * statuses (one shared response component each) and the request headers the routes read. Kept
 * outside the faces so that openapi.ts (shared) and rest/ (a face) can both use it.
 */

/** What each problem status means on this API (the shared response components' descriptions). */
export const PROBLEM_STATUSES: Record<number, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'The request is malformed: a bad path, header, query or body' },
  401: { name: 'Unauthorized', description: 'No credentials, or the file server refused them' },
  403: { name: 'Forbidden', description: 'Not allowed: the file server refused, or a cross-site write' },
  404: { name: 'NotFound', description: 'No such file or folder' },
  409: {
    name: 'Conflict',
    description:
      'Conflicts with what is there: the target exists, a file where a folder is expected (or the reverse; see `reason`), a missing parent folder, a folder that is not empty',
  },
  412: { name: 'PreconditionFailed', description: 'If-Match, If-None-Match or If-Unmodified-Since failed' },
  413: { name: 'ContentTooLarge', description: 'The request body is too large' },
  415: { name: 'UnsupportedMediaType', description: 'The body is not JSON' },
  410: { name: 'Gone', description: 'The resumable upload has expired' },
  416: { name: 'RangeNotSatisfiable', description: 'The range lies outside the file' },
  422: {
    name: 'UnprocessableContent',
    description:
      'The config file is invalid (every problem listed, nothing changed), or the FTP server refused the account given to link (AUTH_ERR_LINK_REFUSED; nothing stored)',
  },
  423: { name: 'Locked', description: 'Another request is writing to this resumable upload' },
  460: { name: 'ChecksumMismatch', description: 'The body does not match Upload-Checksum (tus)' },
  429: { name: 'TooManyRequests', description: 'Too many requests or failed logins from this client' },
  500: { name: 'InternalError', description: 'An error of the gateway itself' },
  501: {
    name: 'NotImplemented',
    description: 'The file server cannot do this (a resumable upload needs APPE or REST)',
  },
  502: { name: 'BadGateway', description: 'The file server failed (a broken data connection, an odd reply)' },
  503: { name: 'ServiceUnavailable', description: 'The file server or the shared store is busy or down' },
  504: { name: 'GatewayTimeout', description: 'The file server did not answer in time' },
  507: { name: 'InsufficientStorage', description: 'No space left on the file server' },
}

/** Response headers problems carry, by status. */
export const PROBLEM_HEADERS: Record<number, Record<string, { description: string; schema: unknown }>> = {
  401: {
    'WWW-Authenticate': {
      description:
        'The Basic challenge; after a refused Bearer token also a Bearer challenge with error="invalid_token"',
      schema: { type: 'string' },
    },
  },
  416: {
    'Content-Range': { description: '`bytes */<size>`: the size of the file', schema: { type: 'string' } },
  },
  429: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
  503: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
}

/** Request headers the routes read, documented once (the handlers parse them: upload-headers.ts, conditional.ts). */
export const REQUEST_HEADERS = {
  Range: {
    description:
      'One byte range, `bytes=<start>-<end>`, `bytes=<start>-` or `bytes=-<suffix>` (206; 416 outside the file)',
    example: 'bytes=0-1023',
  },
  'If-Range': { description: 'An ETag or date: the Range applies only if the file is unchanged' },
  'If-Match': {
    description:
      'GET: ETags (or `*`); PUT: `*` or one strong ETag. Answer or write only if the file still matches, else 412',
    example: '"bc55-19acbd8e6e0"',
  },
  'If-None-Match': {
    description:
      'GET: ETags the client has (304 when one matches). PUT: only `*`, "do not replace an existing file" (412)',
    example: '*',
  },
  'If-Modified-Since': { description: 'An HTTP date: 304 when the file is not newer' },
  'If-Unmodified-Since': { description: 'An HTTP date: 412 when the file is newer' },
  'Content-MD5': {
    description:
      'Base64 MD5 of the body (RFC 1864); the upload is refused (400) and the old file kept when it differs',
    example: 'XUFAKrxLKna5cZ2REBfFkg==',
  },
  'Repr-Digest': {
    description:
      'RFC 9530 digest of the body, `sha-256=:<base64>:` or sha-512 (other algorithms are ignored); checked like Content-MD5, and wins over it',
    example: 'sha-256=:LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=:',
  },
  'X-OC-Mtime': {
    description:
      'Modification time to set on the uploaded file, unix seconds (as ownCloud/Nextcloud clients send)',
    example: '1764493964',
  },
} as const satisfies Record<string, { description: string; example?: string }>

/** A request header name the routes document. */
export type RequestHeaderName = keyof typeof REQUEST_HEADERS
