/**
 * The `ftp-gateway` command, run as a process (src/cli.ts through tsx's loader, as process-gateway
 * does for main.ts: a stale dist/ would test yesterday's code): help complete from the spec,
 * version, wrong command lines, check-config on good and bad files, hash-password, and serve with
 * flags against a real vsftpd (service-account mode with an htpasswd line made by hash-password),
 * and `serve --tls` in local mode.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { pathToFileURL } from 'node:url'
import bcrypt from 'bcryptjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { flagOf } from '../../../src/config/flags.js'
import { SETTINGS } from '../../../src/config/spec.js'
import { pickFreePort, REPO_DIR } from '../../helpers/process-gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'
import { waitFor } from '../../helpers/wait-for.js'

const TSX_LOADER = pathToFileURL(path.join(REPO_DIR, 'node_modules/tsx/dist/loader.mjs')).href
const CLI = path.join(REPO_DIR, 'src/cli.ts')
// Only what the CLI needs: the test runner's environment (REDIS_URL…) must not leak into it.
const BASE_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI to completion. */
function cli(
  args: string[],
  options: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI, ...args], {
      cwd: options.cwd ?? REPO_DIR,
      env: { ...BASE_ENV, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** A CLI process that keeps running (serve), with its output so far. */
function cliProcess(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const child: ChildProcess = spawn(process.execPath, ['--import', TSX_LOADER, CLI, ...args], {
    cwd: options.cwd ?? REPO_DIR,
    env: { ...BASE_ENV, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return {
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

let work: string
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'ftpgw-cli-'))
})
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe('ftp-gateway --help and version', () => {
  it('lists every setting of the spec with its flag, environment name and default', async () => {
    const r = await cli(['--help'])
    expect(r.code).toBe(0)
    for (const s of Object.values(SETTINGS)) {
      expect(r.stdout, s.env).toContain(`${flagOf(s.env)} VALUE   env ${s.env}`)
      expect(r.stdout, s.env).toContain(s.defaultDoc.replaceAll('`', ''))
    }
    for (const command of ['serve', 'check-config FILE', 'hash-password', 'version'])
      expect(r.stdout).toContain(command)
    expect((await cli(['serve', '--help'])).stdout).toBe(r.stdout)
  })

  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO_DIR, 'package.json'), 'utf8'))
    const r = await cli(['version'])
    expect(r).toMatchObject({ code: 0, stdout: `ftp-gateway ${pkg.version}\n` })
    expect(pkg.bin).toEqual({ 'ftp-gateway': 'dist/cli.js' })
    expect((await readFile(CLI, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true)
  })

  it('refuses unknown commands and flags with exit 2 and a hint', async () => {
    for (const args of [
      ['frobnicate'],
      ['serve', '--no-such-flag'],
      ['serve', '--port'],
      ['serve', 'extra'],
      ['version', 'x'],
      ['check-config'],
      ['check-config', '--strict', 'f'],
    ]) {
      const r = await cli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(/^ftp-gateway: .+\nrun ftp-gateway --help/)
    }
  })
})

describe('ftp-gateway check-config', () => {
  it('says OK for a good environment file', async () => {
    const file = path.join(work, 'good.env')
    await writeFile(
      file,
      '# production\nFTP_URL=ftp://ftp.example.net:21\nPORT=9000\nexport RATE_LIMIT_MAX=100\n',
    )
    const r = await cli(['check-config', file])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      [
        `${file}: OK`,
        '  listens on 0.0.0.0:9000; state in memory (one instance)',
        '  upstream default: ftp://ftp.example.net:21 (users log in as themselves)',
        '  mount / -> default:/; allow *, write *',
        '  plain HTTP (no TLS_CERT_FILE)',
        '',
      ].join('\n'),
    )
  })

  it('prints every problem of a bad file and exits 1', async () => {
    const file = path.join(work, 'bad.env')
    await writeFile(
      file,
      [
        'FTP_URL=ftp://ftp.example.net',
        'PORT=eighty',
        'FTP_POOL_MAX=1',
        'FTP_POLL_MAX=8',
        'TLS_CERT_FILE=/nonexistent/cert.pem',
        'REDIS_URL=redis://127.0.0.1:6379',
      ].join('\n'),
    )
    const r = await cli(['check-config', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${file}: 5 problems`)
    for (const p of [
      'FTP_POLL_MAX is not a setting',
      'PORT must be an integer',
      'FTP_POOL_MAX must be an integer from 2',
      'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
      'SESSION_SECRET is required',
    ])
      expect(r.stderr).toContain(p)
  })

  it('reports a file it cannot read', async () => {
    const r = await cli(['check-config', path.join(work, 'missing.yaml')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/missing\.yaml cannot be read/)
  })

  it('checks a YAML config file (GATEWAY_CONFIG): OK with its summary, or every problem with its line', async () => {
    const good = path.join(work, 'gateway.yaml')
    await writeFile(
      good,
      [
        'port: 9443',
        'upstreams:',
        '  files:',
        '    url: ftp://ftp.example.net:21',
        'mounts:',
        '  - { path: /, upstream: files }',
        '',
      ].join('\n'),
    )
    const ok = await cli(['check-config', good])
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain(`${good}: OK\n  config file ${good}`)
    expect(ok.stdout).toContain('  upstream files: ftp://ftp.example.net:21')

    const bad = path.join(work, 'bad.yaml')
    await writeFile(
      bad,
      [
        'port: not-a-port',
        'upstreams:',
        '  files:',
        '    url: ftp://ftp.example.net:21',
        '    pool:',
        '      perIdentity: 1',
        'mounts:',
        '  - { path: /, upstream: nowhere }',
        '',
      ].join('\n'),
    )
    const r = await cli(['check-config', bad])
    expect(r.code).toBe(1)
    expect(r.stderr, r.stderr).toMatch(/: 4 problems\n/)
    expect(r.stderr).toMatch(/bad\.yaml:3: upstreams.files is not mounted/)
    expect(r.stderr).toMatch(/bad\.yaml:1: .*port/i)
    expect(r.stderr).toMatch(/bad\.yaml:6: .*perIdentity/)
    expect(r.stderr).toMatch(/bad\.yaml:8: .*nowhere/)
  })
})

describe('ftp-gateway hash-password', () => {
  it('hashes a piped password for an htpasswd line', async () => {
    const r = await cli(['hash-password', '--user', 'bob'], { input: 'correct horse\n' })
    expect(r.code).toBe(0)
    const m = /^bob:(\$2b\$10\$[./A-Za-z0-9]{53})\n$/.exec(r.stdout)
    expect(m, r.stdout).not.toBeNull()
    expect(await bcrypt.compare('correct horse', m?.[1] ?? '')).toBe(true)
    expect(await bcrypt.compare('correct horse\n', m?.[1] ?? '')).toBe(false)
  })

  it('prompts on a terminal without echoing, twice (a pseudo-terminal from script(1))', {
    timeout: 60_000,
  }, async () => {
    const command = [process.execPath, '--import', TSX_LOADER, CLI, 'hash-password', '--user', 'dan']
      .map((a) => `'${a}'`)
      .join(' ')
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: REPO_DIR,
      env: BASE_ENV,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    try {
      // Typed only once asked: the terminal echoes what arrives before the prompt turns echo off.
      expect(await waitFor(() => out.includes('Password: '), 30_000), out).toBe(true)
      child.stdin.write('typed-secret\r')
      expect(await waitFor(() => out.includes('Again: '), 10_000), out).toBe(true)
      child.stdin.write('typed-secret\r')
      expect(await exited).toBe(0)
    } finally {
      child.kill()
    }
    expect(out).not.toContain('typed-secret')
    const hash = /dan:(\$2b\$10\$\S{53})/.exec(out)?.[1] ?? ''
    expect(await bcrypt.compare('typed-secret', hash)).toBe(true)
  })

  it('refuses an empty password and a bad user name', async () => {
    expect((await cli(['hash-password'], { input: '\n' })).code).toBe(1)
    expect((await cli(['hash-password', '--user', 'a:b'], { input: 'x\n' })).code).toBe(2)
  })
})

describe('ftp-gateway serve', () => {
  let ftp: FtpServerHandle
  beforeAll(async () => {
    ftp = await startVsftpd()
  })
  afterAll(async () => {
    await ftp?.stop()
  })

  it('takes every setting as a flag (service account over vsftpd, htpasswd from hash-password)', {
    timeout: 60_000,
  }, async () => {
    const hashed = await cli(['hash-password', '--user', 'carol'], { input: 'carol-pw\n' })
    const htpasswd = path.join(work, 'htpasswd')
    await writeFile(htpasswd, hashed.stdout)
    const port = await pickFreePort()
    const gw = cliProcess([
      'serve',
      `--ftp-url=ftp://${ftp.user}:${ftp.password}@127.0.0.1:${ftp.port}`,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--gateway-htpasswd',
      htpasswd,
      '--log-level',
      'warn',
      '--session-secret',
      'a-secret-of-32-characters-------',
    ])
    try {
      const base = `http://127.0.0.1:${port}`
      const ready = await waitFor(
        () =>
          fetch(`${base}/readyz`).then(
            (r) => r.status === 200,
            () => false,
          ),
        30_000,
        100,
      )
      expect(ready, gw.output()).toBe(true)
      const as = (user: string, pw: string) =>
        fetch(`${base}/api/v1/dirs/`, {
          headers: { authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` },
        }).then((r) => r.status)
      expect(await as('carol', 'carol-pw')).toBe(200)
      expect(await as('carol', 'wrong')).toBe(401)
    } finally {
      expect(await gw.stop()).toBe(0)
    }
  })

  it('--tls in local mode makes a self-signed certificate and prints its SHA-256 fingerprint', {
    timeout: 60_000,
  }, async () => {
    const cwd = await mkdtemp(path.join(work, 'local-'))
    const port = await pickFreePort()
    const gw = cliProcess(['serve', '--tls', '--port', String(port)], { cwd })
    try {
      const printed = () => /SHA-256 fingerprint: ([0-9A-F:]{95})/.exec(gw.output())?.[1]
      expect(await waitFor(() => printed() !== undefined, 30_000, 100), gw.output()).toBe(true)
      const certFile = /certificate made for this run: (\S+)/.exec(gw.output())?.[1] ?? ''
      const pem = await readFile(certFile, 'utf8')
      expect(new X509Certificate(pem).fingerprint256).toBe(printed())
      const served = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: pem }, () => {
          resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '')
          s.end()
        })
        s.once('error', reject)
      })
      expect(served).toBe(printed())
      expect(gw.output()).toContain(`https://127.0.0.1:${port}/browse/`)
    } finally {
      expect(await gw.stop()).toBe(0)
    }
  })

  it('--config names the config file (GATEWAY_CONFIG), checked like the rest', async () => {
    const file = path.join(work, 'serve.yaml')
    await writeFile(
      file,
      'port: not-a-port\nupstreams:\n  a:\n    url: ftp://127.0.0.1:1\nmounts:\n  - { path: /, upstream: a }\n',
    )
    const r = await cli(['serve', '--config', file])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/serve\.yaml:1: .*port/i)
  })

  it('--tls outside local mode without certificate files is refused (exit 2)', async () => {
    const r = await cli(['serve', '--tls', '--ftp-url', 'ftp://127.0.0.1:1', '--port', '0'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--tls needs TLS_CERT_FILE and TLS_KEY_FILE')
  })

  it('an invalid setting given as a flag stops serve with exit 2 and the problem', async () => {
    const r = await cli(['serve', '--port', '99999', '--rate-limit-scope', 'nobody'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('PORT must be an integer from 0 to 65535')
    expect(r.stderr).toContain('RATE_LIMIT_SCOPE must be anonymous or all')
  })
})
