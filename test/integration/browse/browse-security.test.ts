/**
 * The browse page's security rules against a real gateway over vsftpd: the session cookie's
 * attributes, the CSRF rule for cookie-authenticated API calls, same-site checks on the sign-in
 * and sign-out forms, the `next` redirect, the Content-Security-Policy and friends, Basic auth,
 * and a hostile file name that must stay text in a real browser.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BrowseFixture, launchChromium, startBrowseFixture } from '../../helpers/browser.js'

const HOSTILE = '<img src=x onerror=alert(1)>'
// media-src and frame-src 'self': the viewer plays media and frames PDFs from this origin's file
// URLs, which carry their own sandbox policy.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
  "frame-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

describe('browse security over vsftpd', () => {
  let fx: BrowseFixture
  let cookie: string

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
  const FORM = 'application/x-www-form-urlencoded'

  async function signIn(extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
    return fetch(`${fx.base}/_browse/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': FORM, ...headers },
      body: form({ username: fx.ftp.user, password: fx.ftp.password, ...extra }),
    })
  }

  beforeAll(async () => {
    fx = await startBrowseFixture()
    await fx.put(HOSTILE, 'hostile\n')
    await fx.put('plain.txt', 'plain\n')
    const res = await signIn({ next: '/browse/?sort=size' })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/browse/?sort=size')
    const setCookie = res.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(
      /^ftpgw_session=[A-Za-z0-9_-]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/,
    )
    cookie = setCookie.split(';')[0]!
  })

  afterAll(async () => {
    await fx?.close()
  })

  it('sends / to /browse/ and a visitor without a session to the sign-in form', async () => {
    const root = await fetch(`${fx.base}/`, { redirect: 'manual' })
    expect(root.status).toBe(302)
    expect(root.headers.get('location')).toBe('/browse/')
    const anon = await fetch(`${fx.base}/browse/a%20b/?sort=size`, { redirect: 'manual' })
    expect(anon.status).toBe(303)
    expect(anon.headers.get('location')).toBe(
      `/_browse/login?next=${encodeURIComponent('/browse/a%20b/?sort=size')}`,
    )
  })

  it('puts the CSP and friends on every browse response', async () => {
    for (const [url, headers] of [
      ['/browse/', { cookie }],
      ['/_browse/login', {}],
      ['/browse/no-such-folder/', { cookie }],
      [`/_browse/static/browse.js`, {}],
      [`/_browse/static/browse.css`, {}],
    ] as const) {
      const res = await fetch(`${fx.base}${url}`, { headers, redirect: 'manual' })
      expect(res.headers.get('content-security-policy'), url).toBe(CSP)
      expect(res.headers.get('x-content-type-options'), url).toBe('nosniff')
      expect(res.headers.get('referrer-policy'), url).toBe('same-origin')
    }
    const missing = await fetch(`${fx.base}/browse/no-such-folder/`, { headers: { cookie } })
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-type')).toMatch(/^text\/html/)
    expect(missing.headers.get('www-authenticate')).toBeNull()
  })

  it('escapes the hostile name in text, attributes and URLs', async () => {
    const html = await (await fetch(`${fx.base}/browse/`, { headers: { cookie } })).text()
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(html).toContain(`href="/api/v1/files/${encodeURIComponent(HOSTILE)}?download=1"`)
    expect(html).toContain('data-name="&lt;img src=x onerror=alert(1)&gt;"')
    // No inline script or style anywhere: the CSP would block it, so none may be needed.
    // (Quoted attribute values are blanked first: an escaped name inside one is just text.)
    expect(html.replace(/"[^"]*"/g, '""')).not.toMatch(/<script>|<style|<[^>]*\s(style|on[a-z]+)=/i)
  })

  it('refuses cookie-authenticated unsafe API calls without the CSRF header', async () => {
    for (const [method, url] of [
      ['POST', '/api/v1/dirs/evil'],
      ['PUT', '/api/v1/files/evil.txt'],
      ['DELETE', '/api/v1/files/plain.txt'],
    ] as const) {
      const res = await fetch(`${fx.base}${url}`, {
        method,
        headers: { cookie, 'content-type': 'text/plain' },
        body: method === 'DELETE' ? null : 'x',
      })
      expect(res.status, `${method} ${url}`).toBe(403)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(((await res.json()) as { code: string }).code).toBe('FILE_ERR_FORBIDDEN')
    }
    const csrf = { cookie, 'x-requested-with': 'ftp-gateway' }
    const made = await fetch(`${fx.base}/api/v1/dirs/made-with-header`, { method: 'POST', headers: csrf })
    expect(made.status).toBe(201)
    // A plain GET (a download link) needs only the cookie.
    const download = await fetch(`${fx.base}/api/v1/files/plain.txt?download=1`, { headers: { cookie } })
    expect(download.status).toBe(200)
    expect(await download.text()).toBe('plain\n')
    // An explicit Authorization header wins over the cookie.
    const wrong = await fetch(`${fx.base}/api/v1/dirs/`, {
      headers: { cookie, authorization: 'Bearer nope' },
    })
    expect(wrong.status).toBe(401)
  })

  it('refuses a header-less POST from a script in Chromium, whatever SameSite did', async () => {
    let browser: Browser | undefined
    try {
      browser = await launchChromium()
      const context = await browser.newContext()
      const page = await context.newPage()
      await context.addCookies([
        {
          name: 'ftpgw_session',
          value: cookie.split('=')[1]!,
          url: fx.base,
          httpOnly: true,
          sameSite: 'Lax',
        },
      ])
      // Lax (not Strict) here on purpose: the header rule must hold even where SameSite does not help.
      await page.goto(`${fx.base}/_browse/login`)
      const status = await page.evaluate(async () => {
        const res = await fetch('/api/v1/dirs/from-a-form', { method: 'POST', body: 'x' })
        return res.status
      })
      expect(status).toBe(403)
    } finally {
      await browser?.close()
    }
  })

  it('refuses sign-in and sign-out posted from another origin', async () => {
    const evil = await signIn({}, { origin: 'https://evil.example' })
    expect(evil.status).toBe(403)
    expect(evil.headers.get('set-cookie')).toBeNull()
    const crossSite = await signIn({}, { 'sec-fetch-site': 'cross-site' })
    expect(crossSite.status).toBe(403)
    const out = await fetch(`${fx.base}/_browse/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: 'https://evil.example' },
    })
    expect(out.status).toBe(403)
    expect((await fetch(`${fx.base}/browse/`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200)
  })

  it('never redirects a sign-in to another site', async () => {
    for (const next of ['https://evil.example/', '//evil.example/browse/', '/\\evil.example', '/api/v1/x']) {
      const res = await signIn({ next })
      expect(res.status, next).toBe(303)
      expect(res.headers.get('location'), next).toBe('/browse/')
    }
  })

  it('shows a wrong password as a message on the form, not a Basic challenge', async () => {
    const res = await signIn({ password: 'not it' })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBeNull()
    expect(await res.text()).toContain('The user name or password is wrong.')
  })

  it('honours HTTP Basic without a cookie', async () => {
    const basic = `Basic ${Buffer.from(`${fx.ftp.user}:${fx.ftp.password}`).toString('base64')}`
    const res = await fetch(`${fx.base}/browse/`, { headers: { authorization: basic } })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('plain.txt')
    // Basic credentials cannot be signed out of from a page: no button pretends otherwise.
    expect(html).not.toContain('Sign out')
  })

  it('hands a file path under /browse/ over to its file URL (shown if passive, else saved)', async () => {
    for (const link of ['/browse/plain.txt', '/browse/plain.txt/']) {
      const res = await fetch(`${fx.base}${link}`, { headers: { cookie }, redirect: 'manual' })
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe('/api/v1/files/plain.txt')
    }
  })

  it('signs out: the token is revoked and the cookie cleared', async () => {
    const res = await fetch(`${fx.base}/_browse/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie },
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('set-cookie')).toMatch(/^ftpgw_session=; Path=\/; Max-Age=0/)
    const after = await fetch(`${fx.base}/browse/`, { headers: { cookie }, redirect: 'manual' })
    expect(after.status).toBe(303)
    expect(after.headers.get('set-cookie')).toMatch(/Max-Age=0/)
  })
})
