/**
 * Headless Chromium for the browse page's tests: Debian's `chromium` driven by playwright-core
 * (no browser download). The flags keep it from phoning home (updates, sync, QUIC probes) and let
 * it run as root in a container without a sandbox or GPU.
 */
import { chown, mkdir, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import pino from 'pino'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { loadConfig } from '../../src/config.js'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { repoDir, requireFile } from './servers/common.js'
import { type FtpServerHandle, startVsftpd } from './servers/index.js'

/** Where Debian installs Chromium. */
export const CHROMIUM = '/usr/bin/chromium'

/** Where browse tests put screenshots (gitignored). */
export const SCREENSHOT_DIR = path.join(repoDir, 'test-results/browse')

/** Launches headless Chromium (with `extraArgs` after the usual flags). Close it in afterAll. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  requireFile(CHROMIUM, 'chromium')
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  })
}

/** Saves a full-page screenshot as test-results/browse/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  const file = path.join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/** A gateway over a fresh vsftpd, listening on 127.0.0.1, for the browse page's tests. */
export interface BrowseFixture {
  ftp: FtpServerHandle
  gateway: Gateway
  /** `http://127.0.0.1:PORT` */
  base: string
  /** Writes a file into the FTP root (owned by the FTP user, so the server may change it). */
  put(relPath: string, content: string | Buffer): Promise<void>
  /** Makes a folder in the FTP root. */
  mkdir(relPath: string): Promise<void>
  close(): Promise<void>
}

/** Starts vsftpd and an in-process gateway pointed at it. */
export async function startBrowseFixture(): Promise<BrowseFixture> {
  const ftp = await startVsftpd()
  const own = (p: string) => chown(p, ftp.uid, ftp.gid)
  let gateway: Gateway | undefined
  try {
    gateway = await createGateway(
      loadConfig({ FTP_URL: `ftp://127.0.0.1:${ftp.port}`, LOG_LEVEL: 'silent', PORT: '0' }),
      pino({ level: 'silent' }),
    )
    await gateway.app.listen({ host: '127.0.0.1', port: 0 })
  } catch (err) {
    await gateway?.close(0)
    await ftp.stop()
    throw err
  }
  const address = gateway.app.server.address() as AddressInfo
  const started = gateway
  return {
    ftp,
    gateway: started,
    base: `http://127.0.0.1:${address.port}`,
    async put(relPath, content) {
      const file = path.join(ftp.root, relPath)
      await writeFile(file, content)
      await own(file)
    },
    async mkdir(relPath) {
      const dir = path.join(ftp.root, relPath)
      await mkdir(dir)
      await own(dir)
    },
    async close() {
      await started.close(0)
      await ftp.stop()
    },
  }
}

/** Phone and desktop viewports the browse tests run at. */
export const VIEWPORTS = {
  desktop: { width: 1440, height: 900 },
  phone: { width: 390, height: 844 },
} as const

/**
 * A browser context already signed in to the fixture's gateway (a session made through the API,
 * put in the same cookie the sign-in form sets), so tests start on the page they are about.
 */
export async function signedInContext(
  browser: Browser,
  fx: BrowseFixture,
  viewport: { width: number; height: number },
  options: { colorScheme?: 'light' | 'dark'; isMobile?: boolean; hasTouch?: boolean } = {},
): Promise<BrowserContext> {
  const res = await fetch(`${fx.base}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: fx.ftp.user, password: fx.ftp.password }),
  })
  if (res.status !== 201) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`)
  const { token } = (await res.json()) as { token: string }
  const context = await browser.newContext({ viewport, acceptDownloads: true, ...options })
  await context.addCookies([
    { name: 'ftpgw_session', value: token, url: fx.base, httpOnly: true, sameSite: 'Strict' },
  ])
  return context
}
