/** The `oidc` settings: the issuer's form, the shorthand variables, the file's keys, every problem at once. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { issuerSetting, scopesSetting } from '../../../src/config/spec.js'
import { summarizeConfig } from '../../../src/config/summary.js'
import { type ConfigError, loadConfig } from '../../../src/config.js'

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env)
  } catch (err) {
    return (err as ConfigError).problems
  }
  return []
}

describe('issuerSetting', () => {
  it('https anywhere, http only on the loopback; no query; a trailing slash dropped', () => {
    expect(issuerSetting('https://login.example.com/realms/staff/', 'X')).toEqual({
      ok: true,
      value: 'https://login.example.com/realms/staff',
    })
    for (const host of ['127.0.0.1:8080', '[::1]:9000', 'localhost'])
      expect(issuerSetting(`http://${host}`, 'X').ok, host).toBe(true)
    for (const bad of [
      'http://login.example.com',
      'http://10.0.0.1',
      'ftp://x',
      'login.example.com',
      'https://x/?a=1',
      42,
    ])
      expect(issuerSetting(bad, 'X').ok, String(bad)).toBe(false)
  })
})

describe('scopesSetting', () => {
  it('a comma or space list; openid always asked', () => {
    expect(scopesSetting('profile, groups', 'X')).toEqual({
      ok: true,
      value: ['openid', 'profile', 'groups'],
    })
    expect(scopesSetting('openid email', 'X')).toEqual({ ok: true, value: ['openid', 'email'] })
    expect(scopesSetting('', 'X').ok).toBe(false)
    expect(scopesSetting('a"b', 'X').ok).toBe(false)
  })
})

describe('oidc in loadConfig', () => {
  const base = { FTP_URL: 'ftp://127.0.0.1:21' }

  it('the shorthand variables, with the defaults filled in (audience = client id)', () => {
    const c = loadConfig({
      ...base,
      OIDC_ISSUER: 'https://login.example.com',
      OIDC_CLIENT_ID: 'gw',
      OIDC_CLIENT_SECRET: 's3cret',
    })
    expect(c.oidc).toEqual({
      issuer: 'https://login.example.com',
      clientId: 'gw',
      clientSecret: 's3cret',
      scopes: ['openid', 'profile', 'email', 'groups'],
      usernameClaim: 'preferred_username',
      groupsClaim: 'groups',
      audience: 'gw',
    })
    expect(loadConfig(base).oidc).toBeUndefined()
    // check-config's summary names the provider, never the secret.
    const summary = summarizeConfig(c).join('\n')
    expect(summary).toContain('Bearer JWTs from https://login.example.com for audience gw')
    expect(summary).not.toContain('s3cret')
  })

  it('every problem at once: plain http elsewhere, no client id, both secrets', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ftpgw-oidc-cfg-'))
    const secretFile = path.join(dir, 'secret')
    writeFileSync(secretFile, 'x\n')
    const problems = problemsOf({
      ...base,
      OIDC_ISSUER: 'http://login.example.com',
      OIDC_CLIENT_SECRET: 'a',
      OIDC_CLIENT_SECRET_FILE: secretFile,
    })
    expect(problems).toEqual([
      expect.stringContaining('OIDC_ISSUER must use https'),
      // The issuer's value was refused, so the others are "without an issuer".
      expect.stringContaining('set without OIDC_ISSUER'),
    ])
    const more = problemsOf({
      ...base,
      OIDC_ISSUER: 'https://login.example.com',
      OIDC_CLIENT_SECRET: 'a',
      OIDC_CLIENT_SECRET_FILE: secretFile,
    })
    expect(more).toEqual([
      expect.stringContaining('needs OIDC_CLIENT_ID'),
      expect.stringContaining('are both set: keep one'),
    ])
  })

  it('the config file: oidc.* keys, the secret from a file next to it (one newline dropped)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ftpgw-oidc-cfg-'))
    writeFileSync(path.join(dir, 'oidc-secret'), 'from-file\n')
    const file = path.join(dir, 'gateway.yaml')
    writeFileSync(
      file,
      `oidc:
  issuer: http://127.0.0.1:9000/
  clientId: gw
  clientSecretFile: oidc-secret
  scopes: [profile, email]
  usernameClaim: email
  groupsClaim: roles
  audience: api://gw
upstreams:
  vs:
    url: ftp://u:p@127.0.0.1:21
`,
    )
    expect(loadConfig({ GATEWAY_CONFIG: file }).oidc).toEqual({
      issuer: 'http://127.0.0.1:9000',
      clientId: 'gw',
      clientSecret: 'from-file',
      scopes: ['openid', 'profile', 'email'],
      usernameClaim: 'email',
      groupsClaim: 'roles',
      audience: 'api://gw',
    })
    writeFileSync(
      file,
      'oidc:\n  issuer: https://x\n  clientid: gw\nupstreams:\n  vs:\n    url: ftp://u:p@h\n',
    )
    expect(problemsOf({ GATEWAY_CONFIG: file }).join('\n')).toMatch(/oidc\.clientid/)
  })
})
