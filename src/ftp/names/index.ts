/** Names in the upstream's encoding, both ways, with the reversible escape (docs/names.md). */
export { type NameCodec, nameCodec } from './codec.js'
export { ESCAPE_BASE, ESCAPE_FIRST, ESCAPE_LAST, escapedByteLength } from './escape.js'
export { LineDecoder } from './line-decoder.js'
