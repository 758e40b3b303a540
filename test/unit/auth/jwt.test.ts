/**
 * auth/jwt.ts: the JWT shape test, the person from claims, and the verifier's bounds against an
 * in-process discovery document and key set (a clock given to it, so the skew's edges are exact).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuth } from '../../../src/auth/authenticator.js'
import { AuthError } from '../../../src/auth/errors.js'
import { JwtVerifier, looksLikeJwt, personFromClaims } from '../../../src/auth/jwt.js'
import { MemoryStore } from '../../../src/store/memory-store.js'
import { fakeFiles, testConfig } from './auth-fixtures.js'

describe('looksLikeJwt', () => {
  it('three base64url parts (the last may be empty) are a JWT; opaque tokens have no dots', () => {
    expect(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln')).toBe(true)
    expect(looksLikeJwt('eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.')).toBe(true)
    expect(looksLikeJwt('q1XGk1m0dS6y2gRk6nWnE5l3Vb3JmQYp1T2pQm9q8Xc')).toBe(false)
    expect(looksLikeJwt('a.b')).toBe(false)
    expect(looksLikeJwt('a.b.c.d')).toBe(false)
    expect(looksLikeJwt('.b.c')).toBe(false)
    expect(looksLikeJwt('a+b.c.d')).toBe(false)
  })
})

describe('personFromClaims', () => {
  it('the username claim names the person; groups only as an array of strings', () => {
    expect(
      personFromClaims(
        { preferred_username: 'alice', groups: ['a', 'b'], exp: 10 },
        'preferred_username',
        'groups',
      ),
    ).toEqual({
      principal: 'alice',
      groups: ['a', 'b'],
      expiresAt: new Date(10_000),
    })
    for (const groups of ['staff', [1], ['ok', 2], { a: 1 }, null, undefined, ['bad\nname']])
      expect(personFromClaims({ u: 'x', groups }, 'u', 'groups').groups).toEqual([])
    expect(personFromClaims({ email: 'a@b', roles: ['r'] }, 'email', 'roles')).toMatchObject({
      principal: 'a@b',
      groups: ['r'],
    })
  })

  it('a missing, empty, non-string, control-character or oversized name is refused', () => {
    for (const name of [undefined, '', 42, ['a'], 'a\u0000b', 'x'.repeat(257)]) {
      let code: string | undefined
      try {
        personFromClaims({ preferred_username: name }, 'preferred_username', 'groups')
      } catch (err) {
        code = (err as AuthError).code
      }
      expect(code, String(name)).toBe('AUTH_ERR_INVALID')
    }
  })
})

describe('JwtVerifier', () => {
  let server: http.Server
  let issuer: string
  let requests = 0
  let discovery: Record<string, unknown> = {}
  let jwks: unknown = {}
  let privateKey: CryptoKey
  const NOW = 1_800_000_000

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true })
    privateKey = pair.privateKey
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }
    server = http.createServer((req, res) => {
      requests++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(req.url === '/jwks' ? jwks : discovery))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    discovery = { issuer, jwks_uri: `${issuer}/jwks` }
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const verifier = (now = NOW * 1000) =>
    new JwtVerifier({
      issuer,
      audience: 'gw',
      usernameClaim: 'preferred_username',
      groupsClaim: 'groups',
      now: () => now,
    })
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ iss: issuer, aud: 'gw', preferred_username: 'alice', exp: NOW + 60, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(privateKey)
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (err: unknown) => (err instanceof AuthError ? err.code : `not an AuthError: ${String(err)}`),
    )

  it('accepts within the 30 s skew, refuses beyond it (exp and nbf)', async () => {
    const v = verifier()
    expect(await codeOf(v.verify(await sign({ exp: NOW - 29 })))).toBe('accepted')
    expect(await codeOf(v.verify(await sign({ exp: NOW - 31 })))).toBe('AUTH_ERR_TOKEN_EXPIRED')
    expect(await codeOf(v.verify(await sign({ nbf: NOW + 29 })))).toBe('accepted')
    expect(await codeOf(v.verify(await sign({ nbf: NOW + 31 })))).toBe('AUTH_ERR_INVALID')
  })

  it('a token without exp is refused (no token lives for ever)', async () => {
    const token = await new SignJWT({ iss: issuer, aud: 'gw', preferred_username: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(privateKey)
    expect(await codeOf(verifier().verify(token))).toBe('AUTH_ERR_INVALID')
  })

  it('a refused algorithm is refused before the provider is asked anything', async () => {
    const before = requests
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`
    expect(await codeOf(verifier().verify(none))).toBe('AUTH_ERR_INVALID')
    const hs = await new SignJWT({ iss: issuer, aud: 'gw', preferred_username: 'a', exp: NOW + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('secret'))
    expect(await codeOf(verifier().verify(hs))).toBe('AUTH_ERR_INVALID')
    expect(await codeOf(verifier().verify('not.a.jwt'))).toBe('AUTH_ERR_INVALID')
    expect(requests).toBe(before)
  })

  it('a discovery document naming another issuer is the provider failing: 503, never acceptance', async () => {
    const saved = discovery
    discovery = { issuer: 'https://elsewhere.example', jwks_uri: `${issuer}/jwks` }
    const v = verifier()
    try {
      expect(await codeOf(v.verify(await sign({})))).toBe('AUTH_ERR_PROVIDER_UNAVAILABLE')
    } finally {
      discovery = saved
    }
    // A failed discovery is not remembered: the next token tries again.
    expect(await codeOf(v.verify(await sign({})))).toBe('accepted')
  })
})

describe('createAuth and Bearer values', () => {
  it('without oidc, a JWT-shaped value is refused without a token-store lookup nor an FTP login', async () => {
    const store = new MemoryStore()
    const files = fakeFiles({ alice: 'pw' })
    const { authenticator } = createAuth({ config: testConfig(), store, files })
    // Control: an opaque token is looked up (mget of its record and revocation marker).
    const reads: string[][] = []
    const mget = store.mget.bind(store)
    store.mget = (keys: string[]) => {
      reads.push(keys)
      return mget(keys)
    }
    await authenticator
      .authenticate('Bearer q1XGk1m0dS6y2gRk6nWnE5l3Vb3JmQYp1T2pQm9q8Xc', '192.0.2.1')
      .catch(() => undefined)
    expect(reads.length).toBe(1)
    reads.length = 0
    let code: string | undefined
    try {
      await authenticator.authenticate('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln', '192.0.2.1')
    } catch (err) {
      code = (err as AuthError).code
    }
    expect(code).toBe('AUTH_ERR_INVALID')
    expect(reads).toEqual([])
    expect(files.calls).toEqual([])
    await store.close()
  })
})
