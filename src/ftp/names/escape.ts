/**
 * The reversible escape for bytes a name's encoding cannot decode (docs/names.md). A byte 0x80-0xFF
 * that is not part of a character becomes the private-use code point U+EF00 + byte (U+EF80-U+EFFF,
 * the range MirBSD's OPTU-8 uses for the same purpose); a real character in that range that the
 * server sends is escaped byte by byte too, so every escape in a decoded name stands for exactly
 * one byte and decoding is one-to-one. Lone surrogates (Python's surrogateescape) would do the same
 * job but cannot travel in URLs, JSON from most encoders, or XML.
 */

/** The code point of the escape for byte 0x00: escapes are ESCAPE_BASE + byte, bytes 0x80-0xFF. */
export const ESCAPE_BASE = 0xef00
/** First and last code point of the reserved range. */
export const ESCAPE_FIRST = ESCAPE_BASE + 0x80
export const ESCAPE_LAST = ESCAPE_BASE + 0xff

/** Matches any code point of the reserved range (no `g` flag: `test` keeps no state). */
export const ESCAPE_CHAR = /[\uef80-\uefff]/

/** The escape of one byte (0x80-0xFF). */
export function escapeByte(byte: number): string {
  return String.fromCharCode(ESCAPE_BASE + byte)
}

/** True when the UTF-16 code unit is an escape. */
export function isEscape(unit: number): boolean {
  return unit >= ESCAPE_FIRST && unit <= ESCAPE_LAST
}

/**
 * The number of bytes a name stands for on the server, counting each escape as the one byte it
 * is and everything else as UTF-8. Used for length limits, which are about the server's bytes.
 */
export function escapedByteLength(name: string): number {
  const utf8 = Buffer.byteLength(name)
  if (!ESCAPE_CHAR.test(name)) return utf8
  let escapes = 0
  for (let i = 0; i < name.length; i++) if (isEscape(name.charCodeAt(i))) escapes++
  // An escape is 3 bytes in UTF-8 and stands for 1.
  return utf8 - 2 * escapes
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** True when the text holds an unpaired surrogate: no encoding has bytes for one. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text)
}
