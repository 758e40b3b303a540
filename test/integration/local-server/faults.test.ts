/**
 * The embedded server's fault knobs seen by a real client (curl): a hostile PASV address is
 * ignored and the transfer still works; a 421 ends one session and the next client is served.
 */
import { describe, expect, it } from 'vitest'
import { curl } from '../../helpers/client-tools.js'
import { faultSuite } from '../../helpers/local-server.js'

describe('LocalFtpServer fault injection, with curl', () => {
  const suite = faultSuite()
  const client = suite.client

  it('advertises a hostile PASV address while listening on the real one', async () => {
    suite.server().server.faults.pasvAddress = '10.0.0.1'
    const c = await client()
    const r = await c.cmd('PASV')
    expect(r.lines[0]).toMatch(/^227 Entering Passive Mode \(10,0,0,1,\d+,\d+\)\.$/)
    suite.server().server.faults.pasvAddress = '169.254.169.254'
    expect((await c.cmd('PASV')).lines[0]).toMatch(/\(169,254,169,254,/)
    // curl ignores the PASV address (CURLOPT_FTP_SKIP_PASV_IP), so the transfer still works.
    const dl = await curl('--disable-epsv', `${suite.server().url}/hello.txt`)
    expect(dl.stdout.toString()).toBe('hello world\n')
  })

  it('intercepts: 421 mid-session for the next command only', async () => {
    suite.server().server.intercept(
      'retr',
      async (ctx) => {
        await ctx.reply(421, 'Service shutting down.')
        ctx.close()
      },
      { times: 1 },
    )
    const c = await client()
    expect((await c.cmd('RETR hello.txt')).code).toBe(421)
    await c.whenClosed()
    expect((await curl(`${suite.server().url}/hello.txt`)).stdout.toString()).toBe('hello world\n')
  })
})
