/**
 * The browse page end to end: headless Chromium against an in-process gateway over a real vsftpd.
 * One signed-in page walks through what a person does (sign in, list, sort, open a folder, upload,
 * download, rename, delete, page through a folder) and every step is checked against the files on
 * the FTP server's disk. Screenshots at desktop and phone width land in test-results/browse/.
 */
import { randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BrowseFixture, launchChromium, screenshot, startBrowseFixture } from '../../helpers/browser.js'

const HOSTILE = '<img src=x onerror=alert(1)>'

describe('browse page in Chromium over vsftpd', () => {
  let fx: BrowseFixture
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const dialogs: string[] = []
  const pageErrors: string[] = []
  const big = randomBytes(300_000)

  beforeAll(async () => {
    fx = await startBrowseFixture()
    await fx.put(HOSTILE, 'hostile\n')
    await fx.put('small.txt', 'tiny\n')
    await fx.put('big.bin', big)
    await fx.put('medium.csv', 'a,b\n'.repeat(2000))
    await fx.mkdir('docs')
    await fx.put('docs/inside.txt', 'inside the folder\n')
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true })
    page = await context.newPage()
    // Any alert/confirm/prompt would mean script ran that should not have (the page uses <dialog>).
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    page.on('pageerror', (err) => pageErrors.push(err.message))
  })

  afterAll(async () => {
    await browser?.close()
    await fx?.close()
  })

  const names = () =>
    page.locator('#listing tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')))
  const row = (name: string) => page.locator(`tbody tr[data-name="${name}"]`)

  it('sends a visitor to the sign-in form and back to the folder afterwards', async () => {
    await page.goto(`${fx.base}/browse/docs/`)
    expect(new URL(page.url()).pathname).toBe('/_browse/login')
    await page.getByLabel('User name').fill(fx.ftp.user)
    await page.getByLabel('Password').fill('wrong password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.locator('.error').textContent()).toContain('wrong')
    await page.getByLabel('Password').fill(fx.ftp.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${fx.base}/browse/docs/`)
    await expect.poll(names).toEqual(['inside.txt'])
    const [cookie] = await context.cookies(fx.base)
    expect(cookie).toMatchObject({ name: 'ftpgw_session', httpOnly: true, sameSite: 'Strict', secure: false })
  })

  it('lists the top folder with sizes, dates and the hostile name as plain text', async () => {
    await page.getByRole('link', { name: 'Home' }).click()
    await page.waitForURL(`${fx.base}/browse/`)
    expect(await names()).toEqual(['docs', HOSTILE, 'big.bin', 'medium.csv', 'small.txt'])
    await expect.poll(() => row('big.bin').locator('.col-size').textContent()).toBe('293 KB')
    expect(await row('small.txt').locator('.col-size').textContent()).toBe('5 B')
    expect(await row('small.txt').locator('.col-modified time').getAttribute('datetime')).toMatch(
      /^\d{4}-\d\d-\d\dT/,
    )
    // The hostile name is visible text; no <img src=x> exists; nothing alerted.
    await expect.poll(() => page.getByText(HOSTILE, { exact: true }).isVisible()).toBe(true)
    expect(await page.locator('img[src="x"]').count()).toBe(0)
    expect(await page.locator('tbody img').count()).toBe(0)
    expect(dialogs).toEqual([])
    expect(pageErrors).toEqual([])
    await screenshot(page, 'desktop-listing')
  })

  it('sorts by size and by name, folders first', async () => {
    await page.getByRole('link', { name: 'Size' }).click()
    await page.waitForURL(/sort=size&order=desc/)
    expect(await names()).toEqual(['docs', 'big.bin', 'medium.csv', HOSTILE, 'small.txt'])
    expect(await page.locator('th.col-size').getAttribute('aria-sort')).toBe('descending')
    await page.getByRole('link', { name: 'Size' }).click()
    await page.waitForURL(/sort=size(?!&order)/)
    expect(await names()).toEqual(['docs', 'small.txt', HOSTILE, 'medium.csv', 'big.bin'])
    await page.getByRole('link', { name: 'Name' }).click()
    await page.waitForURL(/\/browse\/$/)
    expect(await names()).toEqual(['docs', HOSTILE, 'big.bin', 'medium.csv', 'small.txt'])
    await page.getByRole('link', { name: 'Name' }).click()
    expect(await page.locator('th.col-name').getAttribute('aria-sort')).toBe('descending')
    expect(await names()).toEqual(['docs', 'small.txt', 'medium.csv', 'big.bin', HOSTILE])
  })

  it('opens a folder, with breadcrumbs back', async () => {
    await page.locator('a.entry', { hasText: 'docs' }).click()
    await page.waitForURL(`${fx.base}/browse/docs/`)
    expect(await page.locator('.crumbs li').allTextContents()).toEqual(['Home', 'docs'])
    expect(await page.locator('h1').textContent()).toBe('docs')
    expect(await names()).toEqual(['inside.txt'])
    await page.goto(`${fx.base}/browse/`)
  })

  it('uploads two files at once with a progress bar each', async () => {
    const one = randomBytes(3 * 1024 * 1024)
    const two = Buffer.from('second file, small\n')
    await page.locator('#file-input').setInputFiles([
      { name: 'upload one.bin', mimeType: 'application/octet-stream', buffer: one },
      { name: 'upload-two.txt', mimeType: 'text/plain', buffer: two },
    ])
    const bars = page.locator('#uploads progress')
    await expect.poll(() => bars.count()).toBe(2)
    await expect
      .poll(() => bars.evaluateAll((els) => els.map((e) => (e as unknown as { value: number }).value)), {
        timeout: 20_000,
      })
      .toEqual([100, 100])
    // Done once the refreshed listing shows them.
    await expect.poll(() => page.locator('#uploads li[data-state="done"]').count()).toBe(2)
    expect(await page.locator('#uploads .upload-state').allTextContents()).toEqual(['Done', 'Done'])
    // The listing refreshes in place, the progress list stays.
    await expect.poll(() => row('upload one.bin').count()).toBe(1)
    expect(await row('upload-two.txt').count()).toBe(1)
    expect((await readFile(path.join(fx.ftp.root, 'upload one.bin'))).equals(one)).toBe(true)
    expect(await readFile(path.join(fx.ftp.root, 'upload-two.txt'), 'utf8')).toBe(two.toString())
    await screenshot(page, 'desktop-uploaded')
  })

  it('downloads a file with the same bytes as on disk', async () => {
    const downloading = page.waitForEvent('download')
    await row('big.bin').locator('a.entry').click()
    const download = await downloading
    expect(download.suggestedFilename()).toBe('big.bin')
    const saved = await download.path()
    expect((await readFile(saved)).equals(await readFile(path.join(fx.ftp.root, 'big.bin')))).toBe(true)
  })

  it('renames a file through the dialog', async () => {
    await row('small.txt').getByRole('button', { name: 'Rename small.txt' }).click()
    const dialog = page.locator('#rename-dialog')
    expect(await dialog.isVisible()).toBe(true)
    await dialog.getByLabel('New name').fill('renamed.txt')
    await dialog.getByRole('button', { name: 'Rename' }).click()
    await expect.poll(() => row('renamed.txt').count()).toBe(1)
    expect(await row('small.txt').count()).toBe(0)
    expect(await readFile(path.join(fx.ftp.root, 'renamed.txt'), 'utf8')).toBe('tiny\n')
  })

  it('deletes a file only after confirming', async () => {
    const target = row('renamed.txt')
    await target.getByRole('button', { name: 'Delete renamed.txt' }).click()
    const dialog = page.locator('#delete-dialog')
    expect(await dialog.locator('#delete-text').textContent()).toBe('Delete "renamed.txt"?')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect(await target.count()).toBe(1)
    await target.getByRole('button', { name: 'Delete renamed.txt' }).click()
    await screenshot(page, 'desktop-delete-dialog')
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => target.count()).toBe(0)
    await expect(stat(path.join(fx.ftp.root, 'renamed.txt'))).rejects.toThrow()
    expect(dialogs).toEqual([])
  })

  it('creates a folder, and shows the API problem when it exists already', async () => {
    await page.getByLabel('New folder').fill('made here')
    await page.getByRole('button', { name: 'Create' }).click()
    await expect.poll(() => row('made here').count()).toBe(1)
    expect((await stat(path.join(fx.ftp.root, 'made here'))).isDirectory()).toBe(true)
    await page.getByLabel('New folder').fill('made here')
    await page.getByRole('button', { name: 'Create' }).click()
    const error = page.locator('#alerts .message.error')
    await expect.poll(() => error.count()).toBe(1)
    expect((await error.textContent())?.length).toBeGreaterThan(10)
    expect(await error.textContent()).not.toContain('{')
  })

  it('deletes a folder with everything in it, after saying so', async () => {
    await row('made here').getByRole('button', { name: 'Delete made here' }).click()
    const dialog = page.locator('#delete-dialog')
    expect(await dialog.locator('#delete-text').textContent()).toBe(
      'Delete the folder "made here" and everything in it?',
    )
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => row('made here').count()).toBe(0)
    await expect(stat(path.join(fx.ftp.root, 'made here'))).rejects.toThrow()
  })

  it('uploads a file dropped on the page', async () => {
    // A DataTransfer holding a File, made in the page (strings: no DOM types in this file).
    const dataTransfer = await page.evaluateHandle(
      "(() => { const d = new DataTransfer(); d.items.add(new File(['dropped!'], 'dropped.txt')); return d })()",
    )
    for (const type of ['dragenter', 'dragover']) await page.dispatchEvent('main', type, { dataTransfer })
    expect(await page.locator('body.dropping').count()).toBe(1)
    await page.dispatchEvent('main', 'drop', { dataTransfer })
    await expect.poll(() => row('dropped.txt').count()).toBe(1)
    expect(await page.locator('body.dropping').count()).toBe(0)
    expect(await readFile(path.join(fx.ftp.root, 'dropped.txt'), 'utf8')).toBe('dropped!')
  })

  it('works from the keyboard with a visible focus ring', async () => {
    await page.goto(`${fx.base}/browse/`)
    await page.keyboard.press('Tab')
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Skip to content')
    await page.keyboard.press('Tab')
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')
    expect(outline).toBe('solid')
    // Enter on a folder link opens it.
    await row('docs').locator('a.entry').focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(`${fx.base}/browse/docs/`)
    // Escape closes a dialog without doing anything.
    await row('inside.txt').getByRole('button', { name: 'Delete inside.txt' }).focus()
    await page.keyboard.press('Enter')
    expect(await page.locator('#delete-dialog').isVisible()).toBe(true)
    await page.keyboard.press('Escape')
    expect(await page.locator('#delete-dialog').isVisible()).toBe(false)
    expect(await row('inside.txt').count()).toBe(1)
  })

  it('pages through a large folder with Next, Previous and page numbers', async () => {
    await page.goto(`${fx.base}/browse/?limit=3`)
    const first = await names()
    expect(first).toHaveLength(3)
    await page.getByRole('link', { name: 'Next' }).click()
    await page.waitForURL(/page=2/)
    const second = await names()
    expect(second.length).toBeGreaterThan(0)
    expect(second.some((n) => first.includes(n))).toBe(false)
    await page.getByRole('link', { name: 'Previous' }).click()
    await page.waitForURL(/limit=3$/)
    expect(await names()).toEqual(first)
    await page.getByRole('link', { name: 'Page 2' }).click()
    expect(await names()).toEqual(second)
  })

  it('fits a phone-sized screen: size and date fold under the name', async () => {
    await page.goto(`${fx.base}/browse/`)
    await page.setViewportSize({ width: 390, height: 844 })
    expect(await page.locator('th.col-size').isVisible()).toBe(false)
    expect(await row('big.bin').locator('.meta').isVisible()).toBe(true)
    // A string, because this file is type-checked without the DOM library.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
    expect(overflow).toBeLessThanOrEqual(0)
    await screenshot(page, 'phone-listing')
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it('signs out: the cookie goes and the token is revoked', async () => {
    const [cookie] = await context.cookies(fx.base)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/_browse\/login$/)
    expect(await context.cookies(fx.base)).toEqual([])
    const res = await fetch(`${fx.base}/api/v1/dirs/`, {
      headers: { authorization: `Bearer ${cookie!.value}` },
    })
    expect(res.status).toBe(401)
    expect(pageErrors).toEqual([])
    await screenshot(page, 'desktop-sign-in')
  })
})
