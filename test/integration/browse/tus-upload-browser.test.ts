/**
 * The browse page uploading through tus in Chromium: a file large enough for several PATCHes is
 * uploaded through the page while request interception cuts the network under one PATCH (the page
 * resumes by itself), a reload in the middle of an upload is resumed from where the server is when
 * the same file is chosen again, cancel terminates the upload on the server, and an upstream that
 * cannot resume gets a plain PUT instead. Bytes identical (SHA-256), nothing left beside the files.
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import pino from 'pino'
import type { Browser, BrowserContext, Page, Request, Route } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { createGateway, type Gateway } from '../../../src/gateway.js'
import { type BrowseFixture, launchChromium, screenshot, startBrowseFixture } from '../../helpers/browser.js'
import { startServer, type TestServer } from '../../helpers/local-server.js'
import { hashFile, namesIn, patternHash, patternStream } from '../../helpers/tus.js'

const MiB = 1024 * 1024
// Three PATCHes of the page's 50 MiB.
const SIZE = 120 * MiB + 777

let fx: BrowseFixture
let browser: Browser
let dir: string
let bigFile: string
let expected: string
const pageErrors: string[] = []
/** Console lines about the Content-Security-Policy (a refused script or connection shows here). */
const cspViolations: string[] = []

async function signedInPage(
  base: string,
  user: string,
  password: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  page.on('pageerror', (err) => pageErrors.push(err.message))
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
  })
  await page.goto(`${base}/browse/`)
  await page.getByLabel('User name').fill(user)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${base}/browse/`)
  return { context, page }
}

/** Records the tus requests a page makes (method, Upload-Offset). */
function tusLog(page: Page): Array<{ method: string; offset: string | undefined }> {
  const log: Array<{ method: string; offset: string | undefined }> = []
  page.on('request', (r: Request) => {
    if (r.url().includes('/api/v1/uploads/'))
      log.push({ method: r.method(), offset: r.headers()['upload-offset'] })
  })
  return log
}

beforeAll(async () => {
  fx = await startBrowseFixture()
  dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-tus-browser-'))
  bigFile = path.join(dir, 'big upload.bin')
  await pipeline(patternStream(SIZE, 3), createWriteStream(bigFile))
  expected = await patternHash(SIZE, 3)
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await fx?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('the browse page uploads through tus', () => {
  it('serves the upload engine and the tus client under the page policy', async () => {
    const engine = await fetch(`${fx.base}/_browse/upload.js`)
    expect(engine.status).toBe(200)
    expect(engine.headers.get('content-security-policy')).toContain("script-src 'self'")
    const body = await engine.text()
    const tusUrl = /\/_browse\/static\/tus\.min\.js\?v=[A-Za-z0-9_-]+/.exec(body)?.[0]
    expect(tusUrl).toBeDefined()
    const client = await fetch(`${fx.base}${tusUrl}`)
    expect(client.status).toBe(200)
    expect(await client.text()).toContain('tus-js-client')
  })

  it('resumes by itself when the network is cut under a PATCH', async () => {
    const { context, page } = await signedInPage(fx.base, fx.ftp.user, fx.ftp.password)
    const log = tusLog(page)
    let patches = 0
    // The second PATCH never reaches the server: the connection resets (request interception).
    const cutter = async (route: Route) => {
      if (route.request().method() === 'PATCH' && ++patches === 2) {
        await route.abort('connectionreset')
        // Interception is slow for big bodies: the PATCHes after the cut go straight out.
        await page.unroute('**/api/v1/uploads/*', cutter)
        return
      }
      return route.fallback()
    }
    await page.route('**/api/v1/uploads/*', cutter)
    await page.locator('#file-input').setInputFiles(bigFile)
    const item = page.locator('#uploads li')
    await expect.poll(() => item.getAttribute('data-state'), { timeout: 120_000 }).toBe('done')
    expect(await hashFile(path.join(fx.ftp.root, 'big upload.bin'))).toBe(expected)
    expect((await namesIn(fx.ftp.root)).filter((n) => n.includes('big upload'))).toEqual(['big upload.bin'])
    // One creation; the PATCH after the cut asked again where to go on (HEAD) and went on from there.
    expect(log.filter((r) => r.method === 'POST')).toHaveLength(1)
    expect(log.some((r) => r.method === 'HEAD')).toBe(true)
    expect(log.filter((r) => r.method === 'PATCH').map((r) => Number(r.offset))).toEqual([
      0,
      50 * MiB,
      50 * MiB,
      100 * MiB,
    ])
    await screenshot(page, 'tus-upload-done')
    await context.close()
  })

  it('resumes an upload after a reload when the same file is chosen again', async () => {
    // The test before left this file; the page would ask before replacing it (never silently).
    await rm(path.join(fx.ftp.root, 'big upload.bin'), { force: true })
    const { context, page } = await signedInPage(fx.base, fx.ftp.user, fx.ftp.password)
    const log = tusLog(page)
    const firstPatchDone = page.waitForResponse(
      (r) => r.url().includes('/api/v1/uploads/') && r.request().method() === 'PATCH' && r.status() === 204,
      { timeout: 120_000 },
    )
    // Chromium shows the leaving prompt only to a page the person has interacted with.
    await page.locator('h1').click()
    await page.locator('#file-input').setInputFiles(bigFile)
    await firstPatchDone
    // The page warns before leaving while the tus upload runs; this person means to leave.
    const dialogs: string[] = []
    page.on('dialog', (d) => {
      dialogs.push(d.type())
      void d.accept()
    })
    await page.reload()
    expect(dialogs).toEqual(['beforeunload'])
    await page.locator('#file-input').setInputFiles(bigFile)
    await expect
      .poll(() => page.locator('#uploads li').getAttribute('data-state'), { timeout: 120_000 })
      .toBe('done')
    expect(await hashFile(path.join(fx.ftp.root, 'big upload.bin'))).toBe(expected)
    expect((await namesIn(fx.ftp.root)).filter((n) => n.includes('big upload'))).toEqual(['big upload.bin'])
    // One creation in all: after the reload the page asked where the upload stood and went on.
    expect(log.filter((r) => r.method === 'POST')).toHaveLength(1)
    const afterReload = log.slice(log.findIndex((r, i) => i > 0 && r.method === 'HEAD'))
    expect(afterReload[0]?.method).toBe('HEAD')
    expect(Number(afterReload.find((r) => r.method === 'PATCH')?.offset)).toBeGreaterThanOrEqual(50 * MiB)
    await context.close()
  })

  it('cancel terminates the upload on the server', async () => {
    const { context, page } = await signedInPage(fx.base, fx.ftp.user, fx.ftp.password)
    const firstPatchDone = page.waitForResponse(
      (r) => r.url().includes('/api/v1/uploads/') && r.request().method() === 'PATCH' && r.status() === 204,
      { timeout: 120_000 },
    )
    const other = path.join(dir, 'cancelled.bin')
    await pipeline(patternStream(SIZE, 5), createWriteStream(other))
    await page.locator('#file-input').setInputFiles(other)
    await firstPatchDone
    const deleted = page.waitForResponse(
      (r) => r.request().method() === 'DELETE' && r.url().includes('/api/v1/uploads/'),
    )
    await page.getByRole('button', { name: 'Cancel upload of cancelled.bin' }).click()
    expect((await deleted).status()).toBe(204)
    expect((await namesIn(fx.ftp.root)).filter((n) => n.includes('cancelled'))).toEqual([])
    // The page tells a cancelled upload from a failed one.
    expect(await page.locator('#uploads li').getAttribute('data-state')).toBe('cancelled')
    await context.close()
  })

  it('pause stops sending and resume goes on from where the server is', async () => {
    const { context, page } = await signedInPage(fx.base, fx.ftp.user, fx.ftp.password)
    const log = tusLog(page)
    const firstPatchDone = page.waitForResponse(
      (r) => r.url().includes('/api/v1/uploads/') && r.request().method() === 'PATCH' && r.status() === 204,
      { timeout: 120_000 },
    )
    const paused = path.join(dir, 'paused.bin')
    await pipeline(patternStream(SIZE, 9), createWriteStream(paused))
    await page.locator('#file-input').setInputFiles(paused)
    await firstPatchDone
    // Progress says how much, how fast and how long is left.
    await expect
      .poll(() => page.locator('#uploads .upload-state').textContent())
      .toMatch(/^[\d.]+ MB of [\d.]+ MB · [\d.]+ [KMG]?B\/s · \d+(\.\d)? (s|min|h) left$/)
    await page.getByRole('button', { name: 'Pause upload of paused.bin' }).click()
    expect(await page.locator('#uploads .upload-state').textContent()).toBe('Paused')
    const beforeResume = log.length
    await page.getByRole('button', { name: 'Resume upload of paused.bin' }).click()
    await expect
      .poll(() => page.locator('#uploads li').getAttribute('data-state'), { timeout: 120_000 })
      .toBe('done')
    expect(await hashFile(path.join(fx.ftp.root, 'paused.bin'))).toBe(await patternHash(SIZE, 9))
    expect(log.filter((r) => r.method === 'POST')).toHaveLength(1)
    // The pause really stopped the PATCH: resuming first asked the server where it stood.
    expect(log[beforeResume]?.method).toBe('HEAD')
    expect(Number(log.slice(beforeResume).find((r) => r.method === 'PATCH')?.offset)).toBeGreaterThanOrEqual(
      50 * MiB,
    )
    await context.close()
  })
})

describe('an upstream that cannot resume uploads', () => {
  let ftp: TestServer
  let gateway: Gateway
  let base: string

  beforeAll(async () => {
    ftp = await startServer({ features: { appe: false, rest: false } })
    gateway = await createGateway(
      loadConfig({ FTP_URL: `ftp://127.0.0.1:${ftp.port}`, LOG_LEVEL: 'silent', PORT: '0' }),
      pino({ level: 'silent' }),
    )
    await gateway.app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await gateway?.close(0)
    await ftp?.stop()
  })

  it('the page falls back to a plain PUT', async () => {
    const { context, page } = await signedInPage(base, 'demo', 'demo')
    const methods: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/')) methods.push(`${r.method()} ${new URL(r.url()).pathname}`)
    })
    await page.locator('#file-input').setInputFiles({
      name: 'plain.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('sent with PUT\n'),
    })
    await expect
      .poll(() => page.locator('#uploads li').getAttribute('data-state'), { timeout: 30_000 })
      .toBe('done')
    expect(methods).toContain('POST /api/v1/uploads/')
    expect(methods).toContain('PUT /api/v1/files/plain.txt')
    expect(pageErrors).toEqual([])
    // The tus client and the upload engine ran under the page's policy without a violation.
    expect(cspViolations).toEqual([])
    await context.close()
  })
})
