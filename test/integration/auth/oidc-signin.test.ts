/**
 * The browser's OpenID sign-in without a browser (issue 18): a real oidc-provider on 127.0.0.1, a
 * real vsftpd, and two in-process gateways sharing one Redis prefix (one cluster) configured by a
 * GATEWAY_CONFIG file: `/team` for group:staff and `/ops` for group:ops on a service-account
 * upstream, `/direct` on a passthrough one. The provider's login and consent pages are answered
 * with plain HTTP (test/helpers/oidc-provider.ts `signIn`).
 *
 * - the flow: PKCE S256, state and nonce; the callback makes an `oidc` session for the person,
 *   whose groups decide the mounts; another instance honours it; sign-out revokes it everywhere
 *   and hands the browser to the provider's end-session endpoint;
 * - every bad input is a 4xx page and the gateway goes on serving: missing or mismatched state,
 *   replayed callback, provider error, oversized parameters, tampered or forged cookies, open
 *   redirects in `return`, a cross-site sign-out; a provider that is down is 503;
 * - nothing secret reaches the log (client secret, codes, states, tokens, session cookies).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { type GatewayHandle, startGatewayWith, testGatewayEnv, testKeyPrefix } from '../../helpers/gateway.js'
import { type CapturedLogs, captureLogs } from '../../helpers/log-capture.js'
import { teamEstateYaml, writeOwned } from '../../helpers/oidc-estate.js'
import { startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js'
import { startVsftpd, type VsftpdHandle } from '../../helpers/servers/index.js'

let server: VsftpdHandle
let idp: TestOidcProvider
let gw: GatewayHandle
let gw2: GatewayHandle
let dir: string
let logs: CapturedLogs
/** Every secret the tests saw: none may appear in the log. */
const secrets = new Set<string>()

/** The value a Set-Cookie list gives `name`, or undefined. */
function cookieFrom(r: Response, name: string): string | undefined {
  for (const c of r.headers.getSetCookie()) {
    const [pair] = c.split(';')
    if (pair?.startsWith(`${name}=`)) return pair.slice(name.length + 1)
  }
  return undefined
}

function setCookieLine(r: Response, name: string): string | undefined {
  return r.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))
}

interface Started {
  providerUrl: URL
  state: string
}

/** `GET /auth/login?return=…`: the provider URL and the state cookie. */
async function start(base: string, ret?: string): Promise<Started> {
  const q = ret === undefined ? '' : `?return=${encodeURIComponent(ret)}`
  const r = await fetch(`${base}/auth/login${q}`, { redirect: 'manual' })
  expect(r.status).toBe(303)
  const state = cookieFrom(r, 'ftpgw_oidc_state')
  expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/)
  secrets.add(state as string)
  return { providerUrl: new URL(r.headers.get('location') as string), state: state as string }
}

/** Signs in at the provider for a started flow: the callback URL the provider sends back. */
async function atProvider(s: Started, user: string, jar = new Map<string, string>()): Promise<string> {
  const callback = await idp.signIn(s.providerUrl.href, user, jar)
  const code = new URL(callback).searchParams.get('code')
  if (code !== null) secrets.add(code)
  for (const v of jar.values()) if (v.length >= 16) secrets.add(v)
  return callback
}

async function callback(url: string, state: string | undefined) {
  const r = await fetch(url, {
    redirect: 'manual',
    headers: state === undefined ? {} : { cookie: `ftpgw_oidc_state=${state}` },
  })
  const body = await r.text()
  const session = cookieFrom(r, 'ftpgw_session')
  if (session) secrets.add(session)
  return { status: r.status, body, session, response: r }
}

/** The whole sign-in for `user`: the session cookie's value and the page's next address. */
async function signIn(user: string, ret = '/browse/', jar = new Map<string, string>(), base = gw.url) {
  const s = await start(base, ret)
  const cb = await callback(await atProvider(s, user, jar), s.state)
  expect(cb.status).toBe(200)
  const next = /content="0;url=([^"]*)"/.exec(cb.body)?.[1]?.replaceAll('&amp;', '&')
  return { session: cb.session as string, next, body: cb.body }
}

async function me(base: string, session: string) {
  const r = await fetch(`${base}/api/v1/me`, { headers: { cookie: `ftpgw_session=${session}` } })
  return { status: r.status, json: (await r.json()) as Record<string, unknown> }
}

/** The gateway still serves: a fresh sign-in works end to end. */
async function stillServing(): Promise<void> {
  const { session } = await signIn('alice')
  expect((await me(gw.url, session)).status).toBe(200)
}

beforeAll(async () => {
  server = await startVsftpd()
  await writeOwned(server, 'team/hello.txt', 'hello team')
  await writeOwned(server, 'ops/runbook.txt', 'ops only')
  idp = await startOidcProvider({ users: { alice: { groups: ['staff'] }, bob: { groups: ['ops'] } } })
  secrets.add(idp.clientSecret)
  dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-oidc-signin-'))
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, teamEstateYaml(server, idp, 'direct'))
  logs = captureLogs('debug')
  // Two instances of one cluster: one Redis prefix, one session secret.
  const prefix = testKeyPrefix('oidc-signin')
  gw = await startGatewayWith(
    loadConfig(testGatewayEnv({ GATEWAY_CONFIG: file, REDIS_KEY_PREFIX: prefix })),
    {
      logger: logs.logger,
    },
  )
  gw2 = await startGatewayWith(
    loadConfig(testGatewayEnv({ GATEWAY_CONFIG: file, REDIS_KEY_PREFIX: prefix })),
    {
      logger: logs.logger,
    },
  )
  await idp.registerRedirects(
    [`${gw.url}/auth/callback`, `${gw2.url}/auth/callback`],
    [`${gw.url}/_browse/login`, `${gw2.url}/_browse/login`],
  )
}, 60_000)

afterAll(async () => {
  await gw2?.close()
  await gw?.close()
  await idp?.close()
  await server?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('sign-in', () => {
  it('the sign-in page offers the provider beside the password form (a passthrough upstream)', async () => {
    const r = await fetch(`${gw.url}/_browse/login?next=${encodeURIComponent('/browse/team/')}`)
    const page = await r.text()
    expect(page).toContain(`Sign in with ${new URL(idp.issuer).host}`)
    expect(page).toContain('href="/auth/login?return=%2Fbrowse%2Fteam%2F"')
    expect(page).toContain('name="password"')
  })

  it('authorization code + PKCE S256 with state and nonce; the state cookie is scoped to the callback', async () => {
    const r = await fetch(`${gw.url}/auth/login?return=/browse/team/`, { redirect: 'manual' })
    expect(r.status).toBe(303)
    const to = new URL(r.headers.get('location') as string)
    expect(to.origin).toBe(idp.issuer)
    const q = to.searchParams
    expect(q.get('response_type')).toBe('code')
    expect(q.get('client_id')).toBe(idp.clientId)
    expect(q.get('redirect_uri')).toBe(`${gw.url}/auth/callback`)
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(q.get('scope')?.split(' ')).toEqual(['openid', 'profile', 'email', 'groups'])
    const line = setCookieLine(r, 'ftpgw_oidc_state') as string
    expect(line).toContain(`ftpgw_oidc_state=${q.get('state')}`)
    expect(line).toMatch(/Path=\/auth\/callback/)
    expect(line).toMatch(/HttpOnly/)
    expect(line).toMatch(/SameSite=Lax/)
    secrets.add(q.get('state') as string)
  })

  it('the callback makes an oidc session for the person; groups decide the mounts; passthrough is 403', async () => {
    const mark = logs.records.length
    const { session, next } = await signIn('alice', '/browse/team/')
    expect(next).toBe('/browse/team/')
    expect((await me(gw.url, session)).json).toEqual({
      username: 'alice',
      groups: ['staff'],
      method: 'oidc',
      upstreams: [
        { name: 'vs', credentials: 'service', linked: true },
        { name: 'direct', credentials: 'passthrough', linked: false },
      ],
    })
    const cookie = { cookie: `ftpgw_session=${session}` }
    const page = await fetch(`${gw.url}/browse/team/`, { headers: cookie }).then((r) => r.text())
    expect(page).toContain('hello.txt')
    expect(page).toContain('Signed in as <strong>alice</strong>')
    const root = await fetch(`${gw.url}/browse/`, { headers: cookie }).then((r) => r.text())
    expect(root).toContain('href="/browse/team/"')
    expect(root).not.toContain('/browse/ops/')
    expect((await fetch(`${gw.url}/api/v1/files/ops/runbook.txt`, { headers: cookie })).status).toBe(404)
    const direct = await fetch(`${gw.url}/api/v1/dirs/direct/`, { headers: cookie })
    expect(direct.status).toBe(403)
    expect(((await direct.json()) as { code: string }).code).toBe('AUTH_ERR_NO_UPSTREAM_ACCOUNT')
    // A write lands, audited as the person signed in through the provider.
    const put = await fetch(`${gw.url}/api/v1/files/team/by-alice.txt`, {
      method: 'PUT',
      headers: { ...cookie, 'x-requested-with': 'ftp-gateway' },
      body: 'from the sign-in',
    })
    expect(put.status).toBe(201)
    expect(logs.since(mark).find((r) => r.audit === true && r.action === 'upload')).toMatchObject({
      user: 'alice',
      groups: ['staff'],
      method: 'oidc',
    })
    // The session cookie: HttpOnly, SameSite=Strict, for the whole gateway.
    const bob = await signIn('bob', '/browse/ops/')
    expect((await me(gw.url, bob.session)).json).toMatchObject({ username: 'bob', groups: ['ops'] })
    const runbook = await fetch(`${gw.url}/api/v1/files/ops/runbook.txt`, {
      headers: { cookie: `ftpgw_session=${bob.session}` },
    })
    expect(await runbook.text()).toBe('ops only')
  })

  it('the session holds on the other instance, as a cookie and as a bearer token', async () => {
    const { session } = await signIn('alice')
    expect((await me(gw2.url, session)).json).toMatchObject({ username: 'alice', method: 'oidc' })
    const bearer = await fetch(`${gw2.url}/api/v1/me`, { headers: { authorization: `Bearer ${session}` } })
    expect(((await bearer.json()) as { method: string }).method).toBe('oidc')
  })
})

describe('open redirects in `return` fall back to /browse/', () => {
  const forms = [
    'https://evil.example/',
    '//evil.example/',
    '/\\evil.example/',
    '\\\\evil.example/',
    'javascript:alert(1)',
    '/browse/../../evil',
    '/%2F%2Fevil.example/',
    'http:/evil.example',
    ' //evil.example',
    '/browse/%0d%0aSet-Cookie:x=y',
  ]
  it.each(forms)('%s', async (ret) => {
    const { next } = await signIn('alice', ret)
    expect(next).toBe('/browse/')
  })

  it('a path under /browse/ is kept, with its query', async () => {
    const { next } = await signIn('alice', '/browse/team/?sort=size&order=desc')
    expect(next).toBe('/browse/team/?sort=size&order=desc')
  })
})

describe('bad callbacks: a 4xx page, and the gateway goes on serving', () => {
  it("missing state, no state cookie, another flow's state", async () => {
    const a = await start(gw.url)
    const url = await atProvider(a, 'alice')
    const noState = new URL(url)
    noState.searchParams.delete('state')
    const cases: Array<[string, string, string | undefined]> = [
      ['missing state', noState.href, a.state],
      ['no state cookie', url, undefined],
      ['another flow in this browser', url, (await start(gw.url)).state],
      ['a state the gateway never made', url, 'x'.repeat(43)],
    ]
    for (const [name, u, cookie] of cases) {
      const r = await callback(u, cookie)
      expect([name, r.status]).toEqual([name, 400])
      expect(r.session, name).toBeUndefined()
      expect(r.body, name).toContain('This sign-in cannot be finished')
      expect(r.body, name).not.toMatch(/at .*\.ts:\d+|Error:|FTP/)
    }
    // The flow itself was never consumed by those: its real answer still signs in once.
    const ok = await callback(url, a.state)
    expect(ok.status).toBe(200)
    await stillServing()
  })

  it('a replayed callback (same code and state) is refused, here and on the other instance', async () => {
    const s = await start(gw.url)
    const url = await atProvider(s, 'alice')
    expect((await callback(url, s.state)).status).toBe(200)
    const again = await callback(url, s.state)
    expect(again.status).toBe(400)
    expect(again.session).toBeUndefined()
    expect(again.body).toContain('This sign-in has expired')
    const other = await callback(url.replace(gw.url, gw2.url), s.state)
    expect(other.status).toBe(400)
    await stillServing()
  })

  it("the provider's error (access_denied) is a 400 page naming no FTP", async () => {
    const s = await start(gw.url)
    const r = await callback(
      `${gw.url}/auth/callback?error=access_denied&error_description=nope&state=${s.state}`,
      s.state,
    )
    expect(r.status).toBe(400)
    expect(r.body).toContain('The sign-in was not completed')
    expect(r.body).not.toMatch(/FTP|stack|Error:/)
    await stillServing()
  })

  it('a forged code with a real state: the provider refuses the exchange, 400', async () => {
    const s = await start(gw.url)
    const r = await callback(
      `${gw.url}/auth/callback?code=forged-code-xyz&state=${s.state}&iss=${encodeURIComponent(idp.issuer)}`,
      s.state,
    )
    expect(r.status).toBe(400)
    expect(r.body).toContain('The sign-in was not accepted')
  })

  it('oversized parameters: 400 (return, state, code) or 431 (the whole request line)', async () => {
    const long = `/browse/${'a'.repeat(5000)}`
    const r1 = await fetch(`${gw.url}/auth/login?return=${long}`, { redirect: 'manual' })
    expect(r1.status).toBe(400)
    expect(await r1.text()).toContain('The address to return to is too long')
    const s = await start(gw.url)
    const r2 = await callback(`${gw.url}/auth/callback?code=${'c'.repeat(6000)}&state=${s.state}`, s.state)
    expect(r2.status).toBe(400)
    const r3 = await callback(`${gw.url}/auth/callback?code=x&state=${'s'.repeat(6000)}`, s.state)
    expect(r3.status).toBe(400)
    const r4 = await fetch(`${gw.url}/auth/callback?code=${'c'.repeat(70_000)}`)
    expect(r4.status).toBe(431)
    await stillServing()
  })

  it('the provider down during the code exchange: a 503 page with Retry-After', async () => {
    const s = await start(gw.url)
    const url = await atProvider(s, 'alice')
    await idp.stop()
    try {
      const r = await callback(url, s.state)
      expect(r.status).toBe(503)
      expect(r.response.headers.get('retry-after')).not.toBeNull()
      expect(r.body).toContain('The sign-in service is not answering')
    } finally {
      await idp.start()
    }
    await stillServing()
  })
})

describe('claims only in UserInfo', () => {
  it('the person and groups come from UserInfo when the ID token lacks them', async () => {
    const bare = await startOidcProvider({
      users: { alice: { groups: ['staff'] } },
      claimsInUserinfoOnly: true,
    })
    secrets.add(bare.clientSecret)
    const file = path.join(dir, 'userinfo.yaml')
    await writeFile(file, teamEstateYaml(server, bare, 'direct'))
    const other = await startGatewayWith(loadConfig(testGatewayEnv({ GATEWAY_CONFIG: file })), {
      logger: logs.logger,
    })
    try {
      await bare.registerRedirects([`${other.url}/auth/callback`], [])
      const s = await start(other.url, '/browse/team/')
      const cb = await callback(await bare.signIn(s.providerUrl.href, 'alice'), s.state)
      expect(cb.status).toBe(200)
      expect((await me(other.url, cb.session as string)).json).toMatchObject({
        username: 'alice',
        groups: ['staff'],
        method: 'oidc',
      })
      expect(bare.requests.some((r) => r.startsWith('GET /me'))).toBe(true)
    } finally {
      await other.close()
      await bare.close()
    }
  })
})

describe('a provider that cannot be reached at the start', () => {
  it('a gateway that never discovered the provider: 503 page with Retry-After, then the sign-in works', async () => {
    const cold = await startGatewayWith(
      loadConfig(testGatewayEnv({ GATEWAY_CONFIG: path.join(dir, 'gateway.yaml') })),
      { logger: logs.logger },
    )
    try {
      await idp.stop()
      try {
        const r = await fetch(`${cold.url}/auth/login?return=/browse/team/`, { redirect: 'manual' })
        expect(r.status).toBe(503)
        expect(r.headers.get('retry-after')).not.toBeNull()
        expect(r.headers.get('set-cookie')).toBeNull()
        const page = await r.text()
        expect(page).toContain('The sign-in service is not answering')
        expect(page).not.toMatch(/Error:|ECONNREFUSED|FTP/)
      } finally {
        await idp.start()
      }
      const again = await fetch(`${cold.url}/auth/login?return=/browse/team/`, { redirect: 'manual' })
      expect(again.status).toBe(303)
      expect(new URL(again.headers.get('location') as string).origin).toBe(idp.issuer)
    } finally {
      await cold.close()
    }
  })
})

describe('cookies that are not sessions', () => {
  it('tampered, forged and random session cookies are refused everywhere', async () => {
    const { session } = await signIn('alice')
    const flip = (s: string, i: number) => `${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`
    const forged = [
      flip(session, 0),
      flip(session, 42),
      session.slice(0, 42),
      `${session}A`,
      'A'.repeat(43),
      // A JWT where a session belongs: never taken as one (the cookie carries opaque tokens only).
      await idp.sign({ preferred_username: 'alice', groups: ['staff'] }),
    ]
    for (const value of forged) {
      expect((await me(gw.url, value)).status).toBe(401)
      const page = await fetch(`${gw.url}/browse/team/`, {
        redirect: 'manual',
        headers: { cookie: `ftpgw_session=${value}` },
      })
      expect(page.status).toBe(303)
      expect(page.headers.get('location')).toMatch(/^\/_browse\/login/)
      const dav = await fetch(`${gw.url}/dav/team/hello.txt`, {
        headers: { cookie: `ftpgw_session=${value}` },
      })
      expect(dav.status).toBe(401)
    }
    expect((await me(gw.url, session)).status).toBe(200)
  })
})

describe('sign-out', () => {
  it('a cross-site sign-out is refused (403) and the session lives on', async () => {
    const { session } = await signIn('alice')
    for (const headers of [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ]) {
      const r = await fetch(`${gw.url}/_browse/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: `ftpgw_session=${session}`, ...headers },
      })
      expect(r.status).toBe(403)
    }
    expect((await me(gw.url, session)).status).toBe(200)
  })

  it('ends the session on every instance and hands over to the provider with id_token_hint', async () => {
    const { session } = await signIn('alice')
    expect((await me(gw2.url, session)).status).toBe(200)
    const r = await fetch(`${gw.url}/_browse/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `ftpgw_session=${session}`, origin: gw.url },
    })
    expect(r.status).toBe(200)
    expect(setCookieLine(r, 'ftpgw_session')).toMatch(/Max-Age=0/)
    const page = await r.text()
    const to = new URL((/content="0;url=([^"]*)"/.exec(page)?.[1] ?? '').replaceAll('&amp;', '&'))
    expect(`${to.origin}${to.pathname}`).toBe(`${idp.issuer}/session/end`)
    expect(to.searchParams.get('post_logout_redirect_uri')).toBe(`${gw.url}/_browse/login`)
    const hint = to.searchParams.get('id_token_hint') as string
    secrets.add(hint)
    expect(JSON.parse(Buffer.from(hint.split('.')[1] as string, 'base64url').toString())).toMatchObject({
      preferred_username: 'alice',
      aud: idp.clientId,
    })
    // Dead on both instances, as cookie and as bearer token, on every face.
    for (const base of [gw.url, gw2.url]) {
      expect((await me(base, session)).status).toBe(401)
      const bearer = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${session}` } })
      expect(bearer.status).toBe(401)
      const dav = await fetch(`${base}/dav/team/`, {
        method: 'PROPFIND',
        headers: { cookie: `ftpgw_session=${session}`, depth: '1' },
      })
      expect(dav.status).toBe(401)
    }
  })
})

describe('the log', () => {
  it('holds no client secret, code, state, token or session cookie', () => {
    const text = logs.records.map((r) => JSON.stringify(r)).join('\n')
    expect(logs.records.some((r) => r.msg === 'OpenID sign-in: session created')).toBe(true)
    const found = [...secrets].filter((s) => s.length >= 8 && text.includes(s))
    const lines = logs.records.map((r) => JSON.stringify(r)).filter((l) => found.some((s) => l.includes(s)))
    expect(lines.slice(0, 5)).toEqual([])
    // The callbacks were logged, with their code and state masked.
    expect(text).toContain('/auth/callback?code=[redacted]&state=[redacted]')
  })
})
