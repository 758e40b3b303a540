/**
 * gateway.example.yaml: generated from the spec (drift test, like the README's table), loads
 * without a problem once its secret, CA and certificate paths exist, and every commented-out value in it is
 * valid too (uncommented, the only problem left is the deliberate choice between Redis setups).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EXAMPLE_FILE, EXAMPLE_VALUES, exampleConfigYaml } from '../../src/config/example.js'
import { SETTINGS } from '../../src/config/spec.js'
import { type ConfigError, loadConfig } from '../../src/config.js'
import { issueLeaf, makeTestCa } from '../helpers/tls.js'

const REPO = path.resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(path.join(tmpdir(), 'ftpgw-example-'))
// The gateway's own certificate must be a real pair (loadConfig builds a TLS context from it).
const testCa = await makeTestCa()
const leaf = await issueLeaf(testCa, 'example')
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await testCa.cleanup()
})

/** The example with its secret, CA and certificate files pointing at real files. */
function runnable(text: string): string {
  const secret = path.join(dir, 'partner-ftp')
  const ca = path.join(dir, 'partner-ca.pem')
  const cert = path.join(dir, 'tls.crt')
  const key = path.join(dir, 'tls.key')
  writeFileSync(secret, 'pw\n')
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n')
  writeFileSync(cert, leaf.cert)
  writeFileSync(key, leaf.key)
  return text
    .replaceAll('/run/secrets/partner-ftp', secret)
    .replaceAll('/etc/ftp-gateway/partner-ca.pem', ca)
    .replaceAll('/etc/ftp-gateway/tls/tls.crt', cert)
    .replaceAll('/etc/ftp-gateway/tls/tls.key', key)
}

function load(text: string) {
  const file = path.join(dir, `example-${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(file, text)
  return loadConfig({ GATEWAY_CONFIG: file })
}

describe(EXAMPLE_FILE, () => {
  const text = readFileSync(path.join(REPO, EXAMPLE_FILE), 'utf8')

  it('is the one the spec makes (regenerate: npx tsx scripts/generate-config-docs.ts)', () => {
    expect(text).toBe(exampleConfigYaml())
  })

  it('loads without a problem: three upstreams in one tree', () => {
    const c = load(runnable(text))
    expect(c.upstreams.map((u) => u.name)).toEqual(['partner', 'legacy', 'web'])
    expect(c.upstreams[0]).toMatchObject({ serviceAccount: true, url: { user: 'exchange', password: 'pw' } })
    expect(c.upstreams[1]).toMatchObject({ encoding: 'latin1', timezone: 'Europe/Berlin', readOnly: true })
    expect(c.mounts.map((m) => [m.path, m.upstream, m.root])).toEqual([
      ['/', 'web', ''],
      ['/partner', 'partner', ''],
      ['/archive', 'legacy', 'archive'],
    ])
    expect(c.overriddenByEnv).toEqual([])
  })

  it('documents every key: uncommented, every value shown is valid', () => {
    const [settings, mounts] = runnable(text).split('\nmounts:\n')
    // Every `# key: value` and `# group:` line of the settings and upstreams, uncommented (doc
    // lines may start with a word and a colon too, so only the spec's key words count).
    const words = new Set(Object.values(SETTINGS).flatMap((s) => s.key.split('.')))
    const live = (settings as string).replace(/^(\s*)# ([a-zA-Z]+)(:( .*)?)$/gm, (line, indent, key, rest) =>
      words.has(key) ? `${indent}${key}${rest}` : line,
    )
    for (const s of Object.values(SETTINGS)) {
      if (s.key === '' || s.scope === 'local') continue
      const last = s.key.split('.').at(-1) as string
      expect(live, s.key).toMatch(new RegExp(`^\\s*${last}: `, 'm'))
    }
    let problems: string[] = []
    try {
      load(`${live}\nmounts:\n${mounts}`)
    } catch (err) {
      problems = (err as ConfigError).problems
    }
    // Exclusive settings, both shown in the example: each pair is one problem.
    expect(problems).toEqual([
      'Set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES',
      'OIDC_CLIENT_SECRET (oidc.clientSecret) and OIDC_CLIENT_SECRET_FILE (oidc.clientSecretFile) are both set: keep one',
    ])
  })

  it('has an example value for every setting without a default', () => {
    for (const [id, s] of Object.entries(SETTINGS)) {
      if (s.fallback !== undefined || s.key === '' || s.scope === 'local') continue
      const example = EXAMPLE_VALUES[id as keyof typeof SETTINGS]
      expect(example, s.env).toBeDefined()
      const raw = Array.isArray(example) ? example.join(',') : example
      expect(s.parse(raw, s.key), s.env).toMatchObject({ ok: true })
    }
  })
})
