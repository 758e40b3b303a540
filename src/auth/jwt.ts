/**
 * Bearer JWTs from the configured OpenID provider (issue 18). A token is verified with `jose`
 * against the issuer's published keys (JWKS, found through its discovery document), for the
 * configured issuer and audience, with a small bounded clock skew, and only with asymmetric
 * algorithms: a shared-secret (HS*) token could be forged by anyone who learns or guesses the
 * secret, and `alg: none` is no signature at all. The person comes from the claims; a JWT carries
 * no FTP credentials, so it reaches only upstreams with a service account (namespace/tree-service).
 *
 * Failures are the client's (401) except one: when the provider cannot be reached for keys the
 * gateway does not have, the answer is 503 (fail closed: nothing is accepted unverified).
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose'
import { AuthError } from './errors.js'

/** Signature algorithms accepted: public-key ones only. */
export const JWT_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
])

/** Clock skew allowed on `exp` and `nbf`, in seconds: enough for drifting clocks, too little to matter. */
export const JWT_CLOCK_SKEW_SECONDS = 30

// A principal ends up in logs, lock owners and rule matches: a sane name only.
const MAX_PRINCIPAL_BYTES = 256
const CONTROL = /[\u0000-\u001f\u007f]/
const SEGMENT = /^[A-Za-z0-9_-]*$/

/**
 * Whether a bearer value is a JWT (three base64url parts, the last possibly empty as in an
 * `alg: none` token) rather than one of the gateway's opaque API tokens, which have no dots. Only
 * the shape counts: a JWT-shaped value never falls back to the token store.
 */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.')
  return parts.length === 3 && parts[0] !== '' && parts[1] !== '' && parts.every((p) => SEGMENT.test(p))
}

/** The person a verified token names. */
export interface JwtPerson {
  principal: string
  /** The groups claim when it is an array of strings; otherwise none. */
  groups: readonly string[]
  /** When the token stops being accepted (its `exp`). */
  expiresAt: Date
}

/**
 * The person in verified claims: `usernameClaim` must be a non-empty string without control
 * characters; `groupsClaim` counts only as an array of strings (anything else means no groups,
 * never an error: a provider that sends none must still let the person in to what `*` allows).
 */
export function personFromClaims(payload: JWTPayload, usernameClaim: string, groupsClaim: string): JwtPerson {
  const name = payload[usernameClaim]
  if (
    typeof name !== 'string' ||
    name === '' ||
    CONTROL.test(name) ||
    Buffer.byteLength(name, 'utf8') > MAX_PRINCIPAL_BYTES
  )
    throw invalid(`the token has no usable ${usernameClaim} claim`)
  const raw = payload[groupsClaim]
  const groups =
    Array.isArray(raw) && raw.every((g): g is string => typeof g === 'string' && !CONTROL.test(g))
      ? Object.freeze([...raw])
      : Object.freeze([])
  return { principal: name, groups, expiresAt: new Date((payload.exp ?? 0) * 1000) }
}

/** What the verifier checks tokens against. */
export interface JwtVerifierOptions {
  /** The issuer URL as configured (no trailing slash); `iss` must equal it. */
  issuer: string
  audience: string
  usernameClaim: string
  groupsClaim: string
  /**
   * Least time between two JWKS fetches caused by an unknown `kid` (jose's cooldown; default 30 s):
   * a rotation is picked up on the first token with a new key, a flood of made-up kids costs at most
   * one fetch per cooldown. Tests shorten it.
   */
  cooldownMs?: number
  /** How long the keys are used before being fetched again (default 10 minutes). */
  cacheMaxAgeMs?: number
  /** Timeout of each request to the provider (default 5 s). */
  timeoutMs?: number
  now?: () => number
}

/** The provider's answer is unusable or absent: a 503, never an acceptance. */
class ProviderUnavailable extends Error {}

/** Verifies Bearer JWTs of one issuer. */
export class JwtVerifier {
  readonly #o: JwtVerifierOptions
  #keys: Promise<JWTVerifyGetKey> | undefined

  constructor(options: JwtVerifierOptions) {
    this.#o = options
  }

  /**
   * The person of a valid token. AuthError AUTH_ERR_INVALID (bad signature, unknown key, wrong
   * issuer or audience, refused algorithm, malformed), AUTH_ERR_TOKEN_EXPIRED, or
   * AUTH_ERR_PROVIDER_UNAVAILABLE when the keys cannot be had.
   */
  async verify(token: string): Promise<JwtPerson> {
    let alg: unknown
    try {
      alg = decodeProtectedHeader(token).alg
    } catch {
      throw invalid('the token is not a well-formed JWT')
    }
    // Refused before any key is fetched: a forged token must not make the gateway call the provider.
    if (typeof alg !== 'string' || !JWT_ALGORITHMS.includes(alg))
      throw invalid(`the token's algorithm ${JSON.stringify(String(alg))} is not accepted`)
    const keys = await this.#keySet()
    const getKey: JWTVerifyGetKey = async (header, jws) => {
      try {
        return await keys(header, jws)
      } catch (err) {
        const code = (err as { code?: unknown }).code
        if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err
        throw new ProviderUnavailable((err as Error).message)
      }
    }
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: this.#o.issuer,
        audience: this.#o.audience,
        algorithms: [...JWT_ALGORITHMS],
        clockTolerance: JWT_CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp'],
        ...(this.#o.now ? { currentDate: new Date(this.#o.now()) } : {}),
      })
      return personFromClaims(payload, this.#o.usernameClaim, this.#o.groupsClaim)
    } catch (err) {
      throw classify(err)
    }
  }

  /** The JWKS resolver, after discovery; a failed discovery is retried on the next token. */
  #keySet(): Promise<JWTVerifyGetKey> {
    if (this.#keys === undefined) {
      const pending = this.#discover()
      this.#keys = pending
      pending.catch(() => {
        if (this.#keys === pending) this.#keys = undefined
      })
    }
    return this.#keys.catch((err: unknown) => {
      throw unavailable(err)
    })
  }

  async #discover(): Promise<JWTVerifyGetKey> {
    const url = `${this.#o.issuer}/.well-known/openid-configuration`
    const response = await fetch(url, {
      signal: AbortSignal.timeout(this.#o.timeoutMs ?? 5000),
      redirect: 'error',
      headers: { accept: 'application/json' },
    })
    if (response.status !== 200) throw new ProviderUnavailable(`discovery answered ${response.status}`)
    const doc = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown }
    // OpenID Connect Discovery 1.0, 4.3: the document must name the issuer it was fetched for.
    if (doc.issuer !== this.#o.issuer && doc.issuer !== `${this.#o.issuer}/`)
      throw new ProviderUnavailable('the discovery document names another issuer')
    if (typeof doc.jwks_uri !== 'string')
      throw new ProviderUnavailable('the discovery document has no jwks_uri')
    const jwksUri = new URL(doc.jwks_uri)
    // Keys over plain HTTP only from the issuer's own (loopback) origin, as the issuer itself.
    if (jwksUri.protocol !== 'https:' && jwksUri.origin !== new URL(this.#o.issuer).origin)
      throw new ProviderUnavailable('the jwks_uri is not https')
    return createRemoteJWKSet(jwksUri, {
      cooldownDuration: this.#o.cooldownMs ?? 30_000,
      cacheMaxAge: this.#o.cacheMaxAgeMs ?? 600_000,
      timeoutDuration: this.#o.timeoutMs ?? 5000,
    })
  }
}

function invalid(message: string): AuthError {
  return new AuthError('AUTH_ERR_INVALID', message)
}

function unavailable(err: unknown): AuthError {
  return new AuthError(
    'AUTH_ERR_PROVIDER_UNAVAILABLE',
    'the sign-in provider cannot be reached to check this token; try again later',
    { cause: err },
  )
}

/** A failed verification as the client is told it (messages name the check, never the token). */
function classify(err: unknown): AuthError {
  if (err instanceof AuthError) return err
  if (err instanceof ProviderUnavailable) return unavailable(err)
  const e = err as { code?: unknown; claim?: unknown }
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return new AuthError('AUTH_ERR_TOKEN_EXPIRED', 'the token has expired')
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'iss') return invalid('the token is from another issuer')
      if (e.claim === 'aud') return invalid('the token is for another audience')
      if (e.claim === 'nbf') return invalid('the token is not valid yet')
      return invalid(`the token's ${String(e.claim)} claim is not acceptable`)
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalid("the token is not signed with one of the provider's keys")
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalid("the token's signature does not verify")
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalid("the token's algorithm is not accepted")
    default:
      if (typeof e.code === 'string' && e.code.startsWith('ERR_J')) return invalid('the token is not valid')
      // Not jose's verdict on the token (a bug, or the keys' fetch failing in an unexpected way).
      return unavailable(err)
  }
}
