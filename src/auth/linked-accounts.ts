/**
 * Mapped FTP accounts (issue 18): on an upstream whose `credentials` is `mapped`, each person uses
 * their own FTP account there, linked once (`PUT /api/v1/me/credentials/{upstream}`) after the FTP
 * server accepted it. The accounts live in the store, one hash per person (`links:<principal>`,
 * a field per upstream), the password sealed with the shared CredentialSeal (AES-256-GCM under a
 * key derived from SESSION_SECRET) with the person, the upstream and the FTP user bound in, so a
 * sealed value moved to another person or upstream does not open. The password is never returned,
 * logged or put in an error.
 *
 * Every authenticated request on a gateway with a mapped upstream reads the person's hash once
 * (`withLinkedAccounts`), so an unlink takes effect on every instance at the next request.
 */
import type { Identity } from '../files/types.js'
import { isStoreError } from '../store/errors.js'
import type { Store } from '../store/store.js'
import { CredentialSeal } from './credential-seal.js'
import { AuthError } from './errors.js'
import { type Authenticator, identityOf } from './types.js'

/** How an upstream is reached: the caller's own login, its service account, or linked accounts. */
export type CredentialsKind = 'passthrough' | 'service' | 'mapped'

/** What LinkedAccounts needs from the layers above (the tree's upstreams). */
export interface LinkTargets {
  /** The upstream's `credentials`, or undefined when there is no upstream of that name. */
  kindOf(upstream: string): CredentialsKind | undefined
  /** Logs in to `upstream` as `who` (FileError FILE_ERR_UNAUTHORIZED when the server refuses). */
  verify(upstream: string, who: Identity): Promise<void>
}

/** A stored link, as JSON: the FTP user and the sealed password. */
interface LinkRecord {
  u: string
  c: string
}

// A user name or password the FTP server takes: no CR, LF or NUL (command injection), bounded.
const MAX_FIELD = 512
const FORBIDDEN = /[\r\n\0]/

/** Whether `s` can be sent in USER or PASS. */
export function isSendable(s: string): boolean {
  return s.length > 0 && s.length <= MAX_FIELD && !FORBIDDEN.test(s)
}

/** The linked FTP accounts of every person, in the store. */
export class LinkedAccounts {
  readonly #store: Store
  readonly #seal: CredentialSeal
  readonly #targets: LinkTargets

  constructor(options: { store: Store; sessionKey: Buffer; targets: LinkTargets }) {
    this.#store = options.store
    this.#seal = new CredentialSeal(options.sessionKey, 'linked-ftp-accounts')
    this.#targets = options.targets
  }

  /**
   * Links `username`/`password` on `upstream` for `principal` once the FTP server accepts them.
   * AUTH_ERR_UNKNOWN_UPSTREAM, AUTH_ERR_NOT_MAPPED, AUTH_ERR_LINK_REFUSED (nothing stored); an
   * unreachable server's FileError propagates (nothing stored either). `guard` wraps the login
   * attempt in the failed-login limits (it returns what the attempt returned).
   */
  async link(
    principal: string,
    upstream: string,
    username: string,
    password: string,
    guard: (attempt: () => Promise<boolean>) => Promise<boolean> = (attempt) => attempt(),
  ): Promise<void> {
    this.#assertMapped(upstream)
    if (!isSendable(username) || !isSendable(password))
      throw new AuthError(
        'AUTH_ERR_BAD_HEADER',
        'the user name and password must be 1-512 characters without CR, LF or NUL',
      )
    const accepted = await guard(async () => {
      try {
        await this.#targets.verify(upstream, identityOf(username, password, principal))
        return true
      } catch (err) {
        if ((err as { code?: unknown }).code === 'FILE_ERR_UNAUTHORIZED') return false
        throw err
      }
    })
    if (!accepted)
      throw new AuthError(
        'AUTH_ERR_LINK_REFUSED',
        `the FTP server of upstream ${upstream} refused that user name and password; nothing was stored`,
      )
    const record: LinkRecord = {
      u: username,
      c: this.#seal.seal(bound(principal, upstream, username), password),
    }
    await this.#store.hset(keyOf(principal), upstream, JSON.stringify(record))
  }

  /** Removes `principal`'s account on `upstream` (unknown or not mapped: the same errors as link). */
  async unlink(principal: string, upstream: string): Promise<void> {
    this.#assertMapped(upstream)
    await this.#store.hdel(keyOf(principal), upstream)
  }

  /**
   * `principal`'s linked accounts by upstream, as FTP identities (only those that open: a record
   * sealed under another SESSION_SECRET, or tampered with, counts as not linked).
   */
  async accountsOf(principal: string): Promise<Map<string, Identity>> {
    const raw = await this.#store.hgetall(keyOf(principal))
    const out = new Map<string, Identity>()
    for (const [upstream, json] of Object.entries(raw)) {
      const record = parseRecord(json)
      if (!record) continue
      const password = this.#seal.open(bound(principal, upstream, record.u), record.c)
      if (password !== undefined) out.set(upstream, identityOf(record.u, password, principal))
    }
    return out
  }

  #assertMapped(upstream: string): void {
    const kind = this.#targets.kindOf(upstream)
    if (kind === undefined)
      throw new AuthError('AUTH_ERR_UNKNOWN_UPSTREAM', `there is no upstream ${upstream}`)
    if (kind !== 'mapped')
      throw new AuthError(
        'AUTH_ERR_NOT_MAPPED',
        `upstream ${upstream} is reached with ${kind} credentials; only a mapped upstream takes a linked account`,
      )
  }
}

/**
 * An authenticator whose identities carry the person's linked accounts (`Identity.linked`) while
 * `enabled()` says some upstream is mapped (one store read per request then, none otherwise).
 * When the store cannot be read, the identity goes on marked `linkedUnavailable`: the other
 * upstreams keep working through a store outage, and mapped ones answer 503 (the tree).
 */
export function withLinkedAccounts(
  inner: Authenticator,
  links: LinkedAccounts,
  enabled: () => boolean,
): Authenticator {
  return {
    async authenticate(authorization, clientAddress) {
      const who = await inner.authenticate(authorization, clientAddress)
      if (!enabled()) return who
      try {
        return { ...who, linked: await links.accountsOf(who.principal) }
      } catch (err) {
        if (!isStoreError(err)) throw err
        return { ...who, linkedUnavailable: true }
      }
    },
  }
}

function keyOf(principal: string): string {
  return `links:${principal}`
}

/** What a sealed password is bound to: the person, the upstream and the FTP user. */
function bound(principal: string, upstream: string, username: string): string {
  return `link\0${principal}\0${upstream}\0${username}`
}

function parseRecord(json: string): LinkRecord | undefined {
  try {
    const v = JSON.parse(json) as Partial<LinkRecord>
    return typeof v.u === 'string' && typeof v.c === 'string' ? { u: v.u, c: v.c } : undefined
  } catch {
    return undefined
  }
}
