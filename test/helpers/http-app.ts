/**
 * Builds the gateway's Fastify app over fakes for HTTP tests: the in-memory file service, a fake
 * authenticator (Basic `alice:secret` or `Bearer good-token`), and a config with defaults.
 */
import type { FastifyInstance } from 'fastify'
import { onTestFinished } from 'vitest'
import { AppPasswords } from '../../src/auth/app-passwords.js'
import { BanList } from '../../src/auth/bans.js'
import { AuthError } from '../../src/auth/errors.js'
import { LinkedAccounts } from '../../src/auth/linked-accounts.js'
import { type Authenticator, identityOf } from '../../src/auth/types.js'
import type { Identity } from '../../src/files/types.js'
import { type AppDeps, createServer } from '../../src/http/app.js'
import type { AdminReloadReport } from '../../src/http/rest/admin.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { FakeFileService } from './fake-file-service.js'

/** `Authorization` value the fake authenticator accepts. */
export const GOOD_AUTH = `Basic ${Buffer.from('alice:secret').toString('base64')}`
/** A Bearer token the fake authenticator accepts. */
export const GOOD_TOKEN = 'good-token'

/** An Authenticator with one user and one token; records calls. */
export class FakeAuthenticator implements Authenticator {
  readonly calls: Array<{ authorization: string | undefined; clientAddress: string }> = []

  async authenticate(authorization: string | undefined, clientAddress: string): Promise<Identity> {
    this.calls.push({ authorization, clientAddress })
    if (authorization === undefined) throw new AuthError('AUTH_ERR_MISSING', 'Authentication required')
    if (authorization === GOOD_AUTH) return identityOf('alice', 'secret')
    if (authorization === `Bearer ${GOOD_TOKEN}`) return identityOf('alice', 'secret')
    if (authorization === 'Bearer limited') {
      throw new AuthError('AUTH_ERR_RATE_LIMITED', 'Too many failures', { retryAfterSeconds: 30 })
    }
    if (!/^(Basic|Bearer) \S+$/.test(authorization)) throw new AuthError('AUTH_ERR_BAD_HEADER', 'Unparseable')
    throw new AuthError('AUTH_ERR_INVALID', 'Invalid credentials')
  }
}

import { testConfig } from './config.js'

export { testConfig }

/** The admin API over nothing: records the users whose sessions were dropped and the reloads. */
export class FakeAdmin {
  readonly dropped: string[] = []
  reloads = 0
  /** What the next reload reports (a test sets it). */
  report: AdminReloadReport = { ok: true, upstreams: ['main'], mounts: ['/'], restartNeeded: [] }

  async dropUserSessions(user: string): Promise<void> {
    this.dropped.push(user)
  }

  async reload(): Promise<AdminReloadReport> {
    this.reloads++
    return this.report
  }
}

/** A built app with its fakes. */
export interface TestApp {
  app: FastifyInstance
  files: FakeFileService
  auth: FakeAuthenticator
  admin: FakeAdmin
  /** The ban list behind `/api/v1/admin/bans`: a real one over the app's store (unless left out). */
  bans: AppDeps['bans']
}

/** Builds (and readies) an app, over a fresh MemoryStore unless `deps` gives a store; closed after the current test. */
export async function buildTestApp(deps: Partial<AppDeps> = {}): Promise<TestApp> {
  const files = deps.files instanceof FakeFileService ? deps.files : new FakeFileService()
  const auth = deps.auth instanceof FakeAuthenticator ? deps.auth : new FakeAuthenticator()
  const admin = deps.admin instanceof FakeAdmin ? deps.admin : new FakeAdmin()
  const store = deps.store ?? new MemoryStore()
  // `bans: undefined` given on purpose leaves the ban routes and gauge out.
  const bans =
    'bans' in deps
      ? deps.bans
      : new BanList({ store, baseSeconds: 600, memorySeconds: 3600, maxSeconds: 86_400 })
  const config = testConfig()
  // App passwords and linked accounts are real, over the same store (one upstream, passthrough).
  const passwords = new AppPasswords({ store, sessionKey: config.sessionKey })
  const links = new LinkedAccounts({
    store,
    sessionKey: config.sessionKey,
    targets: {
      kindOf: (name) => (name === 'default' ? 'passthrough' : undefined),
      verify: async () => undefined,
    },
  })
  const app = createServer({
    config,
    appPasswords: {
      create: (who, label) => passwords.create(who, label, true),
      list: (principal) => passwords.list(principal),
      remove: (who, id) => passwords.remove(who, id),
      removeFor: (principal, id) => passwords.removeFor(principal, id),
    },
    links: { links, guard: (_user, _address, _via, attempt) => attempt() },
    ...deps,
    files,
    auth,
    admin,
    store,
    bans,
  })
  onTestFinished(async () => {
    await app.close()
    // A store the test passed in is the test's to close.
    if (deps.store === undefined) await store.close()
  })
  await app.ready()
  return { app, files, auth, admin, bans }
}
