/**
 * Share links in Chromium (issue 20): made from the browse page's Share dialog, opened in a fresh
 * browser context (no account), downloaded, listed in "Shared by me" and revoked (then 404); a
 * password link asks for its password (wrong, then right); a drop box takes a file from its page
 * and refuses the same name again. The pages and dialogs are axe-clean and run under the strict
 * policy (a CSP violation would show as a console error).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
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

describe('share links in the browser', () => {
  let fx: BrowseFixture
  let browser: Browser
  let owner: BrowserContext
  let page: Page
  const consoleErrors: string[] = []

  beforeAll(async () => {
    fx = await startBrowseFixture()
    await fx.put('report.txt', 'the quarterly report')
    await fx.put('secret.txt', 'password protected')
    await fx.mkdir('inbox')
    browser = await launchChromium()
    owner = await signedInContext(browser, fx, VIEWPORTS.desktop)
    page = await owner.newPage()
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    await page.goto(`${fx.base}/browse/`)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await fx?.close()
  })

  /** Opens the Share dialog of a row, sets its fields, creates the link and returns it. */
  async function shareRow(name: string, fill: { password?: string; drop?: boolean } = {}): Promise<string> {
    await page.goto(`${fx.base}/browse/`)
    await page.getByRole('button', { name: `Share ${name}`, exact: true }).click()
    const dialog = page.locator('#share-dialog')
    await dialog.waitFor({ state: 'visible' })
    expect(await axeViolations(page)).toEqual([])
    if (fill.drop) await dialog.getByLabel(/Upload files into this folder/).check()
    if (fill.password) await dialog.getByLabel('Password (optional)').fill(fill.password)
    await dialog.getByRole('button', { name: 'Create link' }).click()
    await page.locator('#share-result').waitFor({ state: 'visible' })
    const url = await page.locator('#share-url').inputValue()
    expect(url).toMatch(new RegExp(`^${fx.base}/s/[A-Za-z0-9_-]{24}$`))
    await dialog.getByRole('button', { name: 'Close' }).click()
    return url
  }

  it('creates a link from the page, downloads it in a fresh context, revokes it: then 404', async () => {
    const url = await shareRow('report.txt')
    const visitor = await browser.newContext({ acceptDownloads: true })
    try {
      const v = await visitor.newPage()
      v.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text())
      })
      expect((await v.goto(url))?.status()).toBe(200)
      await v.getByRole('heading', { name: 'report.txt' }).waitFor()
      expect(await axeViolations(v)).toEqual([])
      const [download] = await Promise.all([
        v.waitForEvent('download'),
        v.getByRole('link', { name: 'Download' }).click(),
      ])
      expect(await readFile((await download.path())!, 'utf8')).toBe('the quarterly report')
      // Shared by me lists it; Revoke removes it everywhere.
      await page.getByRole('button', { name: 'Shared by me' }).click()
      const list = page.locator('#shares-dialog')
      await list.waitFor({ state: 'visible' })
      expect(await axeViolations(page)).toEqual([])
      await list.getByRole('button', { name: 'Revoke the link to /report.txt' }).click()
      await list.getByText('You have no share links.').waitFor()
      await list.getByRole('button', { name: 'Close' }).click()
      expect((await v.goto(url))?.status()).toBe(404)
      expect(await v.locator('h1').textContent()).toBe('Not found')
    } finally {
      await visitor.close()
    }
  })

  it('asks for the password: a wrong one is refused, the right one opens the link', async () => {
    const url = await shareRow('secret.txt', { password: 'hunter2-but-longer' })
    const visitor = await browser.newContext({ acceptDownloads: true })
    try {
      const v = await visitor.newPage()
      expect((await v.goto(url))?.status()).toBe(401)
      expect(await axeViolations(v)).toEqual([])
      await v.getByLabel('Password').fill('wrong')
      await v.getByRole('button', { name: 'Open' }).click()
      await v.getByText('That password is not right.').waitFor()
      await v.getByLabel('Password').fill('hunter2-but-longer')
      await v.getByRole('button', { name: 'Open' }).click()
      await v.getByRole('heading', { name: 'secret.txt' }).waitFor()
      const cookies = await visitor.cookies()
      const cookie = cookies.find((c) => c.name === 'ftpgw_share')
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: new URL(url).pathname })
      const [download] = await Promise.all([
        v.waitForEvent('download'),
        v.getByRole('link', { name: 'Download' }).click(),
      ])
      expect(await readFile((await download.path())!, 'utf8')).toBe('password protected')
    } finally {
      await visitor.close()
    }
  })

  it('a drop box link takes a file from its page and refuses the same name again', async () => {
    const url = await shareRow('inbox', { drop: true })
    const visitor = await browser.newContext()
    try {
      const v = await visitor.newPage()
      expect((await v.goto(url))?.status()).toBe(200)
      expect(await axeViolations(v)).toEqual([])
      const file = { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('dropped in') }
      await v.getByLabel('Files to send').setInputFiles(file)
      await v.getByRole('button', { name: 'Send', exact: true }).click()
      await v.getByText('hello.txt: sent').waitFor()
      expect(await readFile(path.join(fx.ftp.root, 'inbox/hello.txt'), 'utf8')).toBe('dropped in')
      await v.getByLabel('Files to send').setInputFiles({ ...file, buffer: Buffer.from('replaced?') })
      await v.getByRole('button', { name: 'Send', exact: true }).click()
      await v.getByText('hello.txt: a file of this name is already there').waitFor()
      expect(await readFile(path.join(fx.ftp.root, 'inbox/hello.txt'), 'utf8')).toBe('dropped in')
    } finally {
      await visitor.close()
    }
    // A folder share's page lists it (axe-clean), and an unknown link's page is plain words.
    const made = await fetch(`${fx.base}/api/v1/shares`, {
      method: 'POST',
      headers: { authorization: basicAuth(fx.ftp.user, fx.ftp.password), 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/inbox', kind: 'read' }),
    })
    const { url: folderUrl } = (await made.json()) as { url: string }
    const reader = await browser.newContext()
    try {
      const r = await reader.newPage()
      expect((await r.goto(folderUrl))?.status()).toBe(200)
      await r.getByRole('link', { name: 'hello.txt' }).waitFor()
      expect(await axeViolations(r)).toEqual([])
      expect((await r.goto(`${fx.base}/s/${'A'.repeat(24)}`))?.status()).toBe(404)
      expect(await axeViolations(r)).toEqual([])
    } finally {
      await reader.close()
    }
    // The policy held: nothing on the pages was refused by it (404s of revoked links are expected).
    expect(consoleErrors.filter((m) => /Content Security Policy/i.test(m))).toEqual([])
  })
})
