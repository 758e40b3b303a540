/**
 * Makes the README's screenshots of the browse page (`npx tsx scripts/screenshots.ts`): a real
 * vsftpd with a small demo tree, the gateway in this process, headless Chromium at desktop
 * (1440×900) and phone (390×844) size, light and dark. Writes docs/screenshots/*.png; run it
 * again after changing how the page looks. Needs the test system packages (vsftpd, chromium).
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { launchChromium, signedInContext, startBrowseFixture, VIEWPORTS } from '../test/helpers/browser.js'
import { repoDir } from '../test/helpers/servers/common.js'

const OUT = path.join(repoDir, 'docs', 'screenshots')
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAKklEQVR42mNkYPhfz0AEYBxVSF+F/4lRxDiqkL4K/xOjiHFUIX0V/mcwAAC6yQ8R2xQJrQAAAABJRU5ErkJggg==',
  'base64',
)

const fx = await startBrowseFixture()
const browser = await launchChromium()
try {
  await mkdir(OUT, { recursive: true })
  for (const dir of ['Projects', 'Photos', 'Invoices 2026']) await fx.mkdir(dir)
  await fx.put('Photos/harbour.png', PNG)
  await fx.put(
    'README.txt',
    'Files shared through ftp-gateway.\nUpload, preview, move and copy from the browser.\n',
  )
  await fx.put('budget-2026.csv', 'month,amount\njan,1200\nfeb,1350\n'.repeat(40))
  await fx.put('report.pdf', '%PDF-1.4\n%%EOF\n')
  for (let i = 1; i <= 12; i++) await fx.put(`scan${i}.png`, PNG)
  await fx.put('backup.tar.gz', Buffer.alloc(3_500_000, 7))

  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: path.join(OUT, `${name}.png`) })
    console.log(`wrote docs/screenshots/${name}.png`)
  }

  for (const scheme of ['light', 'dark'] as const) {
    const context = await signedInContext(browser, fx, VIEWPORTS.desktop, { colorScheme: scheme })
    const page = await context.newPage()
    await page.goto(`${fx.base}/browse/`)
    await page.locator('#listing tbody tr[data-name="scan1.png"] input.select').check()
    await page.locator('#listing tbody tr[data-name="scan2.png"] input.select').check()
    await shot(page, `listing-${scheme}`)
    if (scheme === 'light') {
      await page.locator('#listing tbody tr[data-name="README.txt"] a.entry').click()
      await page.locator('#viewer-body pre').waitFor()
      await shot(page, 'viewer')
      await page.keyboard.press('Escape')
      await page.getByRole('button', { name: 'Connect' }).click()
      await shot(page, 'connect')
      await page.keyboard.press('Escape')
      await page
        .locator('#file-input')
        .setInputFiles([{ name: 'README.txt', mimeType: 'text/plain', buffer: Buffer.from('new\n') }])
      await page.locator('#overwrite-dialog').waitFor()
      await shot(page, 'overwrite')
      await page.locator('#overwrite-dialog').getByRole('button', { name: 'Skip' }).click()
      await page.keyboard.press('?')
      await shot(page, 'shortcuts')
    }
    await context.close()
  }

  const phone = await signedInContext(browser, fx, VIEWPORTS.phone, { isMobile: true, hasTouch: true })
  const page = await phone.newPage()
  await page.goto(`${fx.base}/browse/`)
  await shot(page, 'phone-listing')
  await page.goto(`${fx.base}/browse/no-such-folder/`)
  await shot(page, 'phone-missing-folder')
  await phone.close()
} finally {
  await browser.close()
  await fx.close()
}
