/**
 * The HTML of a share's public pages: a shared file, a shared folder's listing (breadcrumbs inside
 * the share only: the creator's folders above it are never named), a drop box's upload form, the
 * password form and error pages. Like the browse page: template strings with every interpolated
 * value escaped, no inline script, style or event handler, so the strict policy of index.ts holds.
 */
import type { FileStat, RelPath } from '../../files/types.js'
import type { ShareRecord } from '../share-store.js'

/** The page script (drop box uploads) and stylesheet, served by index.ts. */
export const SHARE_ASSETS = { js: '/_share/share.js', css: '/_share/share.css' } as const

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** The URL of a path inside share `id` (each segment percent-encoded). */
export function shareFileHref(id: string, sub: RelPath, dir = false): string {
  const encoded = sub === '' ? '' : sub.split('/').map(encodeURIComponent).join('/')
  return `/s/${id}/files/${encoded}${dir && sub !== '' ? '/' : ''}`
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · shared with you</title>
<link rel="stylesheet" href="${SHARE_ASSETS.css}">
<script src="${SHARE_ASSETS.js}" defer></script>
</head>
<body>
<main id="main">
${body}
</main>
</body>
</html>
`
}

function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return ''
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let n = bytes
  let u = 0
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024
    u++
  }
  return u === 0 ? `${bytes} bytes` : `${n.toFixed(1)} ${units[u]}`
}

function expiryLine(record: ShareRecord): string {
  const when = new Date(record.expiresAt).toISOString().replace('T', ' ').slice(0, 16)
  return `<p class="note">This link works until ${escapeHtml(when)} UTC.</p>`
}

function nameOfShare(record: ShareRecord): string {
  return (
    record.label ??
    (record.path === '' ? 'Shared folder' : record.path.slice(record.path.lastIndexOf('/') + 1))
  )
}

/** A read share of one file: its name, size and a download link. */
export function filePage(record: ShareRecord, stat: FileStat): string {
  return layout(
    stat.name,
    `<h1>${escapeHtml(stat.name)}</h1>
<p>${escapeHtml(sizeText(stat.size))}</p>
<p><a class="button" href="/s/${record.id}/download" download>Download</a></p>
${expiryLine(record)}`,
  )
}

/** Breadcrumbs from the share's top to `sub` (relative to the share), inside the share only. */
function crumbs(record: ShareRecord, sub: RelPath): string {
  const parts = sub === '' ? [] : sub.split('/')
  const items = [{ name: nameOfShare(record), href: `/s/${record.id}` }]
  for (const [i, name] of parts.entries())
    items.push({ name, href: shareFileHref(record.id, parts.slice(0, i + 1).join('/'), true) })
  const li = items.map((item, i) =>
    i === items.length - 1
      ? `<li><span aria-current="page">${escapeHtml(item.name)}</span></li>`
      : `<li><a href="${escapeHtml(item.href)}">${escapeHtml(item.name)}</a></li>`,
  )
  return `<nav aria-label="Folders"><ol class="crumbs">${li.join('')}</ol></nav>`
}

/** A read share of a folder: the listing of `sub` inside it (symbolic links left out). */
export function folderPage(record: ShareRecord, sub: RelPath, entries: readonly FileStat[]): string {
  const rows = entries
    .filter((e) => e.type === 'file' || e.type === 'dir')
    .map((e) => {
      const child = sub === '' ? e.name : `${sub}/${e.name}`
      const href = shareFileHref(record.id, child, e.type === 'dir')
      const label = e.type === 'dir' ? `${e.name}/` : e.name
      return `<tr><td><a href="${escapeHtml(href)}">${escapeHtml(label)}</a></td><td>${escapeHtml(e.type === 'dir' ? 'folder' : sizeText(e.size))}</td></tr>`
    })
  const table =
    rows.length === 0
      ? '<p>This folder is empty.</p>'
      : `<table><caption>Files</caption><thead><tr><th scope="col">Name</th><th scope="col">Size</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  const title = sub === '' ? nameOfShare(record) : sub.slice(sub.lastIndexOf('/') + 1)
  // The zip is of the whole share (one use), offered on its top page.
  const zip =
    sub === '' && rows.length > 0
      ? `<p><a class="zip" href="/s/${escapeHtml(encodeURIComponent(record.id))}/zip" download>Download all as zip</a></p>`
      : ''
  return layout(
    title,
    `${crumbs(record, sub)}<h1>${escapeHtml(title)}</h1>${zip}${table}${expiryLine(record)}`,
  )
}

/** A drop box: an upload form (the script PUTs each file; nothing here is ever listed). */
export function dropPage(record: ShareRecord): string {
  return layout(
    nameOfShare(record),
    `<h1>Send files: ${escapeHtml(nameOfShare(record))}</h1>
<p>Files you send go to whoever shared this link. You cannot see, replace or download what is there.</p>
<form id="drop-form" data-share="${escapeHtml(record.id)}">
<label for="drop-files">Files to send</label>
<input id="drop-files" name="files" type="file" multiple required>
<button type="submit">Send</button>
</form>
<ul id="drop-status" aria-live="polite"></ul>
${expiryLine(record)}`,
  )
}

/** The password form (posts to the share's page; a correct password sets the share's cookie). */
export function passwordPage(id: string, wrong: boolean): string {
  const message = wrong ? '<p class="error" role="alert">That password is not right.</p>' : ''
  return layout(
    'Password needed',
    `<h1>This link needs a password</h1>
${message}<form method="post" action="/s/${escapeHtml(encodeURIComponent(id))}">
<label for="share-password">Password</label>
<input id="share-password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Open</button>
</form>`,
  )
}

/** An error page in plain words. */
export function shareErrorPage(status: number, title: string, detail: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1><p role="alert">${escapeHtml(detail)}</p><p class="note">HTTP ${status}</p>`,
  )
}

/** Plain words for a refused share request, by status and code. */
export function shareWords(status: number, code: string): { title: string; detail: string } {
  if (code === 'GW_ERR_SHARE_EXPIRED')
    return { title: 'This link has expired', detail: 'Ask whoever sent it for a new one.' }
  if (code === 'GW_ERR_SHARE_USED_UP')
    return {
      title: 'This link has been used up',
      detail: 'It allowed a limited number of downloads, all taken.',
    }
  if (code === 'GW_ERR_SHARE_ADDRESS')
    return { title: 'Not from here', detail: 'This link may only be opened from certain networks.' }
  if (status === 404)
    return { title: 'Not found', detail: 'There is nothing at this address, or the link was revoked.' }
  if (status === 409 || status === 412)
    return {
      title: 'Already there',
      detail: 'A file with this name was already sent. Rename it and try again.',
    }
  if (status === 403) return { title: 'Not allowed', detail: 'This link does not allow that.' }
  if (status === 429) return { title: 'Too many requests', detail: 'Wait a minute, then try again.' }
  if (status === 400) return { title: 'That address does not work', detail: 'The address is not valid.' }
  return {
    title: 'Something went wrong',
    detail: 'The file could not be served. Try again in a little while.',
  }
}
