/**
 * Authentication errors. The HTTP layer maps each code to a status (401, 400, 429) and a
 * problem+json body; messages are written for clients and never carry a credential.
 */
export type AuthErrorCode =
  | 'AUTH_ERR_MISSING' // 401: no Authorization header (or not the kind a route needs)
  | 'AUTH_ERR_INVALID' // 401: wrong credentials, unknown/expired/revoked token
  | 'AUTH_ERR_BAD_HEADER' // 400: an Authorization header or credential that cannot be parsed or used
  | 'AUTH_ERR_RATE_LIMITED' // 429 + Retry-After: too many failed logins
  | 'AUTH_ERR_TOKEN_EXPIRED' // 401: a Bearer JWT past its exp (and the allowed skew): get a new one
  | 'AUTH_ERR_PROVIDER_UNAVAILABLE' // 503 + Retry-After: the OpenID provider cannot be reached for keys
  | 'AUTH_ERR_NO_UPSTREAM_ACCOUNT' // 403: the person has no FTP account on that upstream (a JWT on a passthrough one)
  | 'AUTH_ERR_BANNED' // 429 + Retry-After: the address or user name is banned (bans.ts)
  | 'AUTH_ERR_SIGNIN_FAILED' // 400: the OpenID sign-in's answer is unusable (state, replay, provider's refusal, claims)
  | 'AUTH_ERR_NOT_LINKED' // 403: a mapped upstream, and the person has not linked their FTP account there
  | 'AUTH_ERR_LINK_REFUSED' // 422: the FTP server refused the account given to link (nothing stored)
  | 'AUTH_ERR_UNKNOWN_UPSTREAM' // 404: no upstream of that name
  | 'AUTH_ERR_NOT_MAPPED' // 409: the upstream does not take linked accounts (credentials is not `mapped`)
  | 'AUTH_ERR_APP_PASSWORD_NOT_FOUND' // 404: no such app password of yours
  | 'AUTH_ERR_APP_PASSWORD_FORBIDDEN' // 403: app passwords are made with your sign-in, not with an app password
  | 'AUTH_ERR_APP_PASSWORD_LIMIT' // 409: too many app passwords; revoke one first

/** The error the authenticator and the session API throw. */
export class AuthError extends Error {
  override readonly name = 'AuthError'
  readonly code: AuthErrorCode
  /** For AUTH_ERR_RATE_LIMITED: seconds until the failure window ends; AUTH_ERR_BANNED: the ban. */
  readonly retryAfterSeconds?: number

  constructor(
    code: AuthErrorCode,
    message: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds
  }
}

/** True for an AuthError, optionally of one code. */
export function isAuthError(err: unknown, code?: AuthErrorCode): err is AuthError {
  return err instanceof AuthError && (code === undefined || err.code === code)
}
