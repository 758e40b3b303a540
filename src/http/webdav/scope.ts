/**
 * Whose tree a WebDAV request works on. Locks and dead properties belong to the resource as the
 * caller's session sees it: identities that log in to the same upstream with the same FTP account
 * see the same tree (everyone in service-account mode), while with Basic passthrough each FTP
 * user may have a home of their own, where `/` is a different folder. The scope is therefore
 * (upstream id, FTP account); the owner of a lock is the principal (the person authenticated).
 * Both are hashed before they go into store keys or values: no user name is stored in clear.
 */
import { createHash } from 'node:crypto'
import type { Identity } from '../../files/types.js'

/** The scope and owner of one request. */
export interface DavScope {
  /** Store key part of the tree: a hash of (upstream id, FTP account). */
  tree: string
  /** Hash of the principal, the owner recorded on the locks it creates. */
  principal: string
}

/** The view of one upstream `upstreamId` through FTP account `user`. */
export function viewOfAccount(upstreamId: string, user: string): string {
  return `${upstreamId}\0${user}`
}

function digest(kind: string, ...parts: string[]): string {
  // NUL separates parts (no user name or upstream id contains it); the kind keeps hashes apart.
  return createHash('sha256')
    .update([kind, ...parts].join('\0'), 'utf8')
    .digest('hex')
    .slice(0, 32)
}

/**
 * The scope of `who` in the view `view`: which files the caller sees, as the file service names
 * it (each upstream with the FTP account the caller uses there; `viewOfAccount` for one upstream).
 */
export function davScopeOf(view: string, who: Identity): DavScope {
  return {
    tree: digest('dav-tree', view),
    principal: digest('dav-principal', view, who.principal),
  }
}
