/**
 * Issue 21, the page's defects, each as a person meets them in Chromium over a real vsftpd:
 * Enter in the rename dialog, a /browse/ link to a file, a missing folder, focus after rename and
 * delete, live-region announcements, touch targets and the drop hint on phones, rows saying Done
 * before the list shows the file, and leaving the page while an upload runs.
 */
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Browser, BrowserContext, Page, Route } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { axeViolations } from '../../helpers/axe.js'
import {
  type BrowseFixture,
  launchChromium,
  screenshot,
  signedInContext,
  startBrowseFixture,
  VIEWPORTS,
} from '../../helpers/browser.js'

describe('browse page defects of issue 21', () => {
  let fx: BrowseFixture
  let browser: Browser

  beforeAll(async () => {
    fx = await startBrowseFixture()
    await fx.put('notes.txt', 'plain notes\n')
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) await fx.put(name, `${name}\n`)
    await fx.mkdir('empty')
    await fx.mkdir('leave')
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await fx?.close()
  })

  const activeText = (page: Page) =>
    page.evaluate<string>('document.activeElement && document.activeElement.textContent')
  const row = (page: Page, name: string) => page.locator(`#listing tbody tr[data-name="${name}"]`)

  describe('at desktop size', () => {
    let context: BrowserContext
    let page: Page
    beforeAll(async () => {
      context = await signedInContext(browser, fx, VIEWPORTS.desktop)
      page = await context.newPage()
    })
    afterAll(async () => context?.close())

    it('renames with Enter in the dialog, announces it and keeps focus on the row', async () => {
      await page.goto(`${fx.base}/browse/`)
      await row(page, 'a.txt').getByRole('button', { name: 'Rename a.txt' }).click()
      await page.locator('#rename-name').fill('renamed a.txt')
      await page.keyboard.press('Enter')
      await expect.poll(() => row(page, 'renamed a.txt').count()).toBe(1)
      expect(await readFile(path.join(fx.ftp.root, 'renamed a.txt'), 'utf8')).toBe('a.txt\n')
      await expect
        .poll(() => page.locator('#messages[role="status"]').textContent())
        .toContain('Renamed a.txt to renamed a.txt.')
      await expect.poll(() => activeText(page)).toBe('renamed a.txt')
    })

    it('puts focus on the row that took a deleted row’s place, and announces it', async () => {
      await row(page, 'b.txt').getByRole('button', { name: 'Delete b.txt' }).click()
      await page.locator('#delete-dialog').getByRole('button', { name: 'Delete' }).click()
      await expect.poll(() => row(page, 'b.txt').count()).toBe(0)
      await expect(stat(path.join(fx.ftp.root, 'b.txt'))).rejects.toThrow()
      await expect.poll(() => activeText(page)).toBe('c.txt')
      expect(await page.locator('#messages').textContent()).toContain('Deleted b.txt.')
      // Cancel (and Escape) give focus back to the row they started from.
      await row(page, 'c.txt').getByRole('button', { name: 'Delete c.txt' }).click()
      await page.locator('#delete-dialog').getByRole('button', { name: 'Cancel' }).click()
      await expect.poll(() => activeText(page)).toBe('c.txt')
    })

    it('announces a failure in the alert region, in plain words', async () => {
      await row(page, 'c.txt').getByRole('button', { name: 'Rename c.txt' }).click()
      await page.locator('#rename-name').fill('d.txt')
      await page.keyboard.press('Enter')
      const alert = page.locator('#alerts[role="alert"] .message')
      await expect.poll(() => alert.count()).toBe(1)
      const text = (await alert.textContent()) ?? ''
      expect(text).toContain('Could not rename c.txt')
      expect(text).not.toMatch(/MLST|MLSD|RNTO|\b5\d\d\b/)
      expect(await readFile(path.join(fx.ftp.root, 'd.txt'), 'utf8')).toBe('d.txt\n')
      await expect.poll(() => activeText(page)).toBe('c.txt')
    })

    it('announces a finished upload', async () => {
      await page
        .locator('#file-input')
        .setInputFiles([{ name: 'up.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded\n') }])
      await expect.poll(() => page.locator('#messages').textContent()).toContain('Uploaded up.txt.')
    })

    it('shows a file linked under /browse/ instead of an FTP error', async () => {
      for (const link of ['/browse/notes.txt', '/browse/notes.txt/']) {
        const res = await page.goto(`${fx.base}${link}`)
        expect(res?.status(), link).toBe(200)
        expect(new URL(page.url()).pathname).toBe('/api/v1/files/notes.txt')
        expect(await page.locator('body').textContent()).toBe('plain notes\n')
      }
    })

    it('says a missing folder is missing in plain words and keeps the signed-in header', async () => {
      const res = await page.goto(`${fx.base}/browse/does-not-exist/`)
      expect(res?.status()).toBe(404)
      expect(await page.locator('h1').textContent()).toBe('This folder does not exist')
      expect(await page.locator('header').textContent()).toContain(`Signed in as ${fx.ftp.user}`)
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1)
      expect(await page.locator('main').textContent()).not.toMatch(/MLSD|MLST|550|No such file/)
      expect(await axeViolations(page)).toEqual([])
      await screenshot(page, 'defects-missing-folder')
    })

    it('never says Done while the list still says the folder is empty', async () => {
      await page.goto(`${fx.base}/browse/empty/`)
      expect(await page.locator('.empty').textContent()).toBe('This folder is empty.')
      // Record, at the moment any upload row turns Done, what the listing shows.
      await page.evaluate(`(() => {
        window.__doneSeen = [];
        new MutationObserver(() => {
          document.querySelectorAll('#uploads li[data-state="done"]').forEach((li) => {
            if (li.__seen) return;
            li.__seen = true;
            window.__doneSeen.push({
              empty: document.querySelector('#listing .empty') !== null,
              listed: document.querySelector('#listing tbody tr[data-name="first.txt"]') !== null,
            });
          });
        }).observe(document.getElementById('uploads'), { subtree: true, attributes: true, childList: true });
      })()`)
      await page
        .locator('#file-input')
        .setInputFiles([{ name: 'first.txt', mimeType: 'text/plain', buffer: Buffer.from('1\n') }])
      await expect.poll(() => page.evaluate<number>('window.__doneSeen.length')).toBe(1)
      expect(await page.evaluate('window.__doneSeen')).toEqual([{ empty: false, listed: true }])
    })

    it('warns before leaving while an upload runs, and not after', async () => {
      // The upload is held in flight, whichever way the engine sends it (tus or a plain PUT).
      const held: Route[] = []
      await page.route('**/api/v1/files/**', (route) => {
        if (route.request().method() === 'PUT') held.push(route)
        else void route.continue()
      })
      await page.route('**/api/v1/uploads/**', (route) => {
        held.push(route)
      })
      await page.goto(`${fx.base}/browse/leave/`)
      // Chromium shows the prompt only to a page the person has interacted with.
      await page.locator('h1').click()
      await page
        .locator('#file-input')
        .setInputFiles([
          { name: 'slow.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1024, 1) },
        ])
      await expect.poll(() => held.length).toBe(1)
      const prompted = new Promise<string>((resolve) =>
        page.once('dialog', (d) => {
          resolve(d.type())
          void d.dismiss()
        }),
      )
      await page.close({ runBeforeUnload: true })
      expect(await prompted).toBe('beforeunload')
      expect(page.isClosed()).toBe(false)
      // Cancel the upload: leaving is quiet again.
      await page.getByRole('button', { name: 'Cancel upload of slow.bin' }).click()
      await expect.poll(() => page.locator('#uploads li').getAttribute('data-state')).toBe('cancelled')
      await held[0]!.abort().catch(() => undefined)
      let asked = false
      page.on('dialog', (d) => {
        asked = true
        void d.accept()
      })
      await page.close({ runBeforeUnload: true })
      await expect.poll(() => page.isClosed()).toBe(true)
      expect(asked).toBe(false)
      await expect(stat(path.join(fx.ftp.root, 'leave', 'slow.bin'))).rejects.toThrow()
    })
  })

  describe('at phone size', () => {
    let context: BrowserContext
    let page: Page
    beforeAll(async () => {
      context = await signedInContext(browser, fx, VIEWPORTS.phone, { isMobile: true, hasTouch: true })
      page = await context.newPage()
    })
    afterAll(async () => context?.close())

    it('has 44 px touch targets and no "drop files" text', async () => {
      await page.goto(`${fx.base}/browse/`)
      const targets = [
        row(page, 'c.txt').getByRole('button', { name: 'Rename c.txt' }),
        row(page, 'c.txt').getByRole('button', { name: 'Delete c.txt' }),
        row(page, 'c.txt').locator('a.entry'),
        page.locator('label[for="file-input"]'),
        page.getByRole('button', { name: 'Create' }),
        page.getByRole('button', { name: 'Sign out' }),
      ]
      for (const target of targets) {
        const box = await target.boundingBox()
        expect(box, String(target)).not.toBeNull()
        expect(box!.height, String(target)).toBeGreaterThanOrEqual(44)
      }
      expect(await page.getByText('drop files').isVisible()).toBe(false)
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
      expect(overflow).toBeLessThanOrEqual(0)
      expect(await axeViolations(page)).toEqual([])
      await screenshot(page, 'defects-phone-listing')
    })

    it('says a missing folder is missing on a phone too', async () => {
      const res = await page.goto(`${fx.base}/browse/gone/deeper/`)
      expect(res?.status()).toBe(404)
      expect(await page.locator('h1').textContent()).toBe('This folder does not exist')
      expect(await page.getByRole('link', { name: 'Back to gone' }).count()).toBe(1)
      expect(await axeViolations(page)).toEqual([])
    })
  })
})
