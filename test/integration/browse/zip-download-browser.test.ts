/**
 * The browse page's zips in Chromium (issue 20): a selection with a folder in it downloads as one
 * zip of the folder, a folder row's "Download as zip" downloads the folder whole (empty folders and
 * non-ASCII names included); the page stays within its CSP and axe-clean.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
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
import { centralEntries } from '../../helpers/zip.js'

const run = promisify(execFile)

describe('zip downloads on the browse page', () => {
  let fx: BrowseFixture
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let work: string
  const cspErrors: string[] = []
  const row = (name: string) => page.locator(`#listing tbody tr[data-name="${name}"]`)

  beforeAll(async () => {
    fx = await startBrowseFixture()
    await fx.mkdir('pack')
    await fx.put('pack/a.txt', 'alpha\n')
    await fx.put('pack/b.txt', 'beta\n')
    await fx.mkdir('pack/sub')
    await fx.put('pack/sub/c.txt', 'gamma\n')
    await fx.put('pack/sub/日本 é.txt', 'nihon\n')
    await fx.mkdir('pack/empty')
    work = await mkdtemp(path.join(tmpdir(), 'ftpgw-zip-browser-'))
    browser = await launchChromium()
    context = await signedInContext(browser, fx, VIEWPORTS.desktop)
    page = await context.newPage()
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text())
    })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await fx?.close()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('downloads a selection with a folder in it as one zip of this folder', async () => {
    await page.goto(`${fx.base}/browse/pack/`)
    await row('a.txt').getByRole('checkbox').check()
    await row('sub').getByRole('checkbox').check()
    expect(await axeViolations(page)).toEqual([])
    const downloading = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download', exact: true }).click()
    const zip = await downloading
    expect(zip.suggestedFilename()).toBe('pack.zip')
    const saved = await zip.path()
    expect((await centralEntries(saved)).map((e) => e.name).sort()).toEqual(
      ['a.txt', 'sub/', 'sub/c.txt', 'sub/日本 é.txt'].sort(),
    )
    const out = path.join(work, 'selection')
    await run('unzip', ['-q', saved, '-d', out])
    expect(await readFile(path.join(out, 'sub', '日本 é.txt'), 'utf8')).toBe('nihon\n')
    expect(cspErrors).toEqual([])
  })

  it('downloads a folder whole from its row', async () => {
    await page.goto(`${fx.base}/browse/`)
    const link = row('pack').getByRole('link', { name: 'Download as zip: pack' })
    expect(await link.isVisible()).toBe(true)
    expect(await axeViolations(page)).toEqual([])
    const downloading = page.waitForEvent('download')
    await link.click()
    const zip = await downloading
    expect(zip.suggestedFilename()).toBe('pack.zip')
    const names = (await centralEntries(await zip.path())).map((e) => e.name).sort()
    expect(names).toEqual(['a.txt', 'b.txt', 'empty/', 'sub/', 'sub/c.txt', 'sub/日本 é.txt'].sort())
    // Files have no zip link: a file downloads as itself.
    expect(await row('pack').locator('a.zip').count()).toBe(1)
    await page.goto(`${fx.base}/browse/pack/`)
    expect(await row('a.txt').locator('a.zip').count()).toBe(0)
    expect(cspErrors).toEqual([])
  })
})
