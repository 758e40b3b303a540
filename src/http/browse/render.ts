/**
 * HTML of the browse pages' shell: the layout every page shares, the header with the signed-in
 * user, the sign-in form and error pages (the listing itself is render-listing.ts, its dialogs
 * render-dialogs.ts). Plain template strings with every interpolated value passed through
 * `escapeHtml`, no inline scripts, styles or event handlers, so the strict Content-Security-Policy
 * holds.
 */
import type { RelPath } from '../../files/types.js'
import { ASSET_URLS } from './assets.js'
import { browseHref, escapeHtml } from './format.js'

/** Who is signed in, and how (a cookie session can sign out; Basic credentials cannot). */
export interface Viewer {
  user: string
  viaCookie: boolean
}

/** The shell every page shares. `body` and `header` are trusted HTML built by this module's callers. */
export function layout(title: string, body: string, header = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)} · ftp-gateway</title>
<link rel="stylesheet" href="${ASSET_URLS.css}">
<link rel="icon" href="${ASSET_URLS.favicon}">
<script src="${ASSET_URLS.upload}" defer></script>
<script src="${ASSET_URLS.js}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/browse/">ftp-gateway</a>
${header}
</header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>
`
}

/**
 * The header's right side: the Connect and shortcut-help buttons (revealed by the script, which
 * drives their dialogs), the API docs link, who is signed in and, for a cookie session, Sign out.
 */
export function userBar(viewer: Viewer): string {
  const out = viewer.viaCookie
    ? `<form class="signout" method="post" action="/_browse/logout"><button type="submit">Sign out</button></form>`
    : ''
  return `<div class="user"><button type="button" id="connect-open" class="ghost" hidden>Connect</button><button type="button" id="help-open" class="ghost" hidden aria-keyshortcuts="?">Shortcuts</button><button type="button" id="shares-open" class="ghost" hidden>Shared by me</button><button type="button" id="apppw-open" class="ghost" hidden>App passwords</button><a href="/docs" class="ghost-link">API docs</a><span>Signed in as <strong>${escapeHtml(viewer.user)}</strong></span>${out}</div>`
}

/** Breadcrumbs from Home to `dir`, the last one marked as the current page. */
export function breadcrumbs(dir: RelPath): string {
  const parts = dir === '' ? [] : dir.split('/')
  const items = [
    parts.length === 0
      ? `<li><span aria-current="page">Home</span></li>`
      : `<li><a href="/browse/">Home</a></li>`,
  ]
  parts.forEach((name, i) => {
    const here = parts.slice(0, i + 1).join('/')
    items.push(
      i === parts.length - 1
        ? `<li><span aria-current="page">${escapeHtml(name)}</span></li>`
        : `<li><a href="${escapeHtml(browseHref(here))}">${escapeHtml(name)}</a></li>`,
    )
  })
  return `<nav aria-label="Breadcrumb"><ol class="crumbs">${items.join('')}</ol></nav>`
}

/** What the sign-in page offers. */
export interface SignInChoices {
  /** The user name and password form (FTP accounts, or htpasswd users). */
  password: boolean
  /** The OpenID provider's button: its name and the address that starts the sign-in. */
  provider?: { name: string; href: string } | undefined
}

/** The sign-in page. `message` is shown above the form (already human text; escaped here). */
export function loginPage(
  next: string,
  message?: string,
  user = '',
  choices: SignInChoices = { password: true },
): string {
  const error = message === undefined ? '' : `<p class="error" role="alert">${escapeHtml(message)}</p>`
  const provider =
    choices.provider === undefined
      ? ''
      : `<p><a class="button primary" href="${escapeHtml(choices.provider.href)}">Sign in with ${escapeHtml(choices.provider.name)}</a></p>`
  const lead = choices.password
    ? '<p class="lead">Use the account of the FTP server behind this gateway.</p>'
    : ''
  const form = choices.password
    ? `${choices.provider === undefined ? '' : '<p class="note">Or with a user name and password:</p>'}
${lead}
<form method="post" action="/_browse/login" class="login">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" required${choices.provider === undefined ? ' autofocus' : ''} value="${escapeHtml(user)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit"${choices.provider === undefined ? ' class="primary"' : ''}>Sign in</button>
</form>`
    : ''
  const body = `<section class="card">
<h1>Sign in</h1>
${error}
${provider}
${form}
</section>`
  return layout('Sign in', body)
}

/**
 * A page that moves on to `href` by itself (meta refresh) with a link for the rare browser that
 * does not. Used where a plain redirect would not do: after the provider's answer (a redirect chain
 * that started on the provider's site would not carry the SameSite=Strict session cookie to the
 * next page, a navigation this page starts does) and to the provider's logout (the page's CSP
 * `form-action 'self'` would stop the sign-out form's redirect to another site).
 */
export function continuePage(title: string, message: string, href: string): string {
  const body = `<section class="card">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
<p><a href="${escapeHtml(href)}" id="continue">Continue</a></p>
</section>`
  return layout(title, body).replace(
    '<meta charset="utf-8">',
    `<meta charset="utf-8">\n<meta http-equiv="refresh" content="0;url=${escapeHtml(href)}">`,
  )
}

/** Where an error page offers to go back to. */
export interface ErrorLinks {
  /** The nearest folder that may exist (the parent of a missing one); the top folder otherwise. */
  back?: RelPath
  /** Instead of a folder: a link to sign in again (a failed sign-in's page). */
  signIn?: string
}

/**
 * An error page: a title and a sentence in plain words (never FTP reply text), a way back and,
 * when someone is signed in, the same header as every other page.
 */
export function errorPage(
  status: number,
  title: string,
  detail: string,
  viewer?: Viewer,
  links: ErrorLinks = {},
): string {
  const back =
    links.signIn !== undefined
      ? `<a href="${escapeHtml(links.signIn)}">Sign in again</a>`
      : links.back === undefined || links.back === ''
        ? '<a href="/browse/">Back to the top folder</a>'
        : `<a href="${escapeHtml(browseHref(links.back))}">Back to ${escapeHtml(links.back.slice(links.back.lastIndexOf('/') + 1))}</a>`
  const body = `<section class="card">
<h1>${escapeHtml(title)}</h1>
<p class="error" role="alert">${escapeHtml(detail)}</p>
<p>${back}</p>
<p class="note">HTTP ${status}</p>
</section>`
  return layout(title, body, viewer === undefined ? '' : userBar(viewer))
}
