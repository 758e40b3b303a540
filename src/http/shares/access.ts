/**
 * Who may use a share link, decided on every request before any file operation: the id's shape,
 * the per-share rate limit, the record (unknown or revoked: 404), its expiry (410), the client's
 * address (403), the password (HTTP Basic with any user name, or the cookie the page's password
 * form sets) and the creator's sealed credentials. What comes out is the creator's identity: every
 * file operation then runs as the creator through the file service, whose mount rules and FTP
 * login decide afresh whether the creator still has access.
 */
import type { FastifyRequest } from 'fastify'
import { parseAuthorization } from '../../auth/basic.js'
import { FileError } from '../../files/errors.js'
import type { FileService, Identity, RelPath } from '../../files/types.js'
import { GatewayError } from '../errors.js'
import { readCookie } from '../session-cookie.js'
import { isShareId, parseAddressRule } from '../share-rules.js'
import { checkSharePassword, type ShareRecord, type ShareStore } from '../share-store.js'

/** Name of the cookie a correct password form sets (scoped to the share's own path). */
export const SHARE_COOKIE = 'ftpgw_share'

/** A share the request may use, and the identity it acts as. */
export interface OpenShare {
  record: ShareRecord
  who: Identity
}

/** What opening a share needs. */
export interface AccessOptions {
  shares: ShareStore
  /** SHARE_RATE_LIMIT: requests per minute per share (0: none). */
  rateLimit: number
}

/** The password a request offers: Basic (any user name) first, else undefined. */
function basicPassword(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  try {
    const parsed = parseAuthorization(header)
    return parsed.scheme === 'basic' ? parsed.password : undefined
  } catch {
    return undefined
  }
}

/**
 * Opens share `id` for this request, or throws the problem that refuses it. `password` false
 * skips the password check (the password form itself must be reachable).
 */
export async function openShare(
  request: FastifyRequest,
  id: string,
  options: AccessOptions,
  check: { password: boolean } = { password: true },
): Promise<OpenShare> {
  const { shares } = options
  // A malformed id never costs a store lookup.
  if (!isShareId(id)) throw new GatewayError('GW_ERR_SHARE_NOT_FOUND', 'There is no share at this address')
  if (!(await shares.withinRate(id, options.rateLimit)))
    throw new GatewayError('GW_ERR_RATE_LIMITED', 'Too many requests for this share; retry in a minute', {
      'retry-after': '60',
    })
  const record = await shares.get(id)
  if (record === undefined)
    throw new GatewayError('GW_ERR_SHARE_NOT_FOUND', 'There is no share at this address')
  if (record.expiresAt <= Date.now()) throw new GatewayError('GW_ERR_SHARE_EXPIRED', 'This share has expired')
  // request.ip follows TRUST_PROXY, like the rest of the app.
  if (!parseAddressRule(record.allowedAddresses).allows(request.ip))
    throw new GatewayError('GW_ERR_SHARE_ADDRESS', 'This share may not be used from your address')
  if (
    check.password &&
    record.passwordHash !== undefined &&
    !(await passwordAccepted(request, record, shares))
  )
    throw new GatewayError('GW_ERR_SHARE_PASSWORD', 'This share needs its password')
  const who = shares.identityOf(record)
  // SESSION_SECRET changed since the share was made: its credentials cannot be opened any more.
  if (who === undefined) throw new GatewayError('GW_ERR_SHARE_NOT_FOUND', 'There is no share at this address')
  return { record, who }
}

async function passwordAccepted(
  request: FastifyRequest,
  record: ShareRecord,
  shares: ShareStore,
): Promise<boolean> {
  if (shares.checkAccessToken(record, readCookie(request.headers.cookie, SHARE_COOKIE))) return true
  const offered = basicPassword(request)
  return offered !== undefined && (await checkPasswordOf(record, offered))
}

/** Checks a password offered for a share (form or Basic); true for a share without one. */
export async function checkPasswordOf(record: ShareRecord, password: string): Promise<boolean> {
  if (record.passwordHash === undefined) return true
  return checkSharePassword(password, record.passwordHash)
}

/** Refuses a share whose uses are all spent (410) without claiming one. */
export async function assertUsesLeft(shares: ShareStore, record: ShareRecord): Promise<void> {
  if ((await shares.usesLeft(record)) === 0)
    throw new GatewayError('GW_ERR_SHARE_USED_UP', 'This share has been used as often as allowed')
}

/**
 * Refuses (404, like a missing file) a path under a folder share that passes through a symbolic
 * link: a link inside the share may point anywhere the creator can read, outside the share too,
 * and the share must never reach outside its path. Each level is looked up in its parent's listing
 * (served from the metadata cache when warm). The share's own path is the creator's choice and is
 * not checked.
 */
export async function assertNoLinks(
  files: FileService,
  who: Identity,
  sharePath: RelPath,
  full: RelPath,
): Promise<void> {
  if (full === sharePath) return
  const rest = (sharePath === '' ? full : full.slice(sharePath.length + 1)).split('/')
  let parent = sharePath
  for (const name of rest) {
    const page = await files.list(who, parent, { q: name, limit: 10_000 })
    const entry = page.entries.find((e) => e.name === name)
    if (entry === undefined || entry.type === 'symlink' || entry.type === 'unknown')
      throw new FileError('FILE_ERR_NOT_FOUND', 'Not found in this share')
    parent = parent === '' ? name : `${parent}/${name}`
  }
}

/**
 * The place the folder-zip route (`GET /s/{id}/zip`, built apart) plugs in: resolves a request
 * for share `id` to the creator's identity and the folder to zip, with every check a download
 * makes (rate, expiry, address, password, uses left). Refuses a drop box or a file share (403).
 * The zip writer then lists and reads as `who` under `path` only, calling `assertNoLinks`-like
 * checks on what it walks (a symlink entry's type is 'symlink': skip it).
 */
export async function resolveShareForZip(
  request: FastifyRequest,
  id: string,
  options: AccessOptions & { files: FileService },
): Promise<{ who: Identity; path: RelPath; record: ShareRecord }> {
  const { record, who } = await openShare(request, id, options)
  if (record.kind !== 'read') throw new GatewayError('GW_ERR_SHARE_KIND', 'A drop box is never read')
  const stat = await options.files.stat(who, record.path)
  if (stat.type !== 'dir') throw new GatewayError('GW_ERR_SHARE_KIND', 'Only a folder share has a zip')
  await assertUsesLeft(options.shares, record)
  return { who, path: record.path, record }
}
