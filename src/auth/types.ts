import { createHmac, randomBytes } from 'node:crypto'
import type { Identity } from '../files/types.js'

export { AuthError, type AuthErrorCode, isAuthError } from './errors.js'

/** Turns an Authorization header into the identity file operations run as. */
export interface Authenticator {
  /**
   * Identity for an Authorization header: Basic passthrough (credentials go to the FTP login),
   * Basic checked against htpasswd in service-account mode, or Bearer token. Throws AuthError when
   * missing or invalid; FileErrors other than a refused login (upstream down) propagate unchanged.
   */
  authenticate(authorization: string | undefined, clientAddress: string): Promise<Identity>
}

/** API session tokens (POST/GET/DELETE /api/v1/sessions). */
export interface SessionApi {
  /** Checks credentials (FTP login through files.verifyLogin in passthrough mode; htpasswd in service-account mode) and returns a new token. */
  create(
    username: string,
    password: string,
    clientAddress: string,
  ): Promise<{ token: string; expiresAt: Date }>
  /** Token metadata without the credentials; undefined when unknown or expired. */
  describe(token: string): Promise<{ username: string; createdAt: Date; expiresAt: Date } | undefined>
  /** Revokes on every instance (the store is shared). Returns whether it existed. */
  revoke(token: string): Promise<boolean>
}

const IDENTITY_KEY = randomBytes(32)

/**
 * The identity for an FTP login. The only place Identity objects are made, so every cache and pool
 * key derived from them agrees. The key hashes user and password together (NUL-separated, which
 * neither may contain) so it identifies the credentials without revealing the password. `principal`
 * (the person, for audit and ownership) defaults to the FTP user; it is not part of the key.
 */
export function identityOf(user: string, password: string, principal: string = user): Identity {
  // Keyed with a per-process secret: a pool key seen in a heap dump or a debug line cannot be
  // brute-forced back to the password. Keys are only compared within one process.
  const digest = createHmac('sha256', IDENTITY_KEY).update(`${user}\0${password}`, 'utf8').digest('hex')
  return { user, password, key: `${user}:${digest}`, principal }
}

/**
 * The identity of a person the OpenID provider vouches for (a Bearer JWT, or a session from the
 * sign-in): no FTP login of their own (`noFtpLogin`), so they reach service-account upstreams only.
 * The key is one no FTP login can have (identityOf's keys are `user:hex`).
 */
export function personIdentity(
  principal: string,
  groups: readonly string[],
  method: NonNullable<Identity['method']>,
): Identity {
  return {
    user: principal,
    password: '',
    key: `${method}\0${principal}`,
    principal,
    groups,
    method,
    noFtpLogin: true,
  }
}
