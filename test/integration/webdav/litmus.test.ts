/** litmus (WebDAV compliance, Debian package) against /dav/ on one gateway instance over vsftpd. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { type RunningGateway, runLitmus, startGateway } from './harness.js'

/** litmus 0.13's test count over basic, copymove, props, locks and http (the Debian package: basic 16, copymove 13, props 30, locks 41, http 4). */
const LITMUS_TOTAL = 104

describe('litmus on one instance', () => {
  let ftp: FtpServerHandle
  let gw: RunningGateway

  beforeAll(async () => {
    ftp = await startVsftpd()
    gw = await startGateway(ftp)
  })
  afterAll(async () => {
    await gw?.gateway.close(100)
    await ftp?.stop()
  })

  it('passes every test of basic, copymove, props, locks and http', { timeout: 85_000 }, async () => {
    const { summary, output } = await runLitmus(gw.url, ftp.user, ftp.password)
    expect(summary.failures, output).toEqual([])
    expect(summary.suites).toEqual({
      basic: { run: 16, passed: 16, failed: 0 },
      copymove: { run: 13, passed: 13, failed: 0 },
      props: { run: 30, passed: 30, failed: 0 },
      locks: { run: 41, passed: 41, failed: 0 },
      http: { run: 4, passed: 4, failed: 0 },
    })
    expect(summary.passed).toBe(LITMUS_TOTAL)
  })
})
