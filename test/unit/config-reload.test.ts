/**
 * Reloading GATEWAY_CONFIG (what SIGHUP runs): a valid file replaces the tree and the live
 * settings, restart-only settings keep their running value and are named; an invalid file is
 * refused with every problem and nothing changes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { reloadConfig } from '../../src/config/reload.js'
import { loadConfig } from '../../src/config.js'
import { testConfig } from '../helpers/config.js'

const dir = mkdtempSync(path.join(tmpdir(), 'ftpgw-reload-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const newFile = () => path.join(dir, `g${++n}.yaml`)

const base = (extra = '') => `port: 9090
logLevel: info
redis: { keyPrefix: "a:" }
${extra}upstreams:
  web: { url: ftp://127.0.0.1:2121 }
mounts:
  - { path: /, upstream: web }
`

describe('reloadConfig', () => {
  it('takes new upstreams, mounts and logLevel; restart-only changes keep their value and are named', () => {
    const file = newFile()
    writeFileSync(file, base())
    const first = loadConfig({ GATEWAY_CONFIG: file })
    writeFileSync(
      file,
      `port: 9191
logLevel: debug
redis: { keyPrefix: "b:" }
cache: { ttlMs: 1 }
upstreams:
  web: { url: ftp://127.0.0.1:2121 }
  archive: { url: ftp://127.0.0.1:2122, readOnly: true }
mounts:
  - { path: /, upstream: web }
  - { path: /archive, upstream: archive, allow: [group:staff] }
`,
    )
    const r = reloadConfig(first, {})
    if (!r.ok) throw new Error(r.problems.join('\n'))
    expect(r.restartNeeded).toEqual(['port', 'redis.keyPrefix', 'cache.ttlMs'])
    expect(r.config.port).toBe(9090)
    expect(r.config.redisKeyPrefix).toBe('a:')
    expect(r.config.cacheTtlMs).toBe(5000)
    expect(r.config.logLevel).toBe('debug')
    expect(r.config.upstreams.map((u) => [u.name, u.readOnly])).toEqual([
      ['web', false],
      ['archive', true],
    ])
    expect(r.config.mounts.map((m) => [m.path, m.allow])).toEqual([
      ['/', ['*']],
      ['/archive', ['group:staff']],
    ])
    expect(r.config.configFile).toBe(file)
    expect(Object.isFrozen(r.config)).toBe(true)
    // The next reload compares with what runs now: the same file again changes nothing more,
    // and still names what waits for a restart.
    const again = reloadConfig(r.config, {})
    if (!again.ok) throw new Error('refused')
    expect(again.restartNeeded).toEqual(['port', 'redis.keyPrefix', 'cache.ttlMs'])
    expect(again.config.port).toBe(9090)
  })

  it('an invalid file is refused with every problem, each with its line', () => {
    const file = newFile()
    writeFileSync(file, base())
    const first = loadConfig({ GATEWAY_CONFIG: file })
    writeFileSync(
      file,
      'port: x\nupstreams:\n  web: { url: http://h }\nmounts:\n  - { path: /, upstream: gone }\n',
    )
    expect(reloadConfig(first, {})).toEqual({
      ok: false,
      problems: [
        `${file}:1: port must be an integer from 0 to 65535 (got "x")`,
        `${file}:3: upstreams.web is not mounted (add a mount for it, or remove it)`,
        `${file}:3: upstreams.web.url: scheme must be ftp, ftpes or ftps (got http)`,
        `${file}:5: mounts[0].upstream "gone" is not one of the upstreams (web)`,
      ],
    })
    writeFileSync(file, 'upstreams: [')
    const syntax = reloadConfig(first, {})
    expect(syntax.ok).toBe(false)
    expect(!syntax.ok && syntax.problems[0]).toMatch(new RegExp(`^${file}:1:\\d+: yaml syntax`))
    rmSync(file)
    const gone = reloadConfig(first, {})
    expect(!gone.ok && gone.problems[0]).toMatch(/^GATEWAY_CONFIG: cannot read .*ENOENT/)
  })

  it("the environment's overrides still win on reload, so they are not changes", () => {
    const file = newFile()
    writeFileSync(file, base())
    const env = { PORT: '7070' }
    const first = loadConfig({ ...env, GATEWAY_CONFIG: file })
    writeFileSync(file, base().replace('port: 9090', 'port: 9191'))
    const r = reloadConfig(first, env)
    expect(r).toMatchObject({ ok: true, restartNeeded: [] })
    expect(r.ok && r.config.port).toBe(7070)
    expect(r.ok && r.config.overriddenByEnv).toEqual(['PORT'])
  })

  it('keeps the session key: random per process without a secret (no warning), the old one when the secret changes', () => {
    const file = newFile()
    writeFileSync(file, base())
    const first = loadConfig({ GATEWAY_CONFIG: file })
    const same = reloadConfig(first, {})
    expect(same).toMatchObject({ ok: true, restartNeeded: [] })
    expect(same.ok && same.config.sessionKey.equals(first.sessionKey)).toBe(true)

    writeFileSync(file, base(`sessionSecret: ${'s'.repeat(20)}\n`))
    const changed = reloadConfig(first, {})
    expect(changed).toMatchObject({ ok: true, restartNeeded: ['sessionSecret'] })
    expect(changed.ok && changed.config.sessionKey.equals(first.sessionKey)).toBe(true)
  })

  it('a gateway configured by the environment only has nothing to reload', () => {
    expect(reloadConfig(testConfig(), {})).toEqual({
      ok: false,
      problems: ['no GATEWAY_CONFIG: the gateway was configured by the environment only'],
    })
  })
})
