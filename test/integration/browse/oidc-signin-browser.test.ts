/**
 * OpenID sign-in in Chromium (issue 18): the browse page's "Sign in with …" through a real
 * oidc-provider's own login and consent pages (its development interactions), back to the page
 * the person asked for, signed in as the provider's user; the group claim decides which of two
 * mounts on a service-account vsftpd upstream they see. Sign-out ends the gateway session (the
 * cookie, replayed by fetch, no longer works anywhere) and, through RP-initiated logout, the
 * provider's session too (the next sign-in asks for the password again).
 *
 * The gateway has only a service-account upstream and no htpasswd, so the page offers no password
 * form: nothing a password could sign in to.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { axeViolations } from '../../helpers/axe.js'
import { launchChromium, screenshot } from '../../helpers/browser.js'
import { type GatewayHandle, startGatewayWith, testGatewayEnv } from '../../helpers/gateway.js'
import { teamEstateYaml, writeOwned } from '../../helpers/oidc-estate.js'
import { startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js'
import { startVsftpd, type VsftpdHandle } from '../../helpers/servers/index.js'

let server: VsftpdHandle
let idp: TestOidcProvider
let gw: GatewayHandle
let dir: string
let browser: Browser

beforeAll(async () => {
  server = await startVsftpd()
  await writeOwned(server, 'team/hello.txt', 'hello team')
  await writeOwned(server, 'ops/runbook.txt', 'ops only')
  idp = await startOidcProvider({ users: { alice: { groups: ['staff'] }, bob: { groups: ['ops'] } } })
  dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-oidc-browser-'))
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, teamEstateYaml(server, idp, 'no-direct'))
  gw = await startGatewayWith(loadConfig(testGatewayEnv({ GATEWAY_CONFIG: file })))
  await idp.registerRedirects([`${gw.url}/auth/callback`], [`${gw.url}/_browse/login`])
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await gw?.close()
  await idp?.close()
  await server?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** From the gateway's sign-in page through the provider's login and consent pages. */
async function signInThroughProvider(page: Page, user: string): Promise<void> {
  await page.getByRole('link', { name: `Sign in with ${new URL(idp.issuer).host}` }).click()
  await page.waitForURL((u) => u.origin === idp.issuer && u.pathname.startsWith('/interaction/'))
  await page.locator('input[name="login"]').fill(user)
  await page.locator('input[name="password"]').fill('any password the dev login takes')
  await page.locator('button[type="submit"]').click()
  await page.waitForURL((u) => u.origin === idp.issuer && u.pathname.startsWith('/interaction/'))
  // The consent page (a first sign-in for this client).
  await page.locator('button[type="submit"]').click()
}

describe('OpenID sign-in in Chromium', () => {
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
  })
  afterAll(async () => {
    await context?.close()
  })

  it('asks to sign in with the provider (no password form), signs in, lands on the return URL', async () => {
    await page.goto(`${gw.url}/browse/team/`)
    await page.waitForURL(`${gw.url}/_browse/login?next=%2Fbrowse%2Fteam%2F`)
    expect(await page.locator('input[type="password"]').count()).toBe(0)
    expect(await axeViolations(page)).toEqual([])
    await screenshot(page, 'oidc-sign-in-page')
    await signInThroughProvider(page, 'alice')
    await page.waitForURL(`${gw.url}/browse/team/`)
    await expect.poll(() => page.locator('main').textContent()).toContain('hello.txt')
    expect(await page.locator('header').textContent()).toContain('Signed in as alice')
    await screenshot(page, 'oidc-signed-in')
    // The session cookie: HttpOnly and SameSite=Strict; the state cookie is gone.
    const cookies = await context.cookies(gw.url)
    const session = cookies.find((c) => c.name === 'ftpgw_session')
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
    expect(cookies.find((c) => c.name === 'ftpgw_oidc_state')).toBeUndefined()
  })

  it("shows only the mounts alice's group allows", async () => {
    await page.goto(`${gw.url}/browse/`)
    const links = await page
      .locator('main table a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')))
    expect(links).toContain('/browse/team/')
    expect(links).not.toContain('/browse/ops/')
    const ops = await page.goto(`${gw.url}/browse/ops/`)
    expect(ops?.status()).toBe(404)
  })

  it('with the provider session alive, a new sign-in needs no password', async () => {
    await page.goto(`${gw.url}/auth/login?return=${encodeURIComponent('/browse/team/')}`)
    await page.waitForURL(`${gw.url}/browse/team/`)
    expect(await page.locator('header').textContent()).toContain('Signed in as alice')
  })

  it('sign-out ends the gateway session everywhere and the provider session too', async () => {
    const token = (await context.cookies(gw.url)).find((c) => c.name === 'ftpgw_session')?.value as string
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const cookie = { cookie: `ftpgw_session=${token}` }
    expect((await fetch(`${gw.url}/api/v1/me`, { headers: cookie })).status).toBe(200)

    await page.getByRole('button', { name: 'Sign out' }).click()
    // The provider's RP-initiated logout asks for confirmation on its own page.
    await page.waitForURL((u) => u.origin === idp.issuer)
    await page.locator('button[name="logout"][value="yes"]').click()
    await page.waitForURL(`${gw.url}/_browse/login`)
    expect(await context.cookies(gw.url)).toEqual([])

    // The old cookie, replayed outside the browser: refused on every face.
    expect((await fetch(`${gw.url}/api/v1/me`, { headers: cookie })).status).toBe(401)
    expect(
      (await fetch(`${gw.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(401)
    expect((await fetch(`${gw.url}/dav/team/hello.txt`, { headers: cookie })).status).toBe(401)
    const listing = await fetch(`${gw.url}/browse/team/`, { headers: cookie, redirect: 'manual' })
    expect(listing.status).toBe(303)

    // The provider forgot alice: signing in again shows its login page.
    await page.goto(`${gw.url}/browse/`)
    await page.waitForURL(`${gw.url}/_browse/login?next=%2Fbrowse%2F`)
    await page.getByRole('link', { name: `Sign in with ${new URL(idp.issuer).host}` }).click()
    await page.waitForURL((u) => u.origin === idp.issuer && u.pathname.startsWith('/interaction/'))
    expect(await page.locator('input[name="login"]').count()).toBe(1)
  })

  it('a replayed or stale answer is a page in the browse style, not a stack', async () => {
    const r = await page.goto(`${gw.url}/auth/callback?code=x&state=${'s'.repeat(43)}`)
    expect(r?.status()).toBe(400)
    expect(await page.locator('h1').textContent()).toBe('This sign-in cannot be finished')
    expect(await axeViolations(page)).toEqual([])
    await page.getByRole('link', { name: 'Sign in again' }).click()
    await page.waitForURL((u) => u.origin === idp.issuer)
  })

  it('bob, in another browser, sees ops and not team', async () => {
    const other = await browser.newContext()
    try {
      const p = await other.newPage()
      await p.goto(`${gw.url}/browse/`)
      await signInThroughProvider(p, 'bob')
      await p.waitForURL(`${gw.url}/browse/`)
      const links = await p.locator('main table a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
      expect(links).toContain('/browse/ops/')
      expect(links).not.toContain('/browse/team/')
    } finally {
      await other.close()
    }
  })
})
