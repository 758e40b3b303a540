import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { README_MARKS, settingsTable, withSettingsTable } from '../../src/config/docs.js'
import { CONFIG_NAMES, readSettings, SETTINGS } from '../../src/config/spec.js'
import { loadConfig } from '../../src/config.js'

const REPO = path.resolve(import.meta.dirname, '../..')

describe('the config spec', () => {
  it("README's settings table is the one the spec makes (regenerate: npx tsx scripts/generate-config-docs.ts)", () => {
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8')
    expect(readme).toContain(README_MARKS.start)
    expect(withSettingsTable(readme)).toBe(readme)
  })

  it('the table has one row per setting, naming each environment variable once', () => {
    const rows = settingsTable().split('\n').slice(2)
    expect(rows).toHaveLength(CONFIG_NAMES.length)
    for (const name of CONFIG_NAMES)
      expect(rows.filter((r) => r.startsWith(`| \`${name}\` |`))).toHaveLength(1)
    expect(new Set(CONFIG_NAMES).size).toBe(CONFIG_NAMES.length)
  })

  it('every setting has a doc, a documented default and a unique config-file key within its scope', () => {
    const keys = new Set<string>()
    for (const s of Object.values(SETTINGS)) {
      expect(s.doc.length, s.env).toBeGreaterThan(5)
      expect(s.defaultDoc.length, s.env).toBeGreaterThan(0)
      expect(s.env).toMatch(/^[A-Z][A-Z0-9_]*$/)
      // GATEWAY_CONFIG names the file itself, so it has no key in one.
      if (s.env === 'GATEWAY_CONFIG') {
        expect(s.key).toBe('')
        continue
      }
      expect(s.key).toMatch(/^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/)
      const scoped = `${s.scope}:${s.key}`
      expect(keys.has(scoped), scoped).toBe(false)
      keys.add(scoped)
    }
  })

  it('an absent setting takes its fallback, and loadConfig leaves no field undefined that has a default', () => {
    const problems: string[] = []
    const values = readSettings({}, problems)
    expect(problems).toEqual([])
    for (const [id, s] of Object.entries(SETTINGS))
      expect(values[id as keyof typeof values]).toEqual(s.fallback)
    const config = loadConfig({ FTP_URL: 'ftp://h' })
    for (const [field, value] of Object.entries(config)) {
      if (
        [
          'local',
          'redisUrl',
          'htpasswdFile',
          'redisSentinels',
          'redisClusterNodes',
          'trustProxyWarning',
          'tls',
          'configFile',
          'otelEndpoint',
          'oidc',
        ].includes(field)
      )
        continue
      expect(value, field).not.toBeUndefined()
    }
  })

  it('reports every bad value at once, without echoing secrets', () => {
    const problems: string[] = []
    readSettings(
      {
        PORT: 'x',
        FTP_POOL_MAX: '1',
        TRUST_PROXY: 'maybe',
        SESSION_SECRET: 'short-secret-x',
        LOG_LEVEL: 'loud',
      },
      problems,
    )
    expect(problems).toHaveLength(5)
    expect(problems.join('\n')).not.toContain('short-secret-x')
  })

  it('parsers accept what a config file gives (numbers and booleans) as well as strings', () => {
    expect(SETTINGS.port.parse(8081, 'port')).toEqual({ ok: true, value: 8081 })
    expect(SETTINGS.trustProxy.parse(true, 'trustProxy')).toEqual({ ok: true, value: 1 })
    expect(SETTINGS.readyRequiresStore.parse(true, 'readyRequiresStore')).toEqual({ ok: true, value: true })
    expect(SETTINGS.ftpPoolMax.parse(1, 'pool.perIdentity')).toMatchObject({ ok: false })
    expect(SETTINGS.ftpActivePorts.parse('10-9', 'activePorts')).toMatchObject({ ok: false })
  })
})
