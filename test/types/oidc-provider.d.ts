/**
 * The little of oidc-provider (v9, a test-only dependency that ships no types) the test helper
 * uses: test/helpers/oidc-provider.ts.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  /** An account as `findAccount` returns it. */
  interface Account {
    accountId: string
    claims(): Promise<Record<string, unknown>>
  }

  /** The provider's configuration (only what the helper sets is typed). */
  interface Configuration {
    clients?: Array<Record<string, unknown>>
    jwks?: { keys: Array<Record<string, unknown>> }
    cookies?: { keys: string[] }
    claims?: Record<string, string[]>
    conformIdTokenClaims?: boolean
    ttl?: Record<string, number>
    findAccount?: (ctx: unknown, id: string) => Promise<Account | undefined>
  }

  /** An OpenID provider: a Koa application. */
  export default class Provider {
    constructor(issuer: string, configuration?: Configuration)
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>
  }
}
