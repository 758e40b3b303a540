/**
 * The browse page's "App passwords" panel in Chromium (issue 18): made from the panel (shown once,
 * with a Copy button), used as Basic with the user's name, listed, revoked (then 401). The panel is
 * axe-clean before and after, and runs under the page's strict policy (no console errors).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { axeViolations } from '../../helpers/axe.js'
import {
  type BrowseFixture,
  launchChromium,
  signedInContext,
  startBrowseFixture,
  VIEWPORTS,
} from '../../helpers/browser.js'
import { basicAuth } from '../../helpers/gateway.js'

describe('app passwords in the browser', () => {
  let fx: BrowseFixture
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const consoleErrors: string[] = []

  beforeAll(async () => {
    fx = await startBrowseFixture()
    await fx.put('hello.txt', 'hello')
    browser = await launchChromium()
    context = await signedInContext(browser, fx, VIEWPORTS.desktop)
    page = await context.newPage()
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    await page.goto(`${fx.base}/browse/`)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await fx?.close()
  })

  it('makes one (shown once), which works as Basic; lists it; revokes it', async () => {
    await page.getByRole('button', { name: 'App passwords', exact: true }).click()
    const dialog = page.locator('#apppw-dialog')
    await dialog.waitFor({ state: 'visible' })
    await page.locator('#apppw-empty').waitFor({ state: 'visible' })
    expect(await axeViolations(page)).toEqual([])

    await page.getByLabel('What it is for').fill('work laptop')
    await page.getByRole('button', { name: 'Make a password' }).click()
    await page.locator('#apppw-result').waitFor({ state: 'visible' })
    const secret = await page.locator('#apppw-secret').inputValue()
    expect(secret).toMatch(/^gwap_[A-Za-z0-9_-]{16}_[A-Za-z0-9_-]{32}$/)
    await expect.poll(() => page.locator('#apppw-body tr').count()).toBe(1)
    expect(await page.locator('#apppw-body tr td').first().textContent()).toBe('work laptop')
    expect(await page.getByRole('button', { name: 'Copy password' }).isVisible()).toBe(true)
    expect(await axeViolations(page)).toEqual([])

    const auth = { authorization: basicAuth(fx.ftp.user, secret) }
    const me = await fetch(`${fx.base}/api/v1/me`, { headers: auth })
    expect(((await me.json()) as { method: string }).method).toBe('app-password')

    await page.getByRole('button', { name: 'Revoke the app password work laptop' }).click()
    await page.locator('#apppw-empty').waitFor({ state: 'visible' })
    expect((await fetch(`${fx.base}/api/v1/me`, { headers: auth })).status).toBe(401)

    // Closing the panel forgets the password it showed.
    await dialog.getByRole('button', { name: 'Close' }).click()
    await page.getByRole('button', { name: 'App passwords', exact: true }).click()
    await dialog.waitFor({ state: 'visible' })
    expect(await page.locator('#apppw-result').isHidden()).toBe(true)
    expect(await page.locator('#apppw-secret').inputValue()).toBe('')
    expect(consoleErrors).toEqual([])
  })
})
