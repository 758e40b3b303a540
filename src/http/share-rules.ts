/**
 * The pure rules of share links (issue 20), decided without I/O so they are unit-tested on their
 * own: the id's shape, where a path asked under a share lands (never outside it), whether a client
 * address may use a share, and when a share expires. The store side is share-store.ts; the public
 * face src/http/shares/ and the API rest/shares.ts both use these.
 */
import { randomBytes } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import { FileError } from '../files/errors.js'
import { childOf, isWithin, normalizeRelPath } from '../files/paths.js'
import type { RelPath } from '../files/types.js'

/** Random bytes in a share id: 144 bits (the issue asks for at least 128). */
export const SHARE_ID_BYTES = 18

// 18 bytes are exactly 24 base64url characters, no padding.
const SHARE_ID_SHAPE = /^[A-Za-z0-9_-]{24}$/

/** A new share id: 144 random bits, base64url. */
export function newShareId(): string {
  return randomBytes(SHARE_ID_BYTES).toString('base64url')
}

/** Whether `id` has the shape of a share id (anything else is 404 without a store lookup). */
export function isShareId(id: string): boolean {
  return SHARE_ID_SHAPE.test(id)
}

/**
 * The path a request under a share names: `sub` (already percent-decoded by paths.ts, or a plain
 * name) joined under the share's folder. It is normalised again (no `.`/`..`, backslash, control
 * characters) and must stay within the share's path; anything else is 400 FILE_ERR_BAD_PATH before
 * any file operation.
 */
export function pathInShare(sharePath: RelPath, sub: string): RelPath {
  const rel = normalizeRelPath(sub)
  const full = rel === '' ? sharePath : childOf(sharePath, rel)
  // Belt and braces: normalisation already refuses `..`, but containment is the rule that matters.
  if (!isWithin(full, sharePath)) throw new FileError('FILE_ERR_BAD_PATH', 'The path leaves the share')
  return full
}

/**
 * One name for a drop box upload: a single path segment (no slash, no `.`/`..`, no control
 * characters, not empty). A drop box never writes into subfolders.
 */
export function dropName(name: string): string {
  const rel = normalizeRelPath(name)
  if (rel === '' || rel.includes('/'))
    throw new FileError('FILE_ERR_BAD_PATH', 'A drop box takes one file name, no folders')
  return rel
}

/** A parsed `allowedAddresses` list: addresses and CIDR blocks, IPv4 and IPv6. */
export interface AddressRule {
  /** The entries as given (shown back by the API). */
  entries: readonly string[]
  /** Whether `address` (request.ip, so TRUST_PROXY is honoured) matches an entry. */
  allows(address: string): boolean
}

/** Parses `allowedAddresses` entries; throws (with the bad entry) on one that is not an address or CIDR. */
export function parseAddressRule(entries: readonly string[]): AddressRule {
  const list = new BlockList()
  for (const entry of entries) {
    const [addr, bits, extra] = entry.trim().split('/')
    const family = isIP(addr ?? '')
    const prefix = bits === undefined ? undefined : Number(bits)
    const max = family === 6 ? 128 : 32
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined && (!/^\d{1,3}$/.test(bits ?? '') || prefix > max))
    )
      throw new FileError('FILE_ERR_BAD_REQUEST', `Not an address or CIDR block: ${entry}`)
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(addr!, type)
    else list.addSubnet(addr!, prefix, type)
  }
  return {
    entries: [...entries],
    allows(address: string): boolean {
      if (entries.length === 0) return true
      // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d: match it as IPv4 too.
      const v4 = address.startsWith('::ffff:') ? address.slice(7) : undefined
      if (v4 !== undefined && isIP(v4) === 4 && list.check(v4, 'ipv4')) return true
      const family = isIP(address)
      return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4')
    },
  }
}

/**
 * When a share made at `nowMs` expires: after `expiresInSeconds` when given, never later than
 * `maxLifetimeMs` after creation (which is also the default).
 */
export function expiryFor(
  nowMs: number,
  expiresInSeconds: number | undefined,
  maxLifetimeMs: number,
): number {
  const asked = expiresInSeconds === undefined ? maxLifetimeMs : expiresInSeconds * 1000
  return nowMs + Math.min(asked, maxLifetimeMs)
}

/** Uses left of a share with `maxUses` after `used` uses (null: unlimited; never below 0). */
export function usesLeft(maxUses: number | undefined, used: number): number | null {
  return maxUses === undefined ? null : Math.max(0, maxUses - used)
}
