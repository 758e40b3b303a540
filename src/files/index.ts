/** The file layer: the one set of file operations both HTTP faces use. */
export { ContentCache, type ContentCacheOptions } from './content-cache.js'
export { FileError, type FileErrorCode, isFileError } from './errors.js'
export { FtpFileService } from './ftp-file-service.js'
export {
  compareNames,
  encodeCursor,
  extensionOf,
  MAX_FILTER_LENGTH,
  MAX_PAGE,
  pageOf,
  sortEntries,
} from './listing-order.js'
export { INVALIDATION_CHANNEL, MetadataCache } from './metadata-cache.js'
export { normalizeRelPath } from './paths.js'
export { resolveRange } from './preconditions.js'
export type * from './types.js'
export { Upstream, type UpstreamOptions } from './upstream.js'
