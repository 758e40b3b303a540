/**
 * GATEWAY_CONFIG: YAML and JSON files read into the same frozen configuration, every problem
 * reported at once with its line, the environment's overrides recorded, upstream variables
 * refused next to a file, passwordFile read like FTP_PASSWORD_FILE, nothing silently ignored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { summarizeConfig } from '../../src/config/summary.js'
import { ConfigError, type GatewayConfig, loadConfig } from '../../src/config.js'

const dir = mkdtempSync(path.join(tmpdir(), 'ftpgw-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let n = 0
/** Writes `text` to a new file in the temporary folder and returns its path. */
function file(text: string, ext = '.yaml'): string {
  const p = path.join(dir, `c${++n}${ext}`)
  writeFileSync(p, text)
  return p
}

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

const secret = file('s3cret-from-file\n', '.txt')

const GOOD_YAML = `# two servers, one tree
port: 9090
redis:
  keyPrefix: "gw1:"
cache:
  ttlMs: 100
login: { failLimit: 3 }
trustProxy: [10.0.0.0/8, loopback]
admins: [user:alice]
logLevel: warn
upstreams:
  web:
    url: ftp://127.0.0.1:2121/srv
    pool: { perIdentity: 3, total: 9 }
    timezone: Europe/Berlin
  partner:
    url: ftpes://svc@ftp.partner.example/out
    passwordFile: ${secret}
    encoding: latin1
    tls: { insecure: true }
    readOnly: true
mounts:
  - path: //web/
    upstream: web
  - path: /partner/in
    upstream: partner
    root: /x/y/
    readOnly: true
    allow: ["!user:intern", "group:finance"]
    write: group:finance
`

const GOOD_JSON = JSON.stringify(
  {
    port: 9090,
    redis: { keyPrefix: 'gw1:' },
    cache: { ttlMs: 100 },
    login: { failLimit: 3 },
    trustProxy: ['10.0.0.0/8', 'loopback'],
    admins: ['user:alice'],
    logLevel: 'warn',
    upstreams: {
      web: { url: 'ftp://127.0.0.1:2121/srv', pool: { perIdentity: 3, total: 9 }, timezone: 'Europe/Berlin' },
      partner: {
        url: 'ftpes://svc@ftp.partner.example/out',
        passwordFile: secret,
        encoding: 'latin1',
        tls: { insecure: true },
        readOnly: true,
      },
    },
    mounts: [
      { path: '//web/', upstream: 'web' },
      {
        path: '/partner/in',
        upstream: 'partner',
        root: '/x/y/',
        readOnly: true,
        allow: ['!user:intern', 'group:finance'],
        write: 'group:finance',
      },
    ],
  },
  null,
  '\t',
)

function expectGood(c: GatewayConfig, configFile: string): void {
  expect(Object.isFrozen(c)).toBe(true)
  expect(Object.isFrozen(c.upstreams[1])).toBe(true)
  expect(Object.isFrozen(c.mounts[1]?.allow)).toBe(true)
  expect(c.local).toBeUndefined()
  expect(c.configFile).toBe(configFile)
  expect(c.host).toBe('0.0.0.0')
  expect(c).toMatchObject({
    port: 9090,
    redisKeyPrefix: 'gw1:',
    cacheTtlMs: 100,
    loginFailLimit: 3,
    trustProxy: ['10.0.0.0/8', 'loopback'],
    trustProxyWarning: undefined,
    gatewayAdmins: ['alice'],
    logLevel: 'warn',
    overriddenByEnv: [],
    serviceAccount: false,
    // Untouched settings keep the spec's defaults.
    sessionTtlMs: 3_600_000,
    rateLimitMax: 6000,
  })
  expect(c.upstreams).toEqual([
    {
      name: 'web',
      url: { host: '127.0.0.1', port: 2121, secure: 'none', root: '/srv' },
      serviceAccount: false,
      credentials: 'passthrough',
      dataMode: 'passive',
      activeAddress: undefined,
      activePorts: undefined,
      tlsCa: undefined,
      tlsInsecure: false,
      poolMax: 3,
      poolMaxTotal: 9,
      poolMaxUnverified: 4,
      reverifyMs: 300_000,
      idleTimeoutMs: 60_000,
      timeoutMs: 30_000,
      keepaliveMs: 0,
      encoding: 'utf8',
      timezone: 'Europe/Berlin',
      listHidden: true,
      readOnly: false,
    },
    expect.objectContaining({
      name: 'partner',
      url: expect.objectContaining({
        host: 'ftp.partner.example',
        port: 21,
        secure: 'explicit',
        user: 'svc',
        password: 's3cret-from-file',
        root: '/out',
      }),
      serviceAccount: true,
      encoding: 'latin1',
      tlsInsecure: true,
      readOnly: true,
      // A service account without pool.perIdentity: every client shares it, so the total (issue 22).
      poolMax: 32,
    }),
  ])
  expect(c.mounts).toEqual([
    { path: '/web', upstream: 'web', root: '', readOnly: false, allow: ['*'], write: ['*'] },
    {
      path: '/partner/in',
      upstream: 'partner',
      root: 'x/y',
      readOnly: true,
      allow: ['!user:intern', 'group:finance'],
      write: ['group:finance'],
    },
  ])
}

describe('GATEWAY_CONFIG: good files', () => {
  it('a YAML file gives the expected frozen configuration', () => {
    const p = file(GOOD_YAML)
    expectGood(loadConfig({ GATEWAY_CONFIG: p }), p)
  })

  it('the same keys in JSON (by extension, tab-indented) give the same configuration', () => {
    const p = file(GOOD_JSON, '.json')
    expectGood(loadConfig({ GATEWAY_CONFIG: p }), p)
  })

  it('JSON is recognised by its content too, and a relative path is made absolute', () => {
    const p = file(GOOD_JSON, '.conf')
    const relative = path.relative(process.cwd(), p)
    expectGood(loadConfig({ GATEWAY_CONFIG: relative }), p)
  })

  it('a byte-order mark and CRLF line ends (Windows editors) are fine, in JSON and YAML', () => {
    const json = file(`\uFEFF${GOOD_JSON.replaceAll('\n', '\r\n')}`, '.json')
    expectGood(loadConfig({ GATEWAY_CONFIG: json }), json)
    const yaml = file(`\uFEFF${GOOD_YAML.replaceAll('\n', '\r\n')}`)
    expectGood(loadConfig({ GATEWAY_CONFIG: yaml }), yaml)
  })

  it('without mounts, every upstream appears at /<name>, open to everyone', () => {
    const p = file('upstreams:\n  a: { url: ftp://h1 }\n  b-2: { url: ftp://h2 }\n')
    expect(loadConfig({ GATEWAY_CONFIG: p }).mounts).toEqual([
      { path: '/a', upstream: 'a', root: '', readOnly: false, allow: ['*'], write: ['*'] },
      { path: '/b-2', upstream: 'b-2', root: '', readOnly: false, allow: ['*'], write: ['*'] },
    ])
  })

  it('settings whose variable is a comma list take a YAML list; an empty list is an empty value', () => {
    const p = file(
      'admins: []\ntrustProxy: []\nredis:\n  sentinels: [s1:26379, "[::1]:26380"]\nsessionSecret: 0123456789abcdef\nupstreams:\n  a: { url: ftp://h }\n',
    )
    expect(loadConfig({ GATEWAY_CONFIG: p })).toMatchObject({
      gatewayAdmins: [],
      trustProxy: false,
      redisSentinels: [
        { host: 's1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    })
    const bad = file(
      'redis:\n  sentinels: []\n  clusterNodes: [{ host: a }]\nupstreams:\n  a: { url: ftp://h }\n',
    )
    expect(problemsOf({ GATEWAY_CONFIG: bad })).toEqual([
      `${bad}:2: redis.sentinels must be a list such as host1:26379,host2:26379`,
      `${bad}:3: redis.clusterNodes must be a value or a list of values (got a list)`,
    ])
  })

  it('YAML anchors and aliases are read through (one allow list shared by mounts)', () => {
    const p = file(
      'upstreams:\n  a: { url: ftp://h }\nmounts:\n  - { path: /x, upstream: a, allow: &staff [group:staff] }\n  - { path: /y, upstream: a, allow: *staff }\n',
    )
    expect(loadConfig({ GATEWAY_CONFIG: p }).mounts.map((m) => m.allow)).toEqual([
      ['group:staff'],
      ['group:staff'],
    ])
  })

  it('sessionSecret in the file satisfies Redis; trustProxy: true warns as TRUST_PROXY=true does', () => {
    const p = file(
      `redis: { url: "redis://127.0.0.1:6379" }\nsessionSecret: ${'k'.repeat(32)}\ntrustProxy: true\nupstreams:\n  a: { url: ftp://h }\n`,
    )
    const c = loadConfig({ GATEWAY_CONFIG: p })
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379')
    expect(c.sessionKey.equals(loadConfig({ SESSION_SECRET: 'k'.repeat(32) }).sessionKey)).toBe(true)
    expect(c.trustProxy).toBe(1)
    expect(c.trustProxyWarning).toMatch(/one proxy hop/)
  })
})

describe('GATEWAY_CONFIG: problems', () => {
  it('reports every kind of problem at once, each with its line and key path, in line order', () => {
    const missing = path.join(dir, 'no-such-secret')
    const p = file(`port: 99999
prot: 1
redis.url: redis://x
cache:
  ttlMS: 5
logLevel:
host: [a, b]
local: { dataDir: /tmp }
http: 5
upstreams:
  Web:
    url: ftp://h
  ok:
    dataMode: sideways
    pool: { perIdentity: 10, total: 5 }
    passwordFile: ${missing}
    name: x
  bad-url:
    url: http://nope
    tls: { caFile: ${missing}, verify: true }
mounts:
  - path: /a
    upstream: ok
    allow: [everyone]
  - path: /a/
    upstream: nope
  - upstream: bad-url
    extra: 1
    root: ../x
    readOnly: maybe
  - path: relative
    upstream: ok
  - just a string
`)
    expect(problemsOf({ GATEWAY_CONFIG: p })).toEqual([
      `${p}:1: port must be an integer from 0 to 65535 (got "99999")`,
      `${p}:2: unknown key prot (did you mean port?)`,
      `${p}:3: redis.url: write a dotted key as nested mappings (redis: { url … })`,
      `${p}:5: unknown key cache.ttlMS (did you mean cache.ttlMs?)`,
      `${p}:6: logLevel has no value (leave the key out to keep the default)`,
      `${p}:7: host must be a single value (got a list)`,
      `${p}:8: local: is for local mode only (DATA_DIR, LOCAL_USER, LOCAL_PASSWORD without a config file)`,
      `${p}:9: http must be a mapping of headersTimeoutMs, bodyIdleTimeoutMs, keepAliveTimeoutMs, maxConnectionsPerAddress (got 5)`,
      `${p}:11: upstream name "Web" must be lower-case letters, digits and dashes`,
      `${p}:13: upstreams.ok.url is required (such as ftpes://host:21/base)`,
      `${p}:14: upstreams.ok.dataMode must be passive, active or auto (got "sideways")`,
      `${p}:15: upstreams.ok.pool.total must be at least upstreams.ok.pool.perIdentity`,
      expect.stringMatching(new RegExp(`^${p}:16: upstreams\\.ok\\.passwordFile cannot be read: ENOENT`)),
      expect.stringMatching(
        new RegExp(`^${p}:17: unknown key upstreams\\.ok\\.name \\(known here: url, dataMode,`),
      ),
      `${p}:19: upstreams.bad-url.url: scheme must be ftp, ftpes or ftps (got http)`,
      `${p}:20: unknown key upstreams.bad-url.tls.verify (known here: caFile, insecure)`,
      expect.stringMatching(
        new RegExp(`^${p}:20: upstreams\\.bad-url\\.tls\\.caFile cannot be read: ENOENT`),
      ),
      `${p}:24: mounts[0].allow entries must be "*", "user:NAME" or "group:NAME", optionally with a leading ! to exclude (got "everyone")`,
      `${p}:25: mounts[1].path /a is already mounted (line 22)`,
      `${p}:26: mounts[1].upstream "nope" is not one of the upstreams (ok, bad-url)`,
      `${p}:27: mounts[2].path is required (where the mount appears, such as /partner)`,
      `${p}:28: unknown key mounts[2].extra (known here: path, upstream, root, readOnly, allow, write)`,
      `${p}:29: mounts[2].root must not contain . or .. segments (it is relative to the upstream's base)`,
      `${p}:30: mounts[2].readOnly must be true or false (got "maybe")`,
      `${p}:31: mounts[3].path must be an absolute path such as /partner (got "relative")`,
      `${p}:33: mounts[4] must be a mapping with path and upstream (got "just a string")`,
    ])
  })

  it('the same bounds as the environment: a value FTP_POOL_MAX refuses is refused in the file', () => {
    const p = file(
      'upstreams:\n  a:\n    url: ftp://h\n    pool:\n      perIdentity: 1\n    timeoutMs: 1.5\n',
    )
    expect(problemsOf({ FTP_URL: 'ftp://h', FTP_POOL_MAX: '1' })).toEqual([
      'FTP_POOL_MAX must be an integer from 2 to 1000 (got "1")',
    ])
    expect(problemsOf({ GATEWAY_CONFIG: p })).toEqual([
      `${p}:5: upstreams.a.pool.perIdentity must be an integer from 2 to 1000 (got "1")`,
      `${p}:6: upstreams.a.timeoutMs must be an integer from 100 to 9007199254740991 (got "1.5")`,
    ])
  })

  it('YAML syntax errors are reported with line and column', () => {
    const p = file('upstreams:\n  a:\n    url: ftp://h\n   bad: [1\nmounts: x\n')
    expect(problemsOf({ GATEWAY_CONFIG: p })).toEqual([
      `${p}:4:1: yaml syntax: All mapping items must start at the same column`,
      `${p}:5:1: yaml syntax: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ])
    const dup = file('upstreams:\n  a: { url: ftp://h }\n  a: { url: ftp://i }\n')
    expect(problemsOf({ GATEWAY_CONFIG: dup })).toEqual([`${dup}:3:3: yaml syntax: Map keys must be unique`])
    const two = file('port: 1\n---\nport: 2\n')
    expect(problemsOf({ GATEWAY_CONFIG: two })).toEqual([
      `${two}:2:1: yaml syntax: a config file is one document (remove this ---)`,
    ])
  })

  it('JSON syntax errors are reported with line and column; duplicate keys are not silently merged', () => {
    const p = file('{\n  "upstreams": {\n    "a": { "url": "ftp://h" },\n  }\n}\n', '.json')
    expect(problemsOf({ GATEWAY_CONFIG: p })).toEqual([
      `${p}:4:3: json syntax: Expected double-quoted property name`,
    ])
    const dup = file('{"port": 1,\n "port": 2, "upstreams": {"a": {"url": "ftp://h"}}}', '.json')
    expect(problemsOf({ GATEWAY_CONFIG: dup })).toEqual([`${dup}:2:2: json syntax: Map keys must be unique`])
  })

  it('an unreadable, empty, or wrongly shaped file, and one without upstreams, are problems', () => {
    const none = path.join(dir, 'absent.yaml')
    expect(problemsOf({ GATEWAY_CONFIG: none })).toEqual([
      expect.stringMatching(new RegExp(`^GATEWAY_CONFIG: cannot read ${none}: ENOENT`)),
    ])
    const empty = file('# nothing yet\n')
    expect(problemsOf({ GATEWAY_CONFIG: empty })).toEqual([`${empty}: the file is empty`])
    const list = file('- a\n- b\n')
    expect(problemsOf({ GATEWAY_CONFIG: list })).toEqual([
      `${list}:1: the file must be a mapping of settings, upstreams and mounts (got a list)`,
    ])
    const noUpstreams = file('port: 1\n')
    expect(problemsOf({ GATEWAY_CONFIG: noUpstreams })).toEqual([
      `${noUpstreams}: upstreams is required: at least one FTP server, by name`,
    ])
    const emptyUpstreams = file('upstreams: {}\nmounts: []\n')
    expect(problemsOf({ GATEWAY_CONFIG: emptyUpstreams })).toEqual([
      `${emptyUpstreams}:1: upstreams must map names to FTP servers, such as upstreams: { web: { url: ftp://host } } (got a mapping)`,
      `${emptyUpstreams}:2: mounts must be a list of { path, upstream, root, readOnly, allow, write } (got a list); leave the key out to mount every upstream at /<name>`,
    ])
  })

  it('an upstream no mount names is a problem (it would be ignored)', () => {
    const p = file(
      'upstreams:\n  a: { url: ftp://h }\n  b: { url: ftp://i }\nmounts:\n  - { path: /, upstream: a }\n',
    )
    expect(problemsOf({ GATEWAY_CONFIG: p })).toEqual([
      `${p}:3: upstreams.b is not mounted (add a mount for it, or remove it)`,
    ])
  })

  it('a YAML alias bomb is cut short with a problem, not expanded', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i < 8; i++)
      levels.push(
        `l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
      )
    const p = file(`${levels.join('\n')}\n`)
    expect(problemsOf({ GATEWAY_CONFIG: p })).toEqual([`${p}: more than 50000 values (aliases expanding?)`])
  })

  it('never echoes a secret: passwords in a url, a short sessionSecret, a redis url', () => {
    const p = file(
      'sessionSecret: short-hunter2\nredis: { url: "http://:hunter2@r" }\nupstreams:\n  a: { url: "http://u:hunter2@h" }\n',
    )
    const problems = problemsOf({ GATEWAY_CONFIG: p })
    expect(problems).toHaveLength(3)
    expect(problems.join('\n')).not.toContain('hunter2')
  })
})

describe('GATEWAY_CONFIG and the environment', () => {
  const p = file('port: 9090\ncache: { ttlMs: 100 }\nupstreams:\n  a: { url: ftp://h }\n')

  it('FTP_URL together with GATEWAY_CONFIG is a config error', () => {
    expect(problemsOf({ GATEWAY_CONFIG: p, FTP_URL: 'ftp://h' })).toEqual([
      'Set FTP_URL or GATEWAY_CONFIG, not both (the config file describes the upstreams)',
    ])
  })

  it('every other upstream variable set next to a file is a problem (it would be ignored)', () => {
    expect(
      problemsOf({ GATEWAY_CONFIG: p, FTP_DATA_MODE: 'active', FTP_POOL_MAX: '8', FTP_ENCODING: '' }),
    ).toEqual([
      `FTP_DATA_MODE is set, but GATEWAY_CONFIG describes the upstreams: set upstreams.<name>.dataMode in ${p} instead`,
      `FTP_POOL_MAX is set, but GATEWAY_CONFIG describes the upstreams: set upstreams.<name>.pool.perIdentity in ${p} instead`,
    ])
  })

  it("gateway variables override the file's values, and the config records which did", () => {
    const c = loadConfig({ GATEWAY_CONFIG: p, PORT: '7070', CACHE_TTL_MS: '0', RATE_LIMIT_MAX: '5' })
    expect(c.port).toBe(7070)
    expect(c.cacheTtlMs).toBe(0)
    // RATE_LIMIT_MAX sets what the file leaves alone: an ordinary setting, not an override.
    expect(c.rateLimitMax).toBe(5)
    expect(c.overriddenByEnv).toEqual(['PORT', 'CACHE_TTL_MS'])
  })

  it('an invalid variable is a problem even where the file has a valid value', () => {
    expect(problemsOf({ GATEWAY_CONFIG: p, PORT: 'eighty' })).toEqual([
      'PORT must be an integer from 0 to 65535 (got "eighty")',
    ])
  })
})

describe('upstreams.<name>.passwordFile (read like FTP_PASSWORD_FILE)', () => {
  it('supplies the password of the URL user, one trailing newline dropped', () => {
    const p = file(`upstreams:\n  a:\n    url: ftp://svc@h\n    passwordFile: ${secret}\n`)
    const up = loadConfig({ GATEWAY_CONFIG: p }).upstreams[0]
    expect(up?.url.password).toBe('s3cret-from-file')
    expect(up?.serviceAccount).toBe(true)
  })

  it("a relative passwordFile (like tls.caFile and htpasswd) is relative to the config file's folder", () => {
    const p = file(
      `htpasswd: users.htpasswd\nupstreams:\n  a:\n    url: ftp://svc@h\n    passwordFile: ${path.basename(secret)}\n    tls: { caFile: ${path.basename(secret)} }\n`,
    )
    const c = loadConfig({ GATEWAY_CONFIG: path.relative(process.cwd(), p) })
    expect(c.upstreams[0]?.url.password).toBe('s3cret-from-file')
    expect(c.upstreams[0]?.tlsCa?.toString()).toBe('s3cret-from-file\n')
    expect(c.htpasswdFile).toBe(path.join(dir, 'users.htpasswd'))
  })

  it('needs a user and no password in the URL; a user alone needs it', () => {
    const p = file(
      `upstreams:\n  a:\n    url: ftp://h\n    passwordFile: ${secret}\n  b:\n    url: ftp://u:pw@h\n    passwordFile: ${secret}\n  c:\n    url: ftp://u@h\n`,
    )
    expect(problemsOf({ GATEWAY_CONFIG: p })).toEqual([
      `${p}:4: upstreams.a.passwordFile needs a user name in upstreams.a.url`,
      `${p}:6: upstreams.b.url has a password and upstreams.b.passwordFile is set: keep one`,
      `${p}:9: upstreams.c.url has a user but no password (add one, or upstreams.c.passwordFile)`,
    ])
  })
})

describe('summarizeConfig (what check-config prints for a valid file)', () => {
  it('one line per upstream and mount, the overrides, and never a secret', () => {
    const p = file(GOOD_YAML)
    const c = loadConfig({ GATEWAY_CONFIG: p, PORT: '7070', SESSION_SECRET: 'x'.repeat(16) })
    expect(summarizeConfig(c)).toEqual([
      `config file ${p}`,
      'listens on 0.0.0.0:7070; state in memory (one instance)',
      'upstream web: ftp://127.0.0.1:2121/srv (users log in as themselves); Europe/Berlin',
      'upstream partner: ftpes://ftp.partner.example:21/out as svc (service account); read-only, latin1',
      'mount /web -> web:/; allow *, write *',
      'mount /partner/in -> partner:/x/y (read-only); allow !user:intern group:finance, write group:finance',
      'the environment overrides: PORT',
    ])
    expect(summarizeConfig(c).join('\n')).not.toContain('s3cret')
  })
})
