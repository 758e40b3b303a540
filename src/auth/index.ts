/** Authentication: Basic passthrough or htpasswd, API session tokens, failed-login limits. */
export { type Auth, type AuthDeps, type AuthLogger, createAuth } from './authenticator.js'
export {
  BAN_ID_PATTERN,
  type Ban,
  type BanKind,
  BanList,
  type BanListOptions,
  banSeconds,
  isBanId,
} from './bans.js'
export { bearerToken, type Credentials, checkCredentials, parseAuthorization, parseBasic } from './basic.js'
export { AuthError, type AuthErrorCode, isAuthError } from './errors.js'
export { Htpasswd, type HtpasswdOptions, parseHtpasswd } from './htpasswd.js'
export {
  isRefusal,
  type LoginAttempt,
  type LoginLimitScope,
  LoginRateLimiter,
  type LoginRefusal,
} from './rate-limit.js'
export { type AuthMode, SessionTokens } from './tokens.js'
export { type Authenticator, identityOf, type SessionApi } from './types.js'
