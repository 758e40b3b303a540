/** The file layer: the one set of file operations both HTTP faces use. */
export { FileError, type FileErrorCode, isFileError } from './errors.js'
export { FtpFileService, resolveRange } from './ftp-file-service.js'
export { INVALIDATION_CHANNEL, MetadataCache } from './metadata-cache.js'
export { MAX_PAGE } from './pages.js'
export { normalizeRelPath } from './paths.js'
export type * from './types.js'
export { Upstream, type UpstreamOptions } from './upstream.js'
