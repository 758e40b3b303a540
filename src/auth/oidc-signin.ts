/**
 * OpenID Connect sign-in for the browser page (issue 18): authorization code with PKCE (S256),
 * state and nonce, through `openid-client`, which checks the answer (state, issuer, audience,
 * nonce, the ID token's signature and times). The person comes from the ID token's claims by the
 * same rules as a Bearer JWT (`personFromClaims`, jwt.ts) and gets an ordinary gateway session
 * token (tokens.ts `createPerson`: principal, groups, the ID token for logout; no FTP secret).
 *
 * A flow's secrets (PKCE verifier, nonce, where to return) stay server-side, in the store under a
 * hash of the state, for FLOW_TTL_MS, and are taken exactly once: a replayed callback finds
 * nothing, on any instance. The browser is bound to its flow by the state itself in a cookie
 * scoped to the callback path (the HTTP side sets it), so an answer started by someone else (login
 * CSRF) does not match.
 *
 * Nothing secret is logged: no code, state, token, verifier or client secret, only the outcome and
 * the provider's error code.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import * as client from 'openid-client'
import type { OidcConfig } from '../config.js'
import type { Store } from '../store/store.js'
import { AuthError, isAuthError } from './errors.js'
import { personFromClaims } from './jwt.js'
import type { SessionTokens } from './tokens.js'

/** How long a started sign-in may take at the provider (its login page, a second factor…). */
export const FLOW_TTL_MS = 10 * 60_000

/** The shape of a state this module makes (openid-client's randomState: 32 bytes, base64url). */
export const STATE_SHAPE = /^[A-Za-z0-9_-]{43}$/

// Callback parameters beyond these sizes are nobody's real answer; refused before any work.
const MAX_PARAM_BYTES = 4096
const MAX_PROVIDER_ERROR = 64

/** Why a callback was refused (the page chooses its words by it). */
export type SignInFailure = 'state' | 'expired' | 'provider' | 'rejected' | 'claims' | 'too-large'

/** A refused callback: AUTH_ERR_SIGNIN_FAILED (400) with the reason. */
export class SignInError extends AuthError {
  readonly reason: SignInFailure
  constructor(reason: SignInFailure, message: string, options: { cause?: unknown } = {}) {
    super('AUTH_ERR_SIGNIN_FAILED', message, options)
    this.reason = reason
  }
}

/** A started sign-in: where to send the browser, and the state to bind it with. */
export interface SignInStart {
  url: string
  state: string
}

/** A finished sign-in: the new session and where the person wanted to go. */
export interface SignInDone {
  token: string
  expiresAt: Date
  principal: string
  returnTo: string
}

/** The logging the sign-in needs (a pino logger fits; authenticator.ts's AuthLogger is one). */
export interface SignInLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** What the sign-in needs. */
export interface OidcSignInOptions {
  oidc: OidcConfig
  tokens: SessionTokens
  store: Store
  logger?: SignInLogger | undefined
  /** Timeout of each request to the provider in seconds (default 10). */
  timeoutSeconds?: number
}

interface Flow {
  /** PKCE code verifier. */
  v: string
  /** Nonce. */
  n: string
  /** Where to return (already checked by the HTTP side). */
  r: string
  /** The redirect URI the authorization request named (the token request must repeat it). */
  u: string
}

/** The browser sign-in against the configured provider. */
export class OidcSignIn {
  readonly #o: OidcSignInOptions
  #config: Promise<client.Configuration> | undefined

  constructor(options: OidcSignInOptions) {
    this.#o = options
  }

  /** The provider's name on the sign-in button: its host (`login.example.com`). */
  get providerName(): string {
    return new URL(this.#o.oidc.issuer).host
  }

  /**
   * Starts a sign-in: a fresh state, nonce and PKCE verifier, the flow kept in the store, and the
   * provider's authorization URL. AUTH_ERR_PROVIDER_UNAVAILABLE when discovery fails.
   */
  async begin(returnTo: string, redirectUri: string): Promise<SignInStart> {
    const config = await this.#configuration()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const verifier = client.randomPKCECodeVerifier()
    const flow: Flow = { v: verifier, n: nonce, r: returnTo, u: redirectUri }
    await this.#o.store.set(flowKey(state), JSON.stringify(flow), { ttlMs: FLOW_TTL_MS })
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.#scopes(config).join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })
    return { url: url.href, state }
  }

  /**
   * Finishes a sign-in from the callback's query and the state the browser's cookie holds: the
   * flow is taken (once), the code exchanged and checked by openid-client, the person read from
   * the ID token, a session made. SignInError (400) for anything the browser or the provider got
   * wrong; AUTH_ERR_PROVIDER_UNAVAILABLE (503) when the provider cannot be reached.
   */
  async finish(
    params: URLSearchParams,
    browserState: string | undefined,
    address: string,
  ): Promise<SignInDone> {
    for (const [name, value] of params) {
      if (Buffer.byteLength(name) + Buffer.byteLength(value) > MAX_PARAM_BYTES)
        throw new SignInError('too-large', 'a parameter of the sign-in answer is too large')
    }
    const state = params.get('state')
    if (state === null || !STATE_SHAPE.test(state))
      throw new SignInError('state', 'the sign-in answer has no valid state')
    if (browserState === undefined || !sameString(state, browserState))
      throw new SignInError('state', 'the sign-in answer does not belong to this browser')
    const flow = await this.#take(state)
    if (flow === undefined) throw new SignInError('expired', 'the sign-in has expired or was already used')
    const providerError = params.get('error')
    if (providerError !== null) {
      const code = providerError.slice(0, MAX_PROVIDER_ERROR).replace(/[^\w.-]/g, '?')
      this.#o.logger?.info({ address, providerError: code }, 'OpenID sign-in refused by the provider')
      throw new SignInError('rejected', `the provider refused the sign-in (${code})`)
    }
    const config = await this.#configuration()
    const current = new URL(flow.u)
    for (const [name, value] of params) current.searchParams.append(name, value)
    let result: Awaited<ReturnType<typeof client.authorizationCodeGrant>>
    try {
      result = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.v,
        expectedState: state,
        expectedNonce: flow.n,
        idTokenExpected: true,
      })
    } catch (err) {
      throw this.#classify(err, address)
    }
    const idClaims = result.claims()
    if (idClaims === undefined) throw new SignInError('provider', 'the provider sent no ID token')
    const claims: Record<string, unknown> = { ...idClaims }
    const { usernameClaim, groupsClaim } = this.#o.oidc
    // Many providers put profile and group claims in the UserInfo answer only (OpenID Connect Core
    // 5.4): asked for what the ID token lacks, for the same subject; the ID token's own claims win.
    if (
      (claims[usernameClaim] === undefined || claims[groupsClaim] === undefined) &&
      config.serverMetadata().userinfo_endpoint !== undefined
    ) {
      try {
        const info = await client.fetchUserInfo(config, result.access_token, idClaims.sub)
        for (const [name, value] of Object.entries(info)) if (!(name in claims)) claims[name] = value
      } catch (err) {
        throw this.#classify(err, address)
      }
    }
    let person: ReturnType<typeof personFromClaims>
    try {
      person = personFromClaims(claims, usernameClaim, groupsClaim)
    } catch (err) {
      this.#o.logger?.warn(
        { address, claim: this.#o.oidc.usernameClaim },
        'OpenID sign-in: the ID token has no usable user name claim',
      )
      throw new SignInError('claims', (err as Error).message)
    }
    const created = await this.#o.tokens.createPerson(person.principal, {
      groups: person.groups,
      idToken: result.id_token,
    })
    this.#o.logger?.info(
      { user: person.principal.slice(0, 64), groups: person.groups.length, address },
      'OpenID sign-in: session created',
    )
    return { ...created, principal: person.principal, returnTo: flow.r }
  }

  /**
   * Ends a session on every instance (the store's revocation) and, when it came from this sign-in
   * and the provider offers RP-initiated logout, gives the provider's end-session URL with the ID
   * token as hint and `postLogoutRedirectUri`. A provider that cannot be reached costs only its
   * own logout: the gateway's session is ended either way.
   */
  async signOut(token: string, postLogoutRedirectUri: string): Promise<{ endSession?: string }> {
    const session = await this.#o.tokens.resolve(token)
    await this.#o.tokens.revoke(token)
    const idToken = session?.person?.idToken
    if (idToken === undefined) return {}
    let config: client.Configuration
    try {
      config = await this.#configuration()
    } catch {
      this.#o.logger?.warn({}, 'OpenID sign-out: provider unreachable; only the gateway session ended')
      return {}
    }
    if (config.serverMetadata().end_session_endpoint === undefined) return {}
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: postLogoutRedirectUri,
    })
    return { endSession: url.href }
  }

  /** Revokes a session `finish` made that never reached the browser (nobody holds it). */
  async abandon(token: string): Promise<void> {
    await this.#o.tokens.revoke(token)
  }

  /** Takes a flow out of the store: only the caller whose delete removed it may use it. */
  async #take(state: string): Promise<Flow | undefined> {
    const key = flowKey(state)
    const raw = await this.#o.store.get(key)
    if (raw === null) return undefined
    if ((await this.#o.store.del(key)) !== 1) return undefined
    try {
      const f = JSON.parse(raw) as Partial<Flow>
      if ([f.v, f.n, f.r, f.u].every((x) => typeof x === 'string')) return f as Flow
    } catch {
      // a record this module did not write: as good as none
    }
    return undefined
  }

  /** The scopes to ask: as configured, but `groups` only where the provider lists it (if it lists any). */
  #scopes(config: client.Configuration): readonly string[] {
    const supported = config.serverMetadata().scopes_supported
    if (!Array.isArray(supported)) return this.#o.oidc.scopes
    return this.#o.oidc.scopes.filter((s) => s !== 'groups' || supported.includes('groups'))
  }

  /** The provider's metadata and the client, after discovery; a failed discovery is retried next time. */
  #configuration(): Promise<client.Configuration> {
    if (this.#config === undefined) {
      const { issuer, clientId, clientSecret } = this.#o.oidc
      const url = new URL(issuer)
      const pending = client.discovery(
        url,
        clientId,
        clientSecret,
        clientSecret === undefined ? client.None() : undefined,
        {
          timeout: this.#o.timeoutSeconds ?? 10,
          // http is allowed by the issuer setting only on loopback (spec.ts issuerSetting).
          ...(url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      this.#config = pending
      pending.catch(() => {
        if (this.#config === pending) this.#config = undefined
      })
    }
    return this.#config.catch((err: unknown) => {
      this.#o.logger?.error({ err: describe(err) }, 'OpenID provider unavailable (discovery)')
      throw unavailable(err)
    })
  }

  /** A failed code exchange as the browser is told it; the log names the kind, never a secret. */
  #classify(err: unknown, address: string): AuthError {
    if (isAuthError(err)) return err
    const log = this.#o.logger
    if (err instanceof client.ResponseBodyError) {
      if (err.status >= 500) {
        log?.error({ address, status: err.status }, 'OpenID provider failed the code exchange')
        return unavailable(err)
      }
      // invalid_grant: a code used twice, expired, or for another client or verifier.
      log?.info(
        { address, providerError: err.error.slice(0, MAX_PROVIDER_ERROR) },
        'OpenID code exchange refused',
      )
      return new SignInError('provider', 'the provider refused the sign-in code')
    }
    if (err instanceof client.AuthorizationResponseError) {
      log?.info({ address, providerError: err.error.slice(0, MAX_PROVIDER_ERROR) }, 'OpenID sign-in refused')
      return new SignInError('rejected', 'the provider refused the sign-in')
    }
    if (isNetworkFailure(err)) {
      log?.error({ address, err: describe(err) }, 'OpenID provider unreachable (code exchange)')
      return unavailable(err)
    }
    // openid-client's own checks (issuer, audience, nonce, signature, times): a forged or stale answer.
    log?.warn({ address, err: describe(err) }, 'OpenID sign-in answer failed its checks')
    return new SignInError('provider', "the provider's answer did not pass the checks")
  }
}

function flowKey(state: string): string {
  return `oidc:flow:${createHash('sha256').update(state, 'utf8').digest('hex')}`
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function unavailable(err: unknown): AuthError {
  return new AuthError(
    'AUTH_ERR_PROVIDER_UNAVAILABLE',
    'the sign-in provider cannot be reached; try again later',
    { cause: err },
  )
}

function isNetworkFailure(err: unknown): boolean {
  if (err instanceof TypeError) return true
  const name = (err as { name?: unknown }).name
  if (name === 'TimeoutError' || name === 'AbortError') return true
  // A provider answering 5xx or HTML: openid-client's "not conform" / "not JSON".
  const code = (err as { code?: unknown }).code
  return code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON'
}

/**
 * An error's kind and message for the log: openid-client's messages name the check that failed
 * and never quote a token or the code (the response bodies it keeps in `cause` are not logged).
 */
function describe(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown; message?: unknown }
  return `${String(e.name ?? 'Error')}${typeof e.code === 'string' ? ` ${e.code}` : ''}: ${String(e.message ?? '')}`.slice(
    0,
    300,
  )
}
