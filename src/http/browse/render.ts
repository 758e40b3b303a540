/**
 * HTML of the browse pages: the directory listing, the sign-in form and error pages. Plain
 * template strings with every interpolated value passed through `escapeHtml` (or built by
 * `encodeSegments`), no inline scripts, styles or event handlers, so the strict
 * Content-Security-Policy holds. Everything works without the script (listing, sorting, paging,
 * downloads, sign-in and out); the parts only the script can drive (upload, new folder, rename,
 * delete) carry `hidden` and the script reveals them.
 */
import type { FileStat, ListPage, RelPath } from '../../files/types.js'
import { ASSET_URLS } from './assets.js'
import {
  browseHref,
  downloadHref,
  escapeHtml,
  formatDate,
  formatSize,
  joinPath,
  type SortKey,
  type SortOrder,
  sortEntries,
} from './format.js'

/** The shell every page shares. `body` is trusted HTML built by this module. */
function layout(title: string, body: string, header = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ftp-gateway</title>
<link rel="stylesheet" href="${ASSET_URLS.css}">
<link rel="icon" href="${ASSET_URLS.favicon}">
<script src="/_browse/upload.js" defer></script>
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

/** Who is signed in, and how (a cookie session can sign out; Basic credentials cannot). */
export interface Viewer {
  user: string
  viaCookie: boolean
}

function userBar(viewer: Viewer): string {
  const out = viewer.viaCookie
    ? `<form class="signout" method="post" action="/_browse/logout"><button type="submit">Sign out</button></form>`
    : ''
  return `<div class="user"><span>Signed in as <strong>${escapeHtml(viewer.user)}</strong></span>${out}</div>`
}

function breadcrumbs(dir: RelPath): string {
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

const KINDS: [RegExp, string][] = [
  [/\.(png|jpe?g|gif|webp|svg|bmp|ico|tiff?|heic|avif)$/i, 'image'],
  [/\.(zip|tar|gz|tgz|bz2|xz|zst|7z|rar)$/i, 'archive'],
  [/\.(mp3|wav|flac|ogg|m4a|aac|mp4|mkv|mov|avi|webm)$/i, 'media'],
  [/\.(pdf|docx?|odt|rtf|xlsx?|ods|pptx?|odp)$/i, 'document'],
  [/\.(txt|md|csv|log|json|xml|ya?ml|ini|conf|html?|css|[cm]?[jt]s|py|sh|c|h|go|rs|java)$/i, 'text'],
]

/** The icon kind of an entry (a CSS class picks the image). */
export function iconKind(entry: Pick<FileStat, 'name' | 'type'>): string {
  if (entry.type === 'dir') return 'dir'
  if (entry.type === 'symlink') return 'link'
  for (const [pattern, kind] of KINDS) if (pattern.test(entry.name)) return kind
  return 'file'
}

/** A listing URL of `dir` with query parameters (sort, order, cursor, limit); defaults left out. */
function listingHref(dir: RelPath, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v)
  const s = q.toString()
  return s === '' ? browseHref(dir) : `${browseHref(dir)}?${s}`
}

/** What the listing page shows. */
export interface ListingView {
  dir: RelPath
  page: ListPage
  sort: SortKey
  order: SortOrder
  /** The cursor this page was fetched with (undefined on the first page). */
  cursor: string | undefined
  /** A non-default page size from `?limit=`, kept in links. */
  limit: number | undefined
  viewer: Viewer
}

const LABELS: Record<SortKey, string> = { name: 'Name', size: 'Size', modified: 'Modified' }

/** Where a column's sort control leads, and the aria-sort of the column now. */
function sortLink(view: ListingView, key: SortKey): { href: string; ariaSort: string } {
  const active = view.sort === key
  // The active column flips; another starts ascending for names, descending for size and date
  // (largest and newest first is what people look for).
  let nextOrder: SortOrder = key === 'name' ? 'asc' : 'desc'
  if (active) nextOrder = view.order === 'asc' ? 'desc' : 'asc'
  const href = listingHref(view.dir, {
    sort: key === 'name' && nextOrder === 'asc' ? undefined : key,
    order: nextOrder === 'asc' ? undefined : 'desc',
    cursor: view.cursor,
    limit: view.limit === undefined ? undefined : String(view.limit),
  })
  return { href, ariaSort: active ? (view.order === 'asc' ? 'ascending' : 'descending') : '' }
}

function headerCell(view: ListingView, key: SortKey): string {
  const active = view.sort === key
  const { href, ariaSort: sortState } = sortLink(view, key)
  const ariaSort = active ? ` aria-sort="${sortState}"` : ''
  const arrow = active
    ? `<span class="arrow" aria-hidden="true">${view.order === 'asc' ? '▲' : '▼'}</span>`
    : ''
  return `<th scope="col" class="col-${key}"${ariaSort}><a class="sort" data-sort="${key}" href="${escapeHtml(href)}">${LABELS[key]}${arrow}</a></th>`
}

// The size and date headers fold away on narrow screens; this row of links keeps their sorting.
function sortBar(view: ListingView): string {
  const links = (['name', 'size', 'modified'] as const).map((key) => {
    const { href, ariaSort } = sortLink(view, key)
    const current = ariaSort === '' ? '' : ' aria-current="true"'
    return `<a href="${escapeHtml(href)}"${current}>${LABELS[key]}</a>`
  })
  return `<nav class="sort-bar" aria-label="Sort by">Sort: ${links.join(' ')}</nav>`
}

function row(view: ListingView, entry: FileStat): string {
  const path = joinPath(view.dir, entry.name)
  const isDir = entry.type === 'dir'
  const href = isDir ? browseHref(path) : downloadHref(path)
  const size = isDir ? '' : formatSize(entry.size)
  const modified = formatDate(entry.modified)
  const iso = entry.modified?.toISOString() ?? ''
  const time = modified === '' ? '' : `<time datetime="${escapeHtml(iso)}">${escapeHtml(modified)}</time>`
  const meta = [size, time].filter((s) => s !== '').join(' · ')
  // The download attribute makes a file link save rather than navigate (the server's
  // Content-Disposition says the same; this also names the file when the header is absent).
  const download = isDir ? '' : ` download="${escapeHtml(entry.name)}"`
  const name = escapeHtml(entry.name)
  return `<tr data-name="${name}" data-type="${escapeHtml(entry.type)}" data-size="${entry.size ?? ''}" data-modified="${escapeHtml(iso)}">
<td class="col-name"><a class="entry icon-${iconKind(entry)}" href="${escapeHtml(href)}"${download}>${name}${isDir ? '<span class="visually-hidden"> (folder)</span>' : ''}</a><span class="meta">${meta}</span></td>
<td class="col-size">${escapeHtml(size)}</td>
<td class="col-modified">${time}</td>
<td class="col-actions"><span class="row-actions" hidden><button type="button" class="rename" aria-label="Rename ${name}">Rename</button><button type="button" class="delete danger" aria-label="Delete ${name}">Delete</button></span></td>
</tr>`
}

/** The directory listing page. */
export function listingPage(view: ListingView): string {
  const { dir, page } = view
  const entries = sortEntries(page.entries, view.sort, view.order)
  const title = dir === '' ? 'Home' : dir.slice(dir.lastIndexOf('/') + 1)
  const limit = view.limit === undefined ? undefined : String(view.limit)
  const sortParams = {
    sort: view.sort === 'name' ? undefined : view.sort,
    order: view.order === 'asc' ? undefined : 'desc',
  }
  const pager: string[] = []
  if (view.cursor !== undefined)
    pager.push(
      `<a class="button" href="${escapeHtml(listingHref(dir, { ...sortParams, limit }))}">First page</a>`,
    )
  if (page.next !== null)
    pager.push(
      `<a class="button" rel="next" href="${escapeHtml(listingHref(dir, { ...sortParams, cursor: page.next, limit }))}">Next page</a>`,
    )
  const pagerHtml = pager.length === 0 ? '' : `<nav class="pager" aria-label="Pages">${pager.join('')}</nav>`
  const sortNote =
    pager.length === 0 ? '' : '<p class="note">Large folder: sorting applies to the entries on this page.</p>'
  const body = `${breadcrumbs(dir)}
<h1>${escapeHtml(title)}</h1>
<div id="messages" class="messages" role="status" aria-live="polite"></div>
<section class="actions" aria-label="Folder actions" hidden>
<div class="upload"><input type="file" id="file-input" class="visually-hidden" multiple><label for="file-input" class="button primary">Upload files</label><span class="hint">or drop files on this page</span></div>
<form id="mkdir-form" class="mkdir"><label for="mkdir-name">New folder</label><input id="mkdir-name" name="name" required autocomplete="off" maxlength="255"><button type="submit">Create</button></form>
</section>
<ul id="uploads" class="uploads" aria-label="Uploads"></ul>
<div id="listing" data-dir="${escapeHtml(dir)}">
${sortBar(view)}
<table class="listing">
<caption class="visually-hidden">Contents of ${escapeHtml(`/${dir}`)}, sorted by ${LABELS[view.sort].toLowerCase()}, ${view.order === 'asc' ? 'ascending' : 'descending'}</caption>
<thead><tr>${headerCell(view, 'name')}${headerCell(view, 'size')}${headerCell(view, 'modified')}<th scope="col" class="col-actions"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>
${entries.map((e) => row(view, e)).join('\n')}
</tbody>
</table>
${entries.length === 0 ? '<p class="empty">This folder is empty.</p>' : ''}
${sortNote}
${pagerHtml}
</div>
<dialog id="rename-dialog" aria-labelledby="rename-title"><form method="dialog" class="dialog-form"><h2 id="rename-title">Rename</h2><label for="rename-name">New name</label><input id="rename-name" name="name" required autocomplete="off" maxlength="255"><div class="dialog-buttons"><button type="submit" value="cancel" formnovalidate>Cancel</button><button type="submit" value="ok" class="primary">Rename</button></div></form></dialog>
<dialog id="delete-dialog" aria-labelledby="delete-title"><form method="dialog" class="dialog-form"><h2 id="delete-title">Delete?</h2><p id="delete-text"></p><div class="dialog-buttons"><button type="submit" value="cancel" autofocus>Cancel</button><button type="submit" value="ok" class="danger">Delete</button></div></form></dialog>`
  return layout(title, body, userBar(view.viewer))
}

/** The sign-in page. `message` is shown above the form (already human text; escaped here). */
export function loginPage(next: string, message?: string, user = ''): string {
  const error = message === undefined ? '' : `<p class="error" role="alert">${escapeHtml(message)}</p>`
  const body = `<section class="card">
<h1>Sign in</h1>
<p class="lead">Use the account of the FTP server behind this gateway.</p>
${error}
<form method="post" action="/_browse/login" class="login">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(user)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" class="primary">Sign in</button>
</form>
</section>`
  return layout('Sign in', body)
}

/** An error page: status title, detail and a way back. */
export function errorPage(status: number, title: string, detail: string, viewer?: Viewer): string {
  const body = `<section class="card">
<h1>${escapeHtml(title)}</h1>
<p class="error" role="alert">${escapeHtml(detail)}</p>
<p><a href="/browse/">Back to the top folder</a></p>
<p class="note">HTTP ${status}</p>
</section>`
  return layout(title, body, viewer === undefined ? '' : userBar(viewer))
}
