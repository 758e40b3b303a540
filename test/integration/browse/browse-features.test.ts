/**
 * Issue 21, what people expect of a file manager, in Chromium over a real vsftpd: the viewer
 * (images, text, PDF; uploaded HTML and SVG never run), multi-select with bulk move, copy, delete
 * and download, folder upload (picker and dropped folders), the overwrite prompt, cancel, speed
 * and time left, the dark theme, keyboard shortcuts with their help, and the Connect panel. axe
 * finds nothing on the page or in any open dialog.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
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
import { centralEntries } from '../../helpers/zip.js'

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)
const HTML = '<h1>hi</h1><script>parent.pwned = 1</script><img src=x onerror="parent.pwned = 2">'
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>parent.pwned = 3</script><rect width="10" height="10"/></svg>'

// One page saying "Hello PDF" (xref-less; PDF readers rebuild the table).
const PDF = [
  '%PDF-1.4',
  '1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj',
  '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj',
  '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj',
  '4 0 obj<</Length 40>>stream',
  'BT /F1 24 Tf 50 100 Td (Hello PDF) Tj ET',
  'endstream endobj',
  '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj',
  'trailer<</Root 1 0 R>>',
  '%%EOF',
].join('\n')

describe('browse page features of issue 21', () => {
  let fx: BrowseFixture
  let browser: Browser
  let local: string

  beforeAll(async () => {
    fx = await startBrowseFixture()
    await fx.mkdir('view')
    await fx.put('view/a-photo.png', PNG)
    await fx.put('view/b-notes.txt', 'line one\n<b>not bold</b>\n')
    await fx.put('view/c-page.html', HTML)
    await fx.put('view/d-logo.svg', SVG)
    await fx.put('view/e-doc.pdf', PDF)
    await fx.put('view/f-data.bin', 'binary')
    await fx.mkdir('bulk')
    await fx.mkdir('bulk/target')
    for (const n of ['one.txt', 'two.txt', 'three.txt']) await fx.put(`bulk/${n}`, `${n}\n`)
    await fx.mkdir('up')
    await fx.put('up/exists.txt', 'old\n')
    local = await mkdtemp(path.join(tmpdir(), 'ftpgw-folder-'))
    await mkdir(path.join(local, 'album', 'inner'), { recursive: true })
    await writeFile(path.join(local, 'album', 'cover.txt'), 'cover\n')
    await writeFile(path.join(local, 'album', 'inner', 'deep.txt'), 'deep\n')
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await fx?.close()
    if (local) await rm(local, { recursive: true, force: true })
  })

  const row = (page: Page, name: string) => page.locator(`#listing tbody tr[data-name="${name}"]`)
  const disk = (rel: string) => path.join(fx.ftp.root, rel)
  const api = async (method: string, rel: string, body?: string) => {
    const auth = Buffer.from(`${fx.ftp.user}:${fx.ftp.password}`).toString('base64')
    const res = await fetch(`${fx.base}/api/v1/${rel}`, {
      method,
      headers: { authorization: `Basic ${auth}` },
      ...(body === undefined ? {} : { body }),
    })
    expect(res.status, `${method} ${rel}`).toBeLessThan(300)
  }

  for (const [label, viewport] of Object.entries(VIEWPORTS)) {
    describe(`at ${label} size`, () => {
      let context: BrowserContext
      let page: Page
      const cspErrors: string[] = []
      beforeAll(async () => {
        context = await signedInContext(browser, fx, viewport)
        page = await context.newPage()
        page.on('console', (m) => {
          if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text())
        })
      })
      afterAll(async () => context?.close())

      it('previews files in a viewer with next and previous, and never runs uploaded HTML or SVG', async () => {
        await page.goto(`${fx.base}/browse/view/`)
        await row(page, 'a-photo.png').locator('a.entry').click()
        const viewer = page.locator('#viewer')
        await expect.poll(() => viewer.isVisible()).toBe(true)
        expect(await page.locator('#viewer-count').textContent()).toBe('1 of 5')
        await expect
          .poll(() =>
            page
              .locator('#viewer-body img')
              .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
          )
          .toBe(1)
        expect(await axeViolations(page)).toEqual([])
        await screenshot(page, `features-${label}-viewer-image`)
        await page.keyboard.press('ArrowRight')
        await expect
          .poll(() => page.locator('#viewer-body pre').textContent())
          .toBe('line one\n<b>not bold</b>\n')
        await page.getByRole('button', { name: 'Next' }).click()
        // HTML is shown as its source text: nothing in it is parsed or run.
        await expect.poll(() => page.locator('#viewer-body pre').textContent()).toBe(HTML)
        await page.getByRole('button', { name: 'Next' }).click()
        await expect
          .poll(() => page.locator('#viewer-body img').getAttribute('src'))
          .toBe('/api/v1/files/view/d-logo.svg')
        await page.getByRole('button', { name: 'Next' }).click()
        expect(await page.locator('#viewer-body iframe').getAttribute('src')).toBe(
          '/api/v1/files/view/e-doc.pdf',
        )
        // The file's sandbox CSP does not stop Chromium's PDF viewer: it opens inside the frame
        // (a blocked one would leave a chrome-error:// page there instead).
        await expect
          .poll(() =>
            page
              .frames()
              .filter((f) => f.parentFrame()?.url().endsWith('/api/v1/files/view/e-doc.pdf'))
              .map((f) => new URL(f.url()).protocol),
          )
          .toEqual(['chrome-extension:'])
        expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true)
        await page.getByRole('button', { name: 'Previous' }).click()
        expect(await page.locator('#viewer-title').textContent()).toBe('d-logo.svg')
        await page.keyboard.press('Escape')
        await expect.poll(() => viewer.isVisible()).toBe(false)
        await expect
          .poll(() => page.evaluate<string>('document.activeElement.textContent'))
          .toBe('d-logo.svg')
        expect(await page.evaluate('window.pwned')).toBeUndefined()
        // A file the viewer cannot show still downloads.
        const downloading = page.waitForEvent('download')
        await row(page, 'f-data.bin').locator('a.entry').click()
        expect((await downloading).suggestedFilename()).toBe('f-data.bin')
        // The file URLs themselves: sandboxed, and active types only as attachments.
        const html = await fetch(`${fx.base}/api/v1/files/view/c-page.html`, {
          headers: { cookie: (await context.cookies(fx.base)).map((c) => `${c.name}=${c.value}`).join('; ') },
        })
        expect(html.headers.get('content-security-policy')).toMatch(/^sandbox;/)
        expect(html.headers.get('content-disposition')).toMatch(/^attachment/)
        expect(cspErrors).toEqual([])
      })

      it('selects several rows and copies, moves, downloads and deletes them together', async () => {
        await page.goto(`${fx.base}/browse/bulk/`)
        await row(page, 'one.txt').getByRole('checkbox').check()
        await row(page, 'two.txt').getByRole('checkbox').check()
        expect(await page.locator('#bulk-count').textContent()).toBe('2 selected')
        expect(await axeViolations(page)).toEqual([])
        // Download: the selection as one zip of the folder (issue 20).
        const downloading = page.waitForEvent('download')
        await page.getByRole('button', { name: 'Download', exact: true }).click()
        const zip = await downloading
        expect(zip.suggestedFilename()).toBe('bulk.zip')
        expect((await centralEntries(await zip.path())).map((e) => e.name)).toEqual(['one.txt', 'two.txt'])
        // Copy into a folder picked in the dialog.
        await page.getByRole('button', { name: 'Copy…' }).click()
        const dialog = page.locator('#transfer-dialog')
        await dialog.getByRole('button', { name: 'target' }).click()
        await expect.poll(() => page.locator('#picker-path').textContent()).toBe('/bulk/target')
        expect(await axeViolations(page)).toEqual([])
        await screenshot(page, `features-${label}-copy-dialog`)
        await dialog.getByRole('button', { name: 'Copy here' }).click()
        await expect
          .poll(() => page.locator('#messages').textContent())
          .toContain('Copied 2 items to /bulk/target.')
        expect(await readFile(disk('bulk/target/one.txt'), 'utf8')).toBe('one.txt\n')
        expect(await readFile(disk('bulk/one.txt'), 'utf8')).toBe('one.txt\n')
        // Move: the picker goes up and down the tree.
        await row(page, 'three.txt').getByRole('checkbox').check()
        await page.getByRole('button', { name: 'Move…' }).click()
        await dialog.getByRole('button', { name: 'Up one folder' }).click()
        await expect.poll(() => page.locator('#picker-path').textContent()).toBe('/')
        await dialog.getByRole('button', { name: 'bulk' }).click()
        await dialog.getByRole('button', { name: 'target' }).click()
        await dialog.getByRole('button', { name: 'Move here' }).click()
        await expect.poll(() => row(page, 'three.txt').count()).toBe(0)
        expect(await readFile(disk('bulk/target/three.txt'), 'utf8')).toBe('three.txt\n')
        // Delete the selection after one confirmation.
        await page.getByRole('checkbox', { name: 'Select all on this page' }).check()
        await row(page, 'target').getByRole('checkbox').uncheck()
        expect(await page.locator('#bulk-count').textContent()).toBe('2 selected')
        await page.getByRole('button', { name: 'Delete…' }).click()
        expect(await page.locator('#delete-text').textContent()).toBe(
          'Delete 2 items and everything in the folders among them?',
        )
        await page.locator('#delete-dialog').getByRole('button', { name: 'Delete' }).click()
        await expect.poll(() => row(page, 'one.txt').count()).toBe(0)
        expect(await readdir(disk('bulk'))).toEqual(['target'])
        // Put things back for the other viewport, through the API so the gateway's cache knows.
        await api('DELETE', 'dirs/bulk/target?recursive=1')
        await api('POST', 'dirs/bulk/target')
        for (const n of ['one.txt', 'two.txt', 'three.txt']) await api('PUT', `files/bulk/${n}`, `${n}\n`)
      })

      it('uploads a folder from the picker and a dropped folder, subfolders included', async () => {
        await page.goto(`${fx.base}/browse/up/`)
        await page.locator('#folder-input').setInputFiles(path.join(local, 'album'))
        await expect.poll(() => page.locator('#uploads li[data-state="done"]').count()).toBe(2)
        expect(await readFile(disk('up/album/inner/deep.txt'), 'utf8')).toBe('deep\n')
        expect(await readFile(disk('up/album/cover.txt'), 'utf8')).toBe('cover\n')
        // A dropped folder arrives as directory entries; this builds them as the browser would.
        await page.evaluate(`(() => {
          const file = (name, text) => ({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File([text], name)) });
          const dir = (name, children) => ({ isFile: false, isDirectory: true, name, createReader: () => {
            let given = false;
            return { readEntries: (ok) => { const batch = given ? [] : children; given = true; ok(batch); } };
          } });
          const tree = dir('dropped', [file('a.txt', 'A'), dir('sub', [file('b.txt', 'B')])]);
          const ev = new Event('drop', { bubbles: true, cancelable: true });
          Object.defineProperty(ev, 'dataTransfer', { value: {
            types: ['Files'], files: [], items: [{ webkitGetAsEntry: () => tree }],
          } });
          document.querySelector('main').dispatchEvent(ev);
        })()`)
        await expect.poll(() => page.locator('#uploads li[data-state="done"]').count()).toBe(4)
        expect(await readFile(disk('up/dropped/sub/b.txt'), 'utf8')).toBe('B')
        expect(await readFile(disk('up/dropped/a.txt'), 'utf8')).toBe('A')
        await api('DELETE', 'dirs/up/album?recursive=1')
        await api('DELETE', 'dirs/up/dropped?recursive=1')
      })

      it('asks before replacing: replace, keep both, skip', async () => {
        await page.goto(`${fx.base}/browse/up/`)
        const send = (text: string) =>
          page
            .locator('#file-input')
            .setInputFiles([{ name: 'exists.txt', mimeType: 'text/plain', buffer: Buffer.from(text) }])
        const ask = page.locator('#overwrite-dialog')
        await send('new\n')
        await expect.poll(() => ask.isVisible()).toBe(true)
        expect(await page.locator('#overwrite-text').textContent()).toContain('"exists.txt" already exists')
        expect(await axeViolations(page)).toEqual([])
        await ask.getByRole('button', { name: 'Replace' }).click()
        await expect.poll(() => readFile(disk('up/exists.txt'), 'utf8')).toBe('new\n')
        await send('both\n')
        await ask.getByRole('button', { name: 'Keep both' }).click()
        await expect.poll(() => readFile(disk('up/exists (1).txt'), 'utf8').catch(() => '')).toBe('both\n')
        expect(await readFile(disk('up/exists.txt'), 'utf8')).toBe('new\n')
        await send('skipped\n')
        await ask.getByRole('button', { name: 'Skip' }).click()
        await expect.poll(() => page.locator('#uploads li[data-state="skipped"]').count()).toBe(1)
        expect(await readFile(disk('up/exists.txt'), 'utf8')).toBe('new\n')
        await api('DELETE', 'files/up/exists%20(1).txt')
        await api('PUT', 'files/up/exists.txt', 'old\n')
      })

      it('shows speed and time left, pauses, resumes and cancels one upload (through the gwUpload contract)', async () => {
        await page.goto(`${fx.base}/browse/up/`)
        // A scripted transport and clock: the page's own code turns progress into words.
        await page.evaluate(`(() => {
          window.__now = 0;
          performance.now = () => window.__now;
          window.__uploads = {};
          window.__calls = [];
          window.gwUpload.start = (file, dest, o) => {
            window.__uploads[file.name] = o;
            return {
              cancel: () => o.onError({ status: 0, code: 'CANCELLED', title: 'Cancelled' }),
              pause: () => window.__calls.push('pause ' + file.name),
              resume: () => window.__calls.push('resume ' + file.name),
            };
          };
        })()`)
        await page.locator('#file-input').setInputFiles([
          { name: 'big.iso', mimeType: 'application/octet-stream', buffer: Buffer.alloc(10) },
          { name: 'other.iso', mimeType: 'application/octet-stream', buffer: Buffer.alloc(10) },
        ])
        await expect.poll(() => page.evaluate<number>('Object.keys(window.__uploads).length')).toBe(2)
        await page.evaluate(`(() => {
          const o = window.__uploads['big.iso'];
          o.onProgress(0, 30 * 1048576);
          window.__now = 2000;
          o.onProgress(10 * 1048576, 30 * 1048576);
        })()`)
        const state = page.locator('#uploads li').first().locator('.upload-state')
        expect(await state.textContent()).toBe('10.0 MB of 30.0 MB · 5.0 MB/s · 4 s left')
        expect(await page.locator('#uploads li').first().locator('progress').getAttribute('value')).toBe('33')
        // Pause and Resume: one toggle per upload, named for it, a touch target on phones.
        const pause = page.getByRole('button', { name: 'Pause upload of big.iso' })
        const box = await pause.boundingBox()
        if (label === 'phone') expect(box?.height).toBeGreaterThanOrEqual(44)
        if (label === 'phone')
          expect(
            (await page.getByRole('button', { name: 'Cancel upload of big.iso' }).boundingBox())?.height,
          ).toBeGreaterThanOrEqual(44)
        await pause.click()
        expect(await state.textContent()).toBe('Paused')
        // Progress that was already on its way when the pause came does not overwrite "Paused".
        await page.evaluate(
          `window.__now = 3000; window.__uploads['big.iso'].onProgress(11 * 1048576, 30 * 1048576)`,
        )
        expect(await state.textContent()).toBe('Paused')
        await page.getByRole('button', { name: 'Resume upload of big.iso' }).click()
        expect(await page.evaluate('window.__calls')).toEqual(['pause big.iso', 'resume big.iso'])
        expect(await page.getByRole('button', { name: 'Pause upload of big.iso' }).count()).toBe(1)
        // The speed is measured afresh after the pause.
        await page.evaluate(`(() => {
          const o = window.__uploads['big.iso'];
          window.__now = 10000;
          o.onProgress(12 * 1048576, 30 * 1048576);
          window.__now = 12000;
          o.onProgress(22 * 1048576, 30 * 1048576);
        })()`)
        expect(await state.textContent()).toBe('22.0 MB of 30.0 MB · 5.0 MB/s · 2 s left')
        await page.getByRole('button', { name: 'Cancel upload of other.iso' }).click()
        expect(await page.locator('#uploads li').nth(1).getAttribute('data-state')).toBe('cancelled')
        expect(await page.locator('#messages').textContent()).toContain('Cancelled the upload of other.iso.')
        expect(await page.locator('#uploads li').first().getAttribute('data-state')).toBeNull()
        await page.getByRole('button', { name: 'Cancel upload of big.iso' }).click()
        expect(await axeViolations(page)).toEqual([])
        await screenshot(page, `features-${label}-uploads`)
      })

      it('has keyboard shortcuts and a help dialog listing them', async () => {
        await page.goto(`${fx.base}/browse/bulk/`)
        await page.keyboard.press('?')
        const help = page.locator('#help-dialog')
        await expect.poll(() => help.isVisible()).toBe(true)
        expect(await help.textContent()).toContain('Filter this folder')
        expect(await axeViolations(page)).toEqual([])
        await page.keyboard.press('Escape')
        await page.keyboard.press('/')
        expect(await page.evaluate<string>('document.activeElement.id')).toBe('filter-q')
        await page.locator('h1').click()
        await page.keyboard.press('j')
        await page.keyboard.press('j')
        expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('one.txt')
        await page.keyboard.press('x')
        expect(await page.locator('#bulk-count').textContent()).toBe('1 selected')
        await page.keyboard.press('Escape')
        expect(await page.locator('#bulk').isVisible()).toBe(false)
        await page.keyboard.press('F2')
        await expect.poll(() => page.locator('#rename-dialog').isVisible()).toBe(true)
        expect(await page.locator('#rename-name').inputValue()).toBe('one.txt')
        await page.keyboard.press('Escape')
      })

      it('is axe-clean with each remaining dialog open, and on the sign-in page', async () => {
        await page.goto(`${fx.base}/browse/bulk/`)
        await row(page, 'one.txt').getByRole('button', { name: 'Rename one.txt' }).click()
        expect(await axeViolations(page)).toEqual([])
        await page.keyboard.press('Escape')
        await row(page, 'one.txt').getByRole('button', { name: 'Delete one.txt' }).click()
        expect(await axeViolations(page)).toEqual([])
        await page.keyboard.press('Escape')
        const anonymous = await browser.newContext({ viewport })
        const login = await anonymous.newPage()
        await login.goto(`${fx.base}/browse/bulk/`)
        await login.waitForURL(/\/_browse\/login/)
        expect(await axeViolations(login)).toEqual([])
        await login.getByLabel('User name').fill('nobody')
        await login.getByRole('button', { name: 'Sign in' }).click()
        await login.locator('.error').waitFor()
        expect(await axeViolations(login)).toEqual([])
        await anonymous.close()
      })

      it('offers a Connect panel with the WebDAV address, a copy button and per-system steps', async () => {
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fx.base })
        await page.goto(`${fx.base}/browse/`)
        await page.getByRole('button', { name: 'Connect' }).click()
        const panel = page.locator('#connect-dialog')
        await expect.poll(() => panel.isVisible()).toBe(true)
        expect(await page.getByLabel('WebDAV address').inputValue()).toBe(`${fx.base}/dav/`)
        for (const os of ['Windows', 'macOS', 'Linux (GNOME Files)', 'rclone'])
          expect(await panel.getByRole('heading', { name: os }).count()).toBe(1)
        expect(await panel.locator('#rclone-command').textContent()).toContain(`url=${fx.base}/dav/`)
        expect(await panel.getByRole('link', { name: '/docs' }).getAttribute('href')).toBe('/docs')
        await panel.getByRole('button', { name: 'Copy' }).click()
        expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(`${fx.base}/dav/`)
        expect(await axeViolations(page)).toEqual([])
        await screenshot(page, `features-${label}-connect`)
        await panel.getByRole('button', { name: 'Close' }).click()
        expect(await page.getByRole('link', { name: 'API docs' }).getAttribute('href')).toBe('/docs')
      })
    })
  }

  it('follows a dark system theme, axe-clean', async () => {
    const context = await signedInContext(browser, fx, VIEWPORTS.desktop, { colorScheme: 'dark' })
    const page = await context.newPage()
    await page.goto(`${fx.base}/browse/view/`)
    expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe(
      'rgb(13, 17, 23)',
    )
    expect(await axeViolations(page)).toEqual([])
    await screenshot(page, 'features-dark-listing')
    await row(page, 'b-notes.txt').locator('a.entry').click()
    await expect.poll(() => page.locator('#viewer-body pre').textContent()).toContain('line one')
    expect(await axeViolations(page)).toEqual([])
    await context.close()
    expect((await stat(disk('view/a-photo.png'))).size).toBe(PNG.length)
  })
})
