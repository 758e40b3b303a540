/**
 * `/docs` in Chromium (issue 21): branded (our name and mark, none of Swagger's), its policy
 * satisfied (no CSP violation, no console error), and axe-core clean at desktop and phone widths,
 * with the page as it loads, with an operation opened and with the authorization dialog open.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from '../../../src/http/app.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { launchChromium, screenshot } from '../../helpers/browser.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'
import { FakeAuthenticator, testConfig } from '../../helpers/http-app.js'

interface AxeViolation {
  id: string
  nodes: Array<{ target: string[]; summary: string }>
}

const AXE_SOURCE = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

let browser: Browser
let app: FastifyInstance
let base: string

beforeAll(async () => {
  // The page needs no upstream: the app over fakes serves the same document and UI.
  app = createServer({
    config: testConfig(),
    files: new FakeFileService(),
    auth: new FakeAuthenticator(),
    store: new MemoryStore(),
  })
  base = await app.listen({ host: '127.0.0.1', port: 0 })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await app?.close()
})

/** Opens /docs, recording console errors and CSP violations (from before the first byte). */
async function openDocs(width: number, height: number) {
  const page = await browser.newPage({ viewport: { width, height } })
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`)
  })
  // An init script runs whatever the page's policy says: it reports every violation.
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP ' + e.violatedDirective + ' ' + e.sourceFile + ':' + e.lineNumber))",
  )
  const response = await page.goto(`${base}/docs`)
  await page.waitForSelector('.opblock-summary-control')
  return { page, problems, response }
}

async function axe(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which the page's policy does not govern.
  await page.evaluate(await AXE_SOURCE)
  return (await page.evaluate(
    `axe.run().then((r) => r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary.split('\\n')[1] })) })))`,
  )) as AxeViolation[]
}

describe.each([
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
])('/docs at $name width', ({ name, width, height }) => {
  it('is ours: our name and mark, no Swagger logo or top bar', async () => {
    const { page, problems } = await openDocs(width, height)
    expect(await page.title()).toBe('ftp-gateway API')
    expect(await page.locator('header.gw-header .gw-name').textContent()).toBe('ftp-gateway API')
    expect(await page.locator('header.gw-header img').getAttribute('src')).toBe(
      '/docs/static/theme/favicon.svg',
    )
    expect(await page.locator('.topbar').count()).toBe(0)
    expect(await page.content()).not.toMatch(/logo_small_svg|swagger-ui\/logo|favicon-32x32/)
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/theme\/favicon\.svg$/)
    await screenshot(page, `docs-${name}`)
    expect(problems).toEqual([])
    await page.close()
  })

  it('keeps its policy: no inline code allowed, and nothing violates it', async () => {
    const { page, problems, response } = await openDocs(width, height)
    const csp = response?.headers()['content-security-policy'] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toMatch(/style-src 'self'(;|$)/)
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|upgrade-insecure-requests|https:/)
    // Open an operation and the authorization dialog: more of the UI renders, none of it inline.
    await page.locator('#operations-files-uploadFile .opblock-summary-control').click()
    await page.waitForSelector('#operations-files-uploadFile .parameters')
    await page.locator('.btn.authorize').first().click()
    await page.waitForSelector('.modal-ux')
    expect(problems).toEqual([])
    await page.close()
  })

  it('has no axe-core violations: loaded, with an operation open, with the dialog open', async () => {
    const { page, problems } = await openDocs(width, height)
    expect(await axe(page)).toEqual([])
    await page.locator('#operations-files-uploadFile .opblock-summary-control').click()
    await page.waitForSelector('#operations-files-uploadFile .parameters')
    expect(await axe(page)).toEqual([])
    await page.locator('.btn.authorize').first().click()
    await page.waitForSelector('.modal-ux')
    expect(await axe(page)).toEqual([])
    expect(problems).toEqual([])
    await page.close()
  })
})
