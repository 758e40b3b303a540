/**
 * The browser's OpenID sign-in (issue 18), over auth/oidc-signin.ts:
 *
 * - `GET /auth/login?return=/browse/x/` starts authorization code + PKCE and redirects to the
 *   provider; the state goes in a cookie scoped to `/auth/callback` (HttpOnly, SameSite=Lax: the
 *   provider's redirect back is a cross-site navigation, which a Strict cookie would not join).
 * - `GET /auth/callback` checks the answer against that cookie and the flow kept in the store, sets
 *   the gateway's session cookie and moves on to the return URL (through a page, see continuePage).
 * - sign-out (`POST /_browse/logout`, index.ts) hands OpenID sessions to `signOut` here, which
 *   revokes the session and sends the browser to the provider's end-session endpoint if it has one.
 *
 * The return URL is `safeNext`'s: a path under `/browse/` on this gateway, anything else (another
 * site, `//host`, `/\host`, `javascript:`…) becomes `/browse/`. Failures are pages in the browse
 * style with plain words; the log has the reason, never a code, state or token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isAuthError } from '../../auth/errors.js'
import { FLOW_TTL_MS, type OidcSignIn, SignInError, type SignInFailure } from '../../auth/oidc-signin.js'
import { ownOrigin } from '../cross-site.js'
import { classifyError } from '../errors.js'
import { clearedSessionCookie, isSecure, readCookie, setSessionCookie } from '../session-cookie.js'
import { safeNext } from './format.js'
import { continuePage, errorPage } from './render.js'

/** The cookie that binds a browser to the sign-in it started. */
export const STATE_COOKIE = 'ftpgw_oidc_state'
/** Where the provider sends the browser back. */
export const CALLBACK_PATH = '/auth/callback'
/** Where the provider's logout sends the browser back (register it as a post-logout redirect URI). */
export const POST_LOGOUT_PATH = '/_browse/login'

// A return URL longer than this is no page address anyone typed: refused rather than shortened.
const MAX_RETURN_LENGTH = 2048
const HTML = 'text/html; charset=utf-8'

/** The words of a failed sign-in's page, by reason. */
const FAILURE_WORDS: Record<SignInFailure | 'unavailable', { title: string; detail: string }> = {
  state: {
    title: 'This sign-in cannot be finished',
    detail: 'The answer from the sign-in page does not belong to this browser. Start the sign-in again.',
  },
  expired: {
    title: 'This sign-in has expired',
    detail: 'It took too long, or this answer was already used. Start the sign-in again.',
  },
  rejected: {
    title: 'The sign-in was not completed',
    detail: 'The sign-in service did not let you in. Start again, or ask whoever runs the gateway.',
  },
  provider: {
    title: 'The sign-in was not accepted',
    detail: 'The answer from the sign-in service could not be checked. Start the sign-in again.',
  },
  claims: {
    title: 'Your account cannot be used here',
    detail: 'The sign-in service did not say who you are. Ask whoever runs the gateway.',
  },
  'too-large': {
    title: 'That address does not work',
    detail: 'The sign-in answer is too large to be real. Start the sign-in again.',
  },
  unavailable: {
    title: 'The sign-in service is not answering',
    detail: 'Signing in is not possible right now. Try again in a little while.',
  },
}

function stateCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${STATE_COOKIE}=${value}; Path=${CALLBACK_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

/** The absolute URL of a path on this gateway, as the browser reaches it. */
function here(request: FastifyRequest, path: string): string {
  return `${ownOrigin(request) ?? ''}${path}`
}

/** Registers `/auth/login` and `/auth/callback` on the browse plugin's context. */
export function registerOidcRoutes(app: FastifyInstance, signIn: OidcSignIn): void {
  function failed(request: FastifyRequest, reply: FastifyReply, err: unknown, next: string): FastifyReply {
    const p = classifyError(err)
    const reason: SignInFailure | 'unavailable' =
      err instanceof SignInError
        ? err.reason
        : isAuthError(err, 'AUTH_ERR_PROVIDER_UNAVAILABLE')
          ? 'unavailable'
          : 'provider'
    if (p.status >= 500 && !isAuthError(err)) throw err
    request.log.info({ code: p.code, reason, status: p.status }, 'OpenID sign-in failed')
    const words = FAILURE_WORDS[reason]
    const { 'www-authenticate': _challenge, ...headers } = p.headers
    return reply
      .code(p.status)
      .headers(headers)
      .type(HTML)
      .send(
        errorPage(p.status, words.title, words.detail, undefined, {
          signIn: `/auth/login?return=${encodeURIComponent(next)}`,
        }),
      )
  }

  app.get('/auth/login', async (request, reply) => {
    const raw = (request.query as Record<string, unknown>).return
    if (typeof raw === 'string' && raw.length > MAX_RETURN_LENGTH) {
      return reply
        .code(400)
        .type(HTML)
        .send(
          errorPage(400, 'That address does not work', 'The address to return to is too long.', undefined, {
            signIn: '/auth/login',
          }),
        )
    }
    const next = safeNext(raw)
    // The callback's address is built from the Host the browser used; without one there is none.
    if (ownOrigin(request) === undefined) {
      return reply
        .code(400)
        .type(HTML)
        .send(errorPage(400, 'That address does not work', 'The request names no host to come back to.'))
    }
    let started: Awaited<ReturnType<OidcSignIn['begin']>>
    try {
      started = await signIn.begin(next, here(request, CALLBACK_PATH))
    } catch (err) {
      return failed(request, reply, err, next)
    }
    // The cookie lives as long as the flow it binds.
    reply.header('set-cookie', stateCookie(started.state, FLOW_TTL_MS / 1000, isSecure(request)))
    return reply.redirect(started.url, 303)
  })

  app.get(CALLBACK_PATH, async (request, reply) => {
    const url = request.raw.url ?? ''
    const q = url.indexOf('?')
    const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
    const browserState = readCookie(request.headers.cookie, STATE_COOKIE)
    // The state is single-use whatever happens next: the browser need not keep it.
    reply.header('set-cookie', stateCookie('', 0, isSecure(request)))
    let done: Awaited<ReturnType<OidcSignIn['finish']>>
    try {
      done = await signIn.finish(params, browserState, request.ip)
    } catch (err) {
      return failed(request, reply, err, '/browse/')
    }
    // A session whose page never reached the browser (the client gone, an error after this point)
    // is held by nobody: revoke it rather than leave it in the store (as the password sign-in does).
    const res = reply.raw
    let delivered = false
    res.once('finish', () => {
      delivered = res.statusCode === 200
    })
    res.once('close', () => {
      if (delivered) return
      signIn.abandon(done.token).catch((err: unknown) => {
        request.log.warn({ err }, 'could not revoke an undelivered OpenID session')
      })
    })
    // Beside the state cookie's removal (Fastify appends Set-Cookie headers).
    setSessionCookie(request, reply, done.token, done.expiresAt)
    return reply
      .type(HTML)
      .send(continuePage('Signed in', `You are signed in as ${done.principal}.`, done.returnTo))
  })
}

/**
 * Sign-out of a session cookie with the OpenID sign-in configured: the session is revoked on every
 * instance and, for a session from the provider that offers RP-initiated logout, the browser goes
 * on to the provider's logout, which comes back to the sign-in page.
 */
export async function oidcSignOut(
  request: FastifyRequest,
  reply: FastifyReply,
  signIn: OidcSignIn,
  token: string | undefined,
): Promise<FastifyReply> {
  const out = token === undefined ? {} : await signIn.signOut(token, here(request, POST_LOGOUT_PATH))
  reply.header('set-cookie', clearedSessionCookie(isSecure(request)))
  if (out.endSession === undefined) return reply.redirect(POST_LOGOUT_PATH, 303)
  return reply
    .type(HTML)
    .send(
      continuePage(
        'Signed out',
        'You are signed out of the gateway. Now signing you out of the sign-in service…',
        out.endSession,
      ),
    )
}
