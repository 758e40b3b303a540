/** Shared pieces of the auth tests: a configuration and a fake FileService.verifyLogin. */
import { randomBytes } from 'node:crypto'
import type { GatewayConfig } from '../../../src/config.js'
import { FileError } from '../../../src/files/errors.js'
import type { FileService, Identity } from '../../../src/files/types.js'
import { testConfig as httpTestConfig } from '../../helpers/http-app.js'

/** A complete GatewayConfig for auth tests (passthrough mode unless overridden). */
export function testConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return httpTestConfig({
    upstreams: [
      {
        name: 'default',
        serviceAccount: false,
        credentials: 'passthrough',
        url: { host: '127.0.0.1', port: 21, secure: 'none' },
        dataMode: 'passive',
        activeAddress: undefined,
        activePorts: undefined,
        tlsCa: undefined,
        tlsInsecure: false,
        poolMax: 4,
        poolMaxTotal: 32,
        poolMaxUnverified: 4,
        reverifyMs: 300_000,
        idleTimeoutMs: 60_000,
        timeoutMs: 30_000,
        keepaliveMs: 0,
        encoding: 'utf8',
        timezone: 'UTC',
        listHidden: false,
        readOnly: false,
      },
    ],
    mounts: [{ path: '/', upstream: 'default', root: '', readOnly: false, allow: ['*'], write: ['*'] }],
    sessionKey: randomBytes(32),
    logLevel: 'info',
    loginFailLimit: 3,
    ...overrides,
  })
}

/** Service-account configuration: FTP_URL carries `svc` / `svc-pass`. */
export function serviceConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const base = testConfig()
  return {
    ...base,
    serviceAccount: true,
    upstreams: base.upstreams.map((u) => ({
      ...u,
      serviceAccount: true,
      credentials: 'service',
      url: { ...u.url, user: 'svc', password: 'svc-pass' },
    })),
    ...overrides,
  }
}

/** A verifyLogin that knows some FTP users; counts calls and can pretend the upstream is down. */
export interface FakeFiles extends Pick<FileService, 'verifyLogin'> {
  calls: Identity[]
  down: boolean
}

export function fakeFiles(users: Record<string, string>): FakeFiles {
  const fake: FakeFiles = {
    calls: [],
    down: false,
    async verifyLogin(who) {
      fake.calls.push(who)
      if (fake.down)
        throw new FileError('FILE_ERR_UNAVAILABLE', 'upstream unreachable', { retryAfterSeconds: 5 })
      if (users[who.user] !== who.password) throw new FileError('FILE_ERR_UNAUTHORIZED', 'login refused')
    },
  }
  return fake
}

/** `Basic base64(user:password)`. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`
}
