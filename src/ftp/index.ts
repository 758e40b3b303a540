/** Public API of the FTP engine: everything above src/ftp imports from here only. */
export { assertSafeArgument } from './command.js'
export { FTP_COMMAND_CHANNEL, type FtpCommandEvent, onFtpCommand } from './diagnostics.js'
export { FtpError, FtpErrorCodes, type FtpErrorKind, isFtpError } from './errors.js'
export type { FtpFeatures } from './features.js'
export type { FileInfo, FileType } from './file-info.js'
export { formatMlsxTime, parseMlsxTime } from './listing/index.js'
export { type ModtimeForm, ModtimeMemory } from './modtime.js'
export {
  ESCAPE_BASE,
  ESCAPE_FIRST,
  ESCAPE_LAST,
  escapedByteLength,
  type NameCodec,
  nameCodec,
} from './names/index.js'
export { type DataMode, defaultSessionOptions, type FtpLogger, type FtpSessionOptions } from './options.js'
export { type ProbeOptions, probeServer } from './probe.js'
export { type DownloadOptions, FtpSession, type RemoteChecksum } from './session.js'
export type { TlsMode } from './tls.js'
export type { StoreOptions, StoreResult } from './transfer.js'
export { type FtpUrl, parseFtpUrl } from './url.js'
