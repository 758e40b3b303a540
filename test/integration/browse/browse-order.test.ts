/**
 * Issue 21, large folders: a 2,500-file folder (plus one subfolder) on a real vsftpd, listed in
 * Chromium at desktop and phone width. Pages are cut from the whole folder in natural order with
 * the folder first, sorting by size or date reorders every page, the count and page numbers are
 * there, the filter box filters the whole folder on the server, and the REST listing gives the
 * same order page by page through its cursor.
 */
import { chown, mkdir, writeFile } from 'node:fs/promises'
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

const FILES = 2500
const sizeOf = (i: number) => (i * 7919) % 5000

describe('a 2,500-file folder in Chromium over vsftpd', () => {
  let fx: BrowseFixture
  let browser: Browser
  let auth: string

  beforeAll(async () => {
    fx = await startBrowseFixture()
    const dir = path.join(fx.ftp.root, 'big')
    await mkdir(dir)
    await chown(dir, fx.ftp.uid, fx.ftp.gid)
    await mkdir(path.join(dir, 'sub'))
    await chown(path.join(dir, 'sub'), fx.ftp.uid, fx.ftp.gid)
    for (let i = 1; i <= FILES; i++) {
      const file = path.join(dir, `file${i}`)
      await writeFile(file, Buffer.alloc(sizeOf(i), 97))
      await chown(file, fx.ftp.uid, fx.ftp.gid)
    }
    browser = await launchChromium()
    auth = `Basic ${Buffer.from(`${fx.ftp.user}:${fx.ftp.password}`).toString('base64')}`
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await fx?.close()
  })

  const names = (page: Page) =>
    page.locator('#listing tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')))

  for (const [label, viewport] of Object.entries(VIEWPORTS)) {
    describe(`at ${label} size`, () => {
      let context: BrowserContext
      let page: Page

      beforeAll(async () => {
        context = await signedInContext(browser, fx, viewport)
        page = await context.newPage()
      })
      afterAll(async () => context?.close())

      it('cuts pages from the whole folder in natural order, the folder first, with a count', async () => {
        await page.goto(`${fx.base}/browse/big/`)
        const first = await names(page)
        expect(first).toHaveLength(500)
        expect(first.slice(0, 5)).toEqual(['sub', 'file1', 'file2', 'file3', 'file4'])
        expect(await page.locator('#count').textContent()).toBe('1–500 of 2,501')
        await page.getByRole('link', { name: 'Next' }).click()
        await page.waitForURL(/page=2/)
        const second = await names(page)
        expect(second[0]).toBe('file500')
        expect(second[499]).toBe('file999')
        expect(await page.locator('.pager [aria-current="page"]').textContent()).toBe('2')
        await page.getByRole('link', { name: 'Page 6' }).click()
        expect(await names(page)).toEqual(['file2500'])
        expect(await page.locator('#count').textContent()).toBe('2,501–2,501 of 2,501')
        await page.getByRole('link', { name: 'Previous' }).click()
        expect((await names(page))[0]).toBe('file2000')
        expect(await axeViolations(page)).toEqual([])
        await screenshot(page, `order-${label}-page5`)
      })

      it('sorts by size across every page, largest first', async () => {
        await page.goto(`${fx.base}/browse/big/?sort=size&order=desc`)
        const first = await names(page)
        expect(first[0]).toBe('sub')
        const all = Array.from({ length: FILES }, (_, i) => i + 1)
        const bySize = all
          .sort((a, b) => sizeOf(b) - sizeOf(a) || (String(b) < String(a) ? -1 : 1))
          .map((i) => `file${i}`)
        // The largest file of the whole folder leads page 1; page 2 continues with smaller ones.
        expect(sizeOf(Number(first[1]!.slice(4)))).toBe(sizeOf(Number(bySize[0]!.slice(4))))
        await page.getByRole('link', { name: 'Next' }).click()
        const second = await names(page)
        const sizes = [...first.slice(1), ...second].map((n) => sizeOf(Number(n!.slice(4))))
        expect(sizes).toEqual([...sizes].sort((a, b) => b - a))
      })

      it('filters the whole folder on the server as one types', async () => {
        await page.goto(`${fx.base}/browse/big/?page=3`)
        const filter = page.getByRole('searchbox', { name: 'Filter' })
        await filter.fill('file24')
        await expect.poll(() => page.locator('#count').textContent()).toBe('111 items matching “file24”')
        expect((await names(page)).slice(0, 3)).toEqual(['file24', 'file240', 'file241'])
        expect(new URL(page.url()).search).toBe('?q=file24')
        // Focus and the typed text stay in the box while the list updates.
        expect(await page.evaluate<string>('document.activeElement.id')).toBe('filter-q')
        await filter.fill('no such name')
        await expect.poll(() => page.locator('#count').textContent()).toBe('No names matching “no such name”')
        expect(await page.locator('.empty').count()).toBe(0)
        await page.keyboard.press('Escape')
        await expect.poll(() => page.locator('#count').textContent()).toBe('1–500 of 2,501')
        expect(await axeViolations(page)).toEqual([])
      })

      it('filters without script too (a GET form)', async () => {
        const plain = await context.browser()!.newContext({ viewport, javaScriptEnabled: false })
        await plain.addCookies(await context.cookies(fx.base))
        const p = await plain.newPage()
        await p.goto(`${fx.base}/browse/big/?sort=size`)
        await p.getByRole('searchbox', { name: 'Filter' }).fill('file99')
        await p.getByRole('button', { name: 'Filter' }).click()
        await p.waitForURL(/q=file99/)
        expect(new URL(p.url()).searchParams.get('sort')).toBe('size')
        expect(await p.locator('#count').textContent()).toBe('11 items matching “file99”')
        await plain.close()
      })
    })
  }

  it('gives the same order through the REST cursor, with the total', async () => {
    const seen: string[] = []
    let url: string | null = `${fx.base}/api/v1/dirs/big?limit=700&sort=size&order=desc`
    let totals = new Set<number>()
    while (url !== null) {
      const res = await fetch(url, { headers: { authorization: auth } })
      expect(res.status).toBe(200)
      const body = (await res.json()) as { entries: { name: string }[]; next: string | null; total: number }
      seen.push(...body.entries.map((e) => e.name))
      totals = new Set([...totals, body.total])
      url = body.next === null ? null : `${fx.base}/api/v1/dirs/big?limit=700&cursor=${body.next}`
    }
    expect(seen).toHaveLength(FILES + 1)
    expect(totals).toEqual(new Set([FILES + 1]))
    expect(seen[0]).toBe('sub')
    const sizes = seen.slice(1).map((n) => sizeOf(Number(n.slice(4))))
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a))
    // Filter and natural order together; a cursor used with another sort is a clear 400.
    const q = await fetch(`${fx.base}/api/v1/dirs/big?q=FILE100&limit=2`, {
      headers: { authorization: auth },
    })
    const page = (await q.json()) as { entries: { name: string }[]; next: string; total: number }
    expect(page.entries.map((e) => e.name)).toEqual(['file100', 'file1000'])
    expect(page.total).toBe(11) // file100, file1000-1009
    const mixed = await fetch(`${fx.base}/api/v1/dirs/big?sort=size&cursor=${page.next ?? 'x'}`, {
      headers: { authorization: auth },
    })
    expect(mixed.status).toBe(400)
    for (const bad of ['sort=colour', 'order=up', `q=${'x'.repeat(256)}`, 'q=a%0Ab']) {
      const res = await fetch(`${fx.base}/api/v1/dirs/big?${bad}`, { headers: { authorization: auth } })
      expect(res.status, bad).toBe(400)
    }
    expect((await fetch(`${fx.base}/healthz`)).status).toBe(200)
  })
})
