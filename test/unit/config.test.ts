import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

const problemsOf = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig(env)
    return []
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
}

describe('loadConfig', () => {
  it('defaults to local mode on loopback', () => {
    const c = loadConfig({})
    expect(c.local).toMatchObject({ user: 'demo', password: 'demo' })
    expect(c.host).toBe('127.0.0.1')
    expect(c.port).toBe(8080)
    expect(c.upstreams).toEqual([])
    expect(c.mounts).toEqual([])
    expect(c.sessionKey).toHaveLength(32)
    expect(Object.isFrozen(c)).toBe(true)
  })

  it('reads an upstream with every FTP setting', () => {
    const c = loadConfig({
      FTP_URL: 'ftpes://svc:p%40ss@ftp.example:2121/srv',
      FTP_DATA_MODE: 'auto',
      FTP_ACTIVE_PORTS: '40000-40100',
      FTP_POOL_MAX: '3',
      FTP_POOL_MAX_TOTAL: '9',
      FTP_TIMEOUT_MS: '5000',
      TRUST_PROXY: 'true',
    })
    expect(c.host).toBe('0.0.0.0')
    expect(c.serviceAccount).toBe(true)
    expect(c.mounts).toEqual([
      { path: '/', upstream: 'default', root: '', readOnly: false, allow: ['*'], write: ['*'] },
    ])
    expect(c.upstreams[0]).toMatchObject({
      name: 'default',
      url: {
        host: 'ftp.example',
        port: 2121,
        secure: 'explicit',
        user: 'svc',
        password: 'p@ss',
        root: '/srv',
      },
      dataMode: 'auto',
      activePorts: [40000, 40100],
      poolMax: 3,
      poolMaxTotal: 9,
      timeoutMs: 5000,
    })
    // The legacy boolean is one hop, with a warning for the start-up log.
    expect(c.trustProxy).toBe(1)
    expect(c.trustProxyWarning).toMatch(/TRUST_PROXY=1/)
  })

  it('TRUST_PROXY trusts only configured hops: false, a hop count, or proxy addresses/CIDRs', () => {
    expect(loadConfig({}).trustProxy).toBe(false)
    for (const off of ['false', '0', 'no']) expect(loadConfig({ TRUST_PROXY: off }).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: '2' })).toMatchObject({ trustProxy: 2, trustProxyWarning: undefined })
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1,fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
      'fd00::/8',
      'loopback',
    ])
    for (const bad of ['maybe', '11', '10.0.0.0/33', '10.0.0.1,proxy.example', '1.2.3.4/', '-1']) {
      expect(problemsOf({ TRUST_PROXY: bad }).join('\n'), bad).toMatch(
        /TRUST_PROXY must be false, a hop count/,
      )
    }
  })

  it('MEMORY_TUNING: on by default, `false` turns the memory work off', () => {
    expect(loadConfig({}).memoryTuning).toBe(true)
    expect(loadConfig({ MEMORY_TUNING: 'false' }).memoryTuning).toBe(false)
    expect(() => loadConfig({ MEMORY_TUNING: 'maybe' })).toThrow(/MEMORY_TUNING/)
  })

  it('derives the same session key from the same secret', () => {
    const a = loadConfig({ SESSION_SECRET: 'x'.repeat(32) })
    const b = loadConfig({ SESSION_SECRET: 'x'.repeat(32) })
    expect(a.sessionKey.equals(b.sessionKey)).toBe(true)
  })

  it('takes any ASCII-compatible encoding for FTP_ENCODING and refuses the others', () => {
    const base = { FTP_URL: 'ftp://127.0.0.1:21' }
    expect(loadConfig({ ...base, FTP_ENCODING: 'Shift_JIS' }).upstreams[0]?.encoding).toBe('shift_jis')
    expect(loadConfig({ ...base, FTP_ENCODING: 'windows-1252' }).upstreams[0]?.encoding).toBe('windows-1252')
    expect(problemsOf({ ...base, FTP_ENCODING: 'utf16le' }).join('\n')).toMatch(
      /FTP_ENCODING must be ASCII-compatible/,
    )
    expect(problemsOf({ ...base, FTP_ENCODING: 'klingon' }).join('\n')).toMatch(
      /FTP_ENCODING must be an encoding/,
    )
  })

  it('lists every problem at once', () => {
    const problems = problemsOf({
      PORT: '99999',
      FTP_URL: 'http://nope',
      FTP_DATA_MODE: 'sideways',
      FTP_ACTIVE_PORTS: '5-1',
      FTP_POOL_MAX: '1',
      TRUST_PROXY: 'maybe',
      REDIS_URL: 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'loud',
      FTP_TLS_CA_FILE: '/nonexistent/ca.pem',
    })
    expect(problems.join('\n')).toMatch(/PORT/)
    expect(problems.join('\n')).toMatch(/scheme/)
    expect(problems.join('\n')).toMatch(/FTP_DATA_MODE/)
    expect(problems.join('\n')).toMatch(/FTP_ACTIVE_PORTS/)
    expect(problems.join('\n')).toMatch(/FTP_POOL_MAX/)
    expect(problems.join('\n')).toMatch(/TRUST_PROXY/)
    expect(problems.join('\n')).toMatch(/SESSION_SECRET is required/)
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/)
    expect(problems.join('\n')).toMatch(/FTP_TLS_CA_FILE/)
    expect(problems).toHaveLength(9)
  })

  it('reads the HTTP client timeouts, with defaults', () => {
    const d = loadConfig({})
    expect(d.httpHeadersTimeoutMs).toBe(15_000)
    expect(d.httpBodyIdleTimeoutMs).toBe(60_000)
    const c = loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '1500', HTTP_BODY_IDLE_TIMEOUT_MS: '100' })
    expect(c.httpHeadersTimeoutMs).toBe(1500)
    expect(c.httpBodyIdleTimeoutMs).toBe(100)
  })

  it.each(['0', '99', '-1', '1.5', '1e4', 'soon', '2147483648'])(
    'refuses HTTP_HEADERS_TIMEOUT_MS and HTTP_BODY_IDLE_TIMEOUT_MS = %j',
    (value) => {
      const problems = problemsOf({ HTTP_HEADERS_TIMEOUT_MS: value, HTTP_BODY_IDLE_TIMEOUT_MS: value })
      expect(problems).toHaveLength(2)
      expect(problems[0]).toMatch(/^HTTP_HEADERS_TIMEOUT_MS must be an integer from 100 to 2147483647/)
      expect(problems[1]).toMatch(/^HTTP_BODY_IDLE_TIMEOUT_MS must be an integer from 100 to 2147483647/)
    },
  )

  it('reads the content cache limits, with defaults, and refuses bad ones', () => {
    const d = loadConfig({})
    expect(d.cacheContentMaxBytes).toBe(32 * 1024 * 1024)
    expect(d.cacheContentMaxFileBytes).toBe(64 * 1024)
    const c = loadConfig({ CACHE_CONTENT_MAX_BYTES: '0', CACHE_CONTENT_MAX_FILE_BYTES: '1024' })
    expect(c.cacheContentMaxBytes).toBe(0)
    expect(c.cacheContentMaxFileBytes).toBe(1024)
    for (const value of ['-1', '1.5', 'lots'])
      expect(problemsOf({ CACHE_CONTENT_MAX_BYTES: value })[0]).toMatch(/^CACHE_CONTENT_MAX_BYTES must be/)
    // More than 16 MiB per file would no longer be a small file held whole in memory.
    expect(problemsOf({ CACHE_CONTENT_MAX_FILE_BYTES: String(16 * 1024 * 1024 + 1) })[0]).toMatch(
      /^CACHE_CONTENT_MAX_FILE_BYTES must be/,
    )
  })

  it('never puts credentials in its error messages', () => {
    const problems = problemsOf({ FTP_URL: 'ftp://user:hunter2@host', FTP_POOL_MAX: 'x' })
    expect(problems.join('\n')).not.toContain('hunter2')
  })

  it('credentials: service by default with an account, else passthrough; mapped on request; mismatches are problems', () => {
    expect(loadConfig({ FTP_URL: 'ftp://u:p@h' }).upstreams[0]).toMatchObject({
      credentials: 'service',
      serviceAccount: true,
    })
    expect(loadConfig({ FTP_URL: 'ftp://h' }).upstreams[0]).toMatchObject({
      credentials: 'passthrough',
      serviceAccount: false,
    })
    const mapped = loadConfig({ FTP_URL: 'ftp://h', FTP_CREDENTIALS: 'mapped' })
    expect(mapped.upstreams[0]).toMatchObject({ credentials: 'mapped', serviceAccount: false })
    // No upstream takes passthrough logins: clients authenticate to the gateway itself.
    expect(mapped.serviceAccount).toBe(true)
    expect(problemsOf({ FTP_URL: 'ftp://h', FTP_CREDENTIALS: 'service' }).join('\n')).toMatch(
      /service needs an account/,
    )
    expect(problemsOf({ FTP_URL: 'ftp://u:p@h', FTP_CREDENTIALS: 'mapped' }).join('\n')).toMatch(
      /takes no account/,
    )
    expect(problemsOf({ FTP_URL: 'ftp://h', FTP_CREDENTIALS: 'linked' }).join('\n')).toMatch(
      /FTP_CREDENTIALS must be passthrough, service or mapped/,
    )
  })
})
