/** cadaver (neon) runs a scripted session against /dav/: ls, put, get, mkcol, lock, unlock, move, rm. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { type RunningGateway, runCommand, startGateway } from './harness.js'

describe('cadaver over /dav/', () => {
  let ftp: FtpServerHandle
  let gw: RunningGateway
  let home: string

  beforeAll(async () => {
    ftp = await startVsftpd()
    gw = await startGateway(ftp)
    home = await mkdtemp(path.join(tmpdir(), 'ftpgw-cadaver-'))
    // cadaver takes credentials from ~/.netrc instead of prompting.
    await writeFile(
      path.join(home, '.netrc'),
      `machine 127.0.0.1\nlogin ${ftp.user}\npassword ${ftp.password}\n`,
      {
        mode: 0o600,
      },
    )
    await writeFile(path.join(home, 'hello.txt'), 'hello from cadaver\n')
  })
  afterAll(async () => {
    await gw?.gateway.close(100)
    await ftp?.stop()
    if (home) await rm(home, { recursive: true, force: true })
  })

  it('runs a scripted session with the expected results', { timeout: 60_000 }, async () => {
    const script = [
      'mkcol docs',
      'cd docs',
      'put hello.txt',
      'ls',
      'get hello.txt copy.txt',
      'lock hello.txt',
      'discover hello.txt',
      'unlock hello.txt',
      'move hello.txt renamed.txt',
      'ls',
      'put hello.txt gone.txt',
      'rm gone.txt',
      'quit',
    ].join('\n')
    const r = await runCommand('cadaver', [gw.url], { env: { HOME: home }, input: `${script}\n`, cwd: home })
    const out = r.stdout + r.stderr
    expect(out).toMatch(/Creating `docs': succeeded/)
    expect(out).toMatch(/Uploading hello.txt to `\/dav\/docs\/hello.txt': .*succeeded/)
    expect(out).toMatch(/hello\.txt\s+19/)
    expect(out).toMatch(/Downloading `\/dav\/docs\/hello.txt' to copy.txt: .*succeeded/)
    expect(out).toMatch(/Locking `hello.txt': succeeded/)
    expect(out).toMatch(/Lock token <urn:uuid:/)
    expect(out).toMatch(/Depth 0 on .*Scope: exclusive {2}Type: write {2}Timeout: 3600 seconds/s)
    expect(out).toMatch(/Unlocking `hello.txt': succeeded/)
    expect(out).toMatch(/Moving `\/dav\/docs\/hello.txt' to `\/dav\/docs\/renamed.txt':\s*succeeded/)
    expect(out).toMatch(/renamed\.txt\s+19/)
    expect(out).toMatch(/Deleting `gone.txt': succeeded/)
    expect(out).not.toMatch(/failed/)

    expect(await readFile(path.join(home, 'copy.txt'), 'utf8')).toBe('hello from cadaver\n')
    expect(await readFile(path.join(ftp.root, 'docs', 'renamed.txt'), 'utf8')).toBe('hello from cadaver\n')
    await expect(stat(path.join(ftp.root, 'docs', 'hello.txt'))).rejects.toThrow()
    await expect(stat(path.join(ftp.root, 'docs', 'gone.txt'))).rejects.toThrow()
  })
})
