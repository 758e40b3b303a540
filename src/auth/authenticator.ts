/**
 * Wires the authentication pieces to the configuration. Two modes:
 * - passthrough (FTP_URL without credentials): Basic credentials are the FTP login, checked through
 *   files.verifyLogin (which reuses verified pooled sessions, so this is no FTP login per request);
 *   tokens carry the FTP password, encrypted.
 * - service account (FTP_URL with credentials): clients prove themselves against the htpasswd file
 *   and every request runs as the service identity from FTP_URL.
 * Login attempts are reserved against the failed-login limits (per address and user, per address,
 * per user, cluster-wide) before the credentials are tried; see rate-limit.ts, and bans.ts for the
 * bans they grow into.
 * In either mode, with `oidc` configured, a JWT-shaped Bearer value is checked by jwt.ts instead of
 * the token store: the person from its claims, no FTP credentials (service-account upstreams only).
 * A Basic password shaped like an app password goes to app-passwords.ts only (never to the FTP server).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { GatewayConfig } from '../config.js'
import { isFileError } from '../files/errors.js'
import type { FileService, Identity } from '../files/types.js'
import { isStoreError } from '../store/errors.js'
import type { Store } from '../store/store.js'
import { AppPasswords, isAppPasswordShaped } from './app-passwords.js'
import { BanList, bannedError } from './bans.js'
import { checkCredentials, parseAuthorization } from './basic.js'
import { AuthError, isAuthError } from './errors.js'
import { Htpasswd, type HtpasswdOptions } from './htpasswd.js'
import { JwtVerifier, type JwtVerifierOptions, looksLikeJwt } from './jwt.js'
import { OidcSignIn } from './oidc-signin.js'
import { isRefusal, type LoginAttempt, LoginRateLimiter } from './rate-limit.js'
import { RecentLogins } from './recent-logins.js'
import { type ResolvedSession, SessionTokens } from './tokens.js'
import { type Authenticator, identityOf, personIdentity, type SessionApi } from './types.js'

/** The logging the auth layer needs; a pino logger fits. Never given a password. */
export interface AuthLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** What createAuth needs. */
export interface AuthDeps {
  config: GatewayConfig
  store: Store
  files: Pick<FileService, 'verifyLogin'>
  logger?: AuthLogger
  /** Tuning of the htpasswd cache and reload checks (tests shorten them). */
  htpasswd?: HtpasswdOptions
  /** Tuning of the JWKS fetches (tests shorten the cooldown). */
  jwt?: Pick<JwtVerifierOptions, 'cooldownMs' | 'cacheMaxAgeMs' | 'timeoutMs'>
  now?: () => number
}

/** The request authenticator and the session API, sharing one rate limiter and token store. */
export interface Auth {
  authenticator: Authenticator
  sessions: SessionApi
  /** The shared ban list the login limits feed (for the admin API and metrics). */
  bans: BanList
  /** The browser's OpenID sign-in (oidc-signin.ts), when `oidc` is configured. */
  signIn?: OidcSignIn | undefined
  /** App passwords (app-passwords.ts); `create` seals the creator's FTP login in passthrough mode. */
  appPasswords: AppPasswordApi
  /**
   * Runs a login attempt (`attempt` says whether the credentials were right) under the failed-login
   * limits of `user` at `address`: AUTH_ERR_RATE_LIMITED or AUTH_ERR_BANNED before it when they
   * are spent, a wrong one counted (and banned like any failed login). For logins made outside `authenticate` (linking a mapped FTP account).
   */
  guard(user: string, address: string, via: string, attempt: () => Promise<boolean>): Promise<boolean>
}

/** App passwords as the HTTP faces use them. */
export interface AppPasswordApi {
  create: (who: Identity, label: string) => ReturnType<AppPasswords['create']>
  list: AppPasswords['list']
  remove: AppPasswords['remove']
  /** Revokes another person's app password (the admin API). */
  removeFor: AppPasswords['removeFor']
}

// How long a successful login skips the failed-login reservation (recent-logins.ts).
const RECENT_LOGIN_TTL_MS = 60_000
// Log fields get at most this much of a user name: it is client input.
const MAX_LOGGED_USER = 64

/** Builds the authenticator and session API for the configured mode. Throws on a bad htpasswd file. */
export function createAuth(deps: AuthDeps): Auth {
  const { config, store, files, logger } = deps
  const mode = config.serviceAccount ? 'service' : 'passthrough'
  const now = deps.now ?? Date.now
  const bans = new BanList({
    store,
    baseSeconds: config.banBaseSeconds,
    memorySeconds: config.banMemorySeconds,
    maxSeconds: config.banMaxSeconds,
    now,
    ...(logger && { logger }),
  })
  const limiter = new LoginRateLimiter({
    bans,
    store,
    limit: config.loginFailLimit,
    perAddress: config.loginFailLimitPerAddress,
    perUser: config.loginFailLimitPerUser,
    global: config.loginFailLimitGlobal,
    windowMs: config.loginFailWindowMs,
    now,
  })
  const recent = new RecentLogins(RECENT_LOGIN_TTL_MS, now)
  const tokens = new SessionTokens({
    store,
    key: config.sessionKey,
    ttlMs: config.sessionTtlMs,
    mode,
    now,
    // One instance with an in-memory store has no outage to ride out.
    outageCacheMs: store.kind === 'redis' ? config.tokenCacheTtlMs : 0,
    onWarning: (message, err) => logger?.warn({ err: (err as Error)?.message }, message),
  })

  let htpasswd: Htpasswd | undefined
  if (config.serviceAccount) {
    if (config.htpasswdFile) {
      htpasswd = new Htpasswd(config.htpasswdFile, {
        now,
        onReloadError: (err) =>
          logger?.error({ err: err.message }, 'htpasswd reload failed; keeping the previous users'),
        ...deps.htpasswd,
      })
      logger?.info(
        { users: htpasswd.userCount },
        'service-account mode: clients authenticate against htpasswd',
      )
    } else {
      logger?.warn({}, 'service-account mode without GATEWAY_HTPASSWD: no client can authenticate')
    }
  }

  /** The one FTP login of service-account mode, from FTP_URL (read lazily: local mode fills it late). */
  let serviceLogin: Identity | undefined
  const serviceIdentity = (principal: string): Identity => {
    // The first upstream takes linked (mapped) accounts: the person alone, like a JWT's.
    if (config.upstreams[0]?.credentials === 'mapped') return personIdentity(principal, [], 'basic')
    if (serviceLogin === undefined) {
      const url = config.upstreams[0]?.url
      if (url?.user === undefined || url.password === undefined) {
        throw new Error('service-account mode needs FTP_URL with a user name and password')
      }
      serviceLogin = identityOf(url.user, url.password)
    }
    // The key is the service account's whoever the principal is: computed once, not per request.
    return { ...serviceLogin, principal }
  }

  const oidc = config.oidc
  const jwt =
    oidc &&
    new JwtVerifier({
      issuer: oidc.issuer,
      audience: oidc.audience,
      usernameClaim: oidc.usernameClaim,
      groupsClaim: oidc.groupsClaim,
      now,
      ...deps.jwt,
    })
  if (oidc) {
    logger?.info(
      { issuer: oidc.issuer, audience: oidc.audience },
      'Bearer JWTs accepted from the OpenID provider',
    )
    // A JWT reaches only upstreams with a service account: without any, every JWT user sees 403s.
    if (config.upstreams.length > 0 && !config.upstreams.some((u) => u.credentials !== 'passthrough'))
      logger?.warn(
        {},
        'oidc is set but no upstream has a service account (user:pass@ in its URL): JWT users can reach no files',
      )
  }
  /** The identity of a Bearer JWT: the person only; `noFtpLogin` keeps it off passthrough upstreams. */
  const jwtIdentity = async (token: string, address: string): Promise<Identity> => {
    if (!jwt)
      throw new AuthError('AUTH_ERR_INVALID', 'JWTs are not accepted here (no OpenID provider is configured)')
    try {
      const person = await jwt.verify(token)
      return personIdentity(person.principal, person.groups, 'jwt')
    } catch (err) {
      if (isAuthError(err, 'AUTH_ERR_PROVIDER_UNAVAILABLE'))
        logger?.error(
          { address, err: (err.cause as Error | undefined)?.message },
          'OpenID provider unavailable',
        )
      else logger?.debug({ address, reason: (err as Error).message }, 'bearer JWT refused')
      throw err
    }
  }

  const appPasswords = new AppPasswords({ store, sessionKey: config.sessionKey, now })
  /** The identity of a Basic login with an app password (its shape sent it here and nowhere else). */
  const appPasswordLogin = async (user: string, password: string, address: string): Promise<Identity> => {
    const found = await appPasswords.verify(user, password, (check) =>
      guard(user, address, 'app-password', check),
    )
    if (!found) throw refuse(user, address, 'app-password')
    const base = found.ftp
      ? identityOf(found.ftp.user, found.ftp.password, found.principal)
      : mode === 'service'
        ? serviceIdentity(found.principal)
        : personIdentity(found.principal, found.groups, 'app-password')
    return { ...base, groups: found.groups, method: 'app-password' }
  }

  /** See Auth.guard. */
  const guard = async (user: string, address: string, via: string, attempt: () => Promise<boolean>) => {
    const reservation = await reserve(user, address, via)
    let ok: boolean
    try {
      ok = await attempt()
    } catch (err) {
      if (reservation) await limiter.release(reservation).catch(ignoreStoreError)
      throw err
    }
    if (reservation)
      await (ok ? limiter.succeeded(reservation) : limiter.failed(reservation)).catch(ignoreStoreError)
    return ok
  }

  const invalid = () => new AuthError('AUTH_ERR_INVALID', 'invalid user name or password')
  const refuse = (user: string, address: string, via: string): AuthError => {
    logger?.warn({ user: user.slice(0, MAX_LOGGED_USER), address, via }, 'login refused')
    return invalid()
  }

  /** Reserves an attempt (see rate-limit.ts); undefined when the store is down (failing open). */
  const reserve = async (user: string, address: string, via: string): Promise<LoginAttempt | undefined> => {
    let result: Awaited<ReturnType<LoginRateLimiter['reserve']>>
    try {
      result = await limiter.reserve(address, user)
    } catch (err) {
      if (!isStoreError(err)) throw err
      // The store is down: nothing can be counted. Failing open keeps Basic auth working (it needs
      // nothing else from the store, like the pool's budget); the upstream still checks the password.
      logger?.warn({ address, via, err: err.message }, 'login rate limit not enforced: store unavailable')
      return undefined
    }
    if (!isRefusal(result)) return result
    if (result.ban) {
      logger?.warn(
        { user: user.slice(0, MAX_LOGGED_USER), address, via, limit: result.scope, ban: result.ban.id },
        'login banned',
      )
      throw bannedError(result.ban, result.retryAfterSeconds)
    }
    logger?.warn(
      { user: user.slice(0, MAX_LOGGED_USER), address, via, limit: result.scope },
      'login rate-limited',
    )
    throw new AuthError('AUTH_ERR_RATE_LIMITED', 'too many failed logins; try again later', {
      retryAfterSeconds: result.retryAfterSeconds,
    })
  }

  /** Checks a user name and password for the mode; returns the identity requests then run as. */
  const login = async (user: string, password: string, address: string, via: string): Promise<Identity> => {
    // The credentials' keyed hash (identityOf) doubles as the remembered login's key: one HMAC.
    const credentials = identityOf(user, password)
    const known = recent.keyOf(address, credentials)
    const check = recent.has(known)
      ? await limiter.knownMayPass(address, user).catch(() => undefined)
      : undefined
    if (check?.pass) {
      try {
        const identity = await verify(credentials)
        if (check.pairFailures > 0) await limiter.clearPair(address, user).catch(ignoreStoreError)
        return identity
      } catch (err) {
        if (!isAuthError(err, 'AUTH_ERR_INVALID')) throw err
        // No longer the password (changed upstream or in htpasswd): counted the usual way below.
        recent.forget(known)
      }
    }
    const attempt = await reserve(user, address, via)
    let identity: Identity
    try {
      identity = await verify(credentials)
    } catch (err) {
      // A refused login keeps its reservation: that is the counted failure. Anything else (the
      // upstream down) was not the client's doing, so the attempt is given back.
      if (isAuthError(err, 'AUTH_ERR_INVALID')) {
        if (attempt) await limiter.failed(attempt).catch(ignoreStoreError)
        throw refuse(user, address, via)
      }
      if (attempt) await limiter.release(attempt).catch(ignoreStoreError)
      throw err
    }
    // Best effort: a store outage must not turn a good login into a 500.
    if (attempt) await limiter.succeeded(attempt).catch(ignoreStoreError)
    recent.remember(known)
    return identity
  }

  /** The identity for correct credentials; AUTH_ERR_INVALID for wrong ones. */
  const verify = async (credentials: Identity): Promise<Identity> => {
    if (mode === 'service') {
      if (!htpasswd || !(await htpasswd.verify(credentials.user, credentials.password))) throw invalid()
      return serviceIdentity(credentials.user)
    }
    const identity = credentials
    try {
      await files.verifyLogin(identity)
    } catch (err) {
      // Only a refused login is the client's fault; an unreachable upstream must stay a 5xx.
      if (isFileError(err, 'FILE_ERR_UNAUTHORIZED')) throw invalid()
      throw err
    }
    return identity
  }

  /**
   * Service-account tokens are bound to the user's htpasswd entry: a keyed hash of the bcrypt line,
   * which changes when the user is removed or given a new password (a new salt), so either ends the
   * user's tokens on the next use. Undefined when the user is not in the file.
   */
  const bindingOf = (user: string): string | undefined => {
    const entry = htpasswd?.entryOf(user)
    if (entry === undefined) return undefined
    return createHmac('sha256', config.sessionKey).update(`htpasswd\0${user}\0${entry}`, 'utf8').digest('hex')
  }
  const stillBound = (session: ResolvedSession): boolean => {
    const now = bindingOf(session.username)
    const was = session.binding ?? ''
    return (
      now !== undefined && now.length === was.length && timingSafeEqual(Buffer.from(now), Buffer.from(was))
    )
  }

  const authenticator: Authenticator = {
    async authenticate(authorization, clientAddress) {
      if (authorization === undefined || authorization.trim() === '') {
        throw new AuthError('AUTH_ERR_MISSING', 'authentication is required')
      }
      const parsed = parseAuthorization(authorization)
      if (parsed.scheme === 'basic' && isAppPasswordShaped(parsed.password))
        return appPasswordLogin(parsed.user, parsed.password, clientAddress)
      if (parsed.scheme === 'basic')
        return { ...(await login(parsed.user, parsed.password, clientAddress, 'basic')), method: 'basic' }
      // A JWT never falls back to the token store (nor a token to JWT checks): the shape decides.
      if (looksLikeJwt(parsed.token)) return jwtIdentity(parsed.token, clientAddress)
      const session = await tokens.resolve(parsed.token, mode === 'service' ? stillBound : undefined)
      if (!session) {
        logger?.debug({ address: clientAddress }, 'bearer token refused')
        throw new AuthError('AUTH_ERR_INVALID', 'the token is invalid, expired or revoked')
      }
      // An OpenID sign-in session: the person, as a JWT would name them (no FTP login).
      if (session.person) return personIdentity(session.username, session.person.groups, 'oidc')
      if (mode === 'service') return { ...serviceIdentity(session.username), method: 'token' }
      return { ...identityOf(session.username, session.password ?? ''), method: 'token' }
    },
  }

  const sessions: SessionApi = {
    async create(username, password, clientAddress) {
      checkCredentials(username, password)
      await login(username, password, clientAddress, 'session')
      const created = await tokens.create(username, mode === 'passthrough' ? password : bindingOf(username))
      logger?.info({ user: username.slice(0, MAX_LOGGED_USER), address: clientAddress }, 'session created')
      return created
    },
    describe: (token) => tokens.describe(token),
    revoke: (token) => tokens.revoke(token),
  }

  const signIn = oidc && new OidcSignIn({ oidc, tokens, store, logger })
  return {
    authenticator,
    sessions,
    bans,
    signIn,
    appPasswords: {
      create: (who, label) => appPasswords.create(who, label, mode === 'passthrough'),
      list: (principal) => appPasswords.list(principal),
      remove: (who, id) => appPasswords.remove(who, id),
      removeFor: (principal, id) => appPasswords.removeFor(principal, id),
    },
    guard,
  }
}

/** Swallows a StoreError (best-effort bookkeeping); anything else is rethrown. */
function ignoreStoreError(err: unknown): void {
  if (!isStoreError(err)) throw err
}
