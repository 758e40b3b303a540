/**
 * A real OpenID provider for tests: `oidc-provider` (v9) on 127.0.0.1 at a free port, with one
 * confidential client, test users with groups, and a signing key generated here, so that tests can
 * also sign tokens themselves with the provider's own key (expired ones, other audiences) or with a
 * foreign one. Real ID tokens come from an authorization code flow (with PKCE) driven by plain HTTP
 * requests through the provider's development login and consent pages.
 *
 * `rotate()` swaps in a provider with a new key set on the same address (the old key is gone, as
 * after a real rotation); `stop()`/`start()` take the provider off the network and back.
 * `registerRedirects()` adds a gateway's callback and post-logout URIs to the client once the
 * gateway listens (its port is known only then); `signIn()` answers the login and consent pages
 * for any authorization URL (the gateway's own) and returns where the provider sends the browser.
 */
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'
import Provider from 'oidc-provider'

/** A signing key the provider publishes (or a foreign one, for forged tokens). */
export interface TestKey {
  kid: string
  alg: 'RS256'
  privateKey: CryptoKey
  /** The private JWK the provider is configured with. */
  jwk: JWK
}

/** A test user: the account id is the user name. */
export interface TestUser {
  groups?: unknown
}

/** Options of startOidcProvider. */
export interface OidcProviderOptions {
  users: Record<string, TestUser>
  clientId?: string
  clientSecret?: string
  /** Profile and group claims in the UserInfo answer only, not in the ID token (oidc-provider's default). */
  claimsInUserinfoOnly?: boolean
}

/** A running provider. */
export interface TestOidcProvider {
  /** `http://127.0.0.1:PORT` (the `iss` of its tokens). */
  issuer: string
  clientId: string
  clientSecret: string
  /** The key the provider signs with now. */
  readonly key: TestKey
  /** An ID token for `user` from a real sign-in (authorization code flow with PKCE). */
  idToken(user: string): Promise<string>
  /** Signs `payload` as the provider would (its current key), or with `key`; iss/aud/iat/exp filled in unless given. */
  sign(payload: JWTPayload, options?: { key?: TestKey; header?: Record<string, unknown> }): Promise<string>
  /**
   * Answers the provider's pages for `authorizationUrl` as `user` (login, then consent) with the
   * cookies in `jar` (kept: a second sign-in with the same jar rides the provider's session), and
   * returns the first redirect away from the provider (the client's redirect URI with code and state).
   */
  signIn(authorizationUrl: string, user: string, jar?: Map<string, string>): Promise<string>
  /** Allows these redirect and post-logout redirect URIs for the client (beside the helper's own). */
  registerRedirects(redirectUris: string[], postLogoutRedirectUris: string[]): Promise<void>
  /** Requests the provider answered (discovery and JWKS included). */
  readonly requests: string[]
  /** A new key set (new kid) on the same address; the old key is no longer published. */
  rotate(): Promise<void>
  /** Stops listening (the port stays reserved for start()). */
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): Promise<void>
  /** Stops for good. */
  close(): Promise<void>
}

/** A fresh RS256 key with a random kid. */
export async function newTestKey(): Promise<TestKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const kid = randomBytes(8).toString('hex')
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }
  return { kid, alg: 'RS256', privateKey, jwk }
}

const REDIRECT_URI = 'http://127.0.0.1/callback'

/** Starts the provider on 127.0.0.1 (a free port). */
export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const clientId = options.clientId ?? 'ftp-gateway'
  const clientSecret = options.clientSecret ?? randomBytes(16).toString('hex')
  const requests: string[] = []
  let key = await newTestKey()
  let provider: Provider | undefined
  let redirectUris = [REDIRECT_URI]
  let postLogoutRedirectUris: string[] = []
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    if (provider === undefined) {
      res.statusCode = 503
      res.end()
      return
    }
    void provider.callback()(req, res)
  })
  let port = 0
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        port = (server.address() as AddressInfo).port
        resolve()
      })
    })
  await listen()
  const issuer = `http://127.0.0.1:${port}`

  const build = (signing: TestKey) =>
    new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: redirectUris,
          post_logout_redirect_uris: postLogoutRedirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks: { keys: [signing.jwk] },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
      // The ID token carries the scopes' claims (the gateway reads the person from it), unless
      // the test wants them only from UserInfo.
      conformIdTokenClaims: options.claimsInUserinfoOnly === true,
      ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
      findAccount: async (_ctx, id) => {
        const user = options.users[id]
        if (user === undefined) return undefined
        return {
          accountId: id,
          claims: async () => ({
            sub: id,
            preferred_username: id,
            email: `${id}@example.test`,
            ...(user.groups === undefined ? {} : { groups: user.groups }),
          }),
        }
      },
    })
  provider = build(key)

  const sign: TestOidcProvider['sign'] = async (payload, opts = {}) => {
    const k = opts.key ?? key
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({ iss: issuer, aud: clientId, iat: now, exp: now + 600, ...payload })
      .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: 'JWT', ...opts.header })
      .sign(k.privateKey)
  }

  const signIn = async (authorizationUrl: string, user: string, jar = new Map<string, string>()) => {
    const cookieHeader = () => [...jar].map(([n, v]) => `${n}=${v}`).join('; ')
    const remember = (r: Response) => {
      for (const c of r.headers.getSetCookie()) {
        const [pair] = c.split(';')
        const eq = (pair as string).indexOf('=')
        jar.set((pair as string).slice(0, eq), (pair as string).slice(eq + 1))
      }
    }
    const go = async (url: string, body?: Record<string, string>): Promise<Response> => {
      const r = await fetch(new URL(url, issuer), {
        method: body ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          cookie: cookieHeader(),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(body ? { body: new URLSearchParams(body).toString() } : {}),
      })
      remember(r)
      return r
    }
    // Follow redirects by hand, answering the login and consent prompts of the dev interactions.
    let r = await go(authorizationUrl)
    for (let step = 0; step < 12; step++) {
      const location = r.headers.get('location')
      if (r.status >= 300 && r.status < 400 && location !== null) {
        const next = new URL(location, issuer)
        if (next.origin !== new URL(issuer).origin || next.href.startsWith(REDIRECT_URI)) return next.href
        r = await go(next.href)
        continue
      }
      const page = await r.text()
      const uid =
        /\/interaction\/([^/"?]+)/.exec(r.url || page)?.[1] ??
        /action="\/interaction\/([^/"]+)/.exec(page)?.[1]
      if (r.status !== 200 || uid === undefined)
        throw new Error(`unexpected page ${r.status}: ${page.slice(0, 300)}`)
      const prompt = page.includes('name="login"') ? 'login' : 'consent'
      r = await go(
        `/interaction/${uid}`,
        prompt === 'login' ? { prompt, login: user, password: 'x' } : { prompt },
      )
    }
    throw new Error('sign-in did not finish')
  }

  const idToken = async (user: string): Promise<string> => {
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const state = randomBytes(8).toString('hex')
    const auth = new URL('/auth', issuer)
    auth.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile groups',
      state,
      nonce: randomBytes(8).toString('hex'),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString()
    const location = await signIn(auth.toString(), user)
    const params = new URL(location).searchParams
    const code = params.get('code')
    if (code === null || params.get('state') !== state) throw new Error(`sign-in failed: ${location}`)
    const token = await fetch(new URL('/token', issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        client_id: clientId,
        client_secret: clientSecret,
        code_verifier: verifier,
      }).toString(),
    })
    const json = (await token.json()) as { id_token?: string }
    if (json.id_token === undefined) throw new Error(`no id_token: ${JSON.stringify(json)}`)
    return json.id_token
  }

  return {
    issuer,
    clientId,
    clientSecret,
    get key() {
      return key
    },
    idToken,
    signIn,
    sign,
    requests,
    async registerRedirects(redirects, postLogout) {
      redirectUris = [REDIRECT_URI, ...redirects]
      postLogoutRedirectUris = [...postLogout]
      provider = build(key)
    },
    async rotate() {
      key = await newTestKey()
      provider = build(key)
    },
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    start: listen,
    async close() {
      if (server.listening) {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      }
    },
  }
}
