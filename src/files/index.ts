/** The file layer: the one set of file operations both HTTP faces use. */

// FTP command timings, for metrics: http/ reads them here rather than from the engine it must not speak to.
export { type FtpCommandEvent, onFtpCommand } from '../ftp/index.js'
export { ContentCache, type ContentCacheOptions } from './content-cache.js'
export { FileError, type FileErrorCode, isFileError } from './errors.js'
export { FtpFileService } from './ftp-file-service.js'
export { INVALIDATION_CHANNEL, MetadataCache } from './metadata-cache.js'
export { MAX_PAGE } from './pages.js'
export { normalizeRelPath } from './paths.js'
export { resolveRange } from './preconditions.js'
export type * from './types.js'
export { Upstream, type UpstreamOptions } from './upstream.js'
