/**
 * The directory listing page. The server has already filtered, sorted and cut the page from the
 * whole folder (files/listing-order.ts), so this only renders: the filter box, "1–500 of 2,501",
 * the sortable table, page numbers, and the controls only the script can drive (upload, new
 * folder, selection, row actions), which carry `hidden` until the script reveals them. Everything
 * else works without script: listing, filter, sorting, paging, opening and downloading files.
 */
import type { FileStat, ListPage, ListSort, RelPath, SortOrder } from '../../files/types.js'
import { contentTypeFor } from '../mime.js'
import { isPassiveType } from '../user-content.js'
import {
  browseHref,
  downloadHref,
  escapeHtml,
  fileHref,
  formatDate,
  formatSize,
  joinPath,
  zipHref,
} from './format.js'
import { breadcrumbs, layout, userBar, type Viewer } from './render.js'
import { listingDialogs } from './render-dialogs.js'

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

/**
 * How the page's viewer shows a file, or '' when it cannot. Images (SVG included: an <img> never
 * runs a document's script), PDF, audio and video load from the file URL, whose sandbox CSP and
 * nosniff hold in the viewer too; text-like files (HTML and SVG source too) are fetched and shown
 * as text, so markup in them is never parsed.
 */
export function previewKind(name: string): string {
  const type = contentTypeFor(name).split(';')[0]!
  if (type.startsWith('image/')) return 'image'
  if (type === 'application/pdf') return 'pdf'
  if (type.startsWith('audio/')) return 'audio'
  if (type.startsWith('video/')) return 'video'
  if (type.startsWith('text/') || /^application\/(json|xml|yaml)$/.test(type)) return 'text'
  return ''
}

/** What the listing page shows. */
export interface ListingView {
  dir: RelPath
  page: ListPage
  sort: ListSort
  order: SortOrder
  /** The filter text (empty: none). */
  q: string
  /** Entries per page. */
  limit: number
  /** True when `limit` came from `?limit=` (kept in links). */
  customLimit: boolean
  viewer: Viewer
}

const LABELS: Record<ListSort, string> = { name: 'Name', size: 'Size', modified: 'Modified', type: 'Type' }

/** A listing URL of the view with some parameters changed; defaults are left out. */
function hrefOf(view: ListingView, change: { sort?: ListSort; order?: SortOrder; page?: number }): string {
  const sort = change.sort ?? view.sort
  const order = change.order ?? view.order
  const q = new URLSearchParams()
  if (sort !== 'name') q.set('sort', sort)
  if (order !== 'asc') q.set('order', order)
  if (view.q !== '') q.set('q', view.q)
  if (view.customLimit) q.set('limit', String(view.limit))
  if (change.page !== undefined && change.page > 1) q.set('page', String(change.page))
  const s = q.toString()
  return s === '' ? browseHref(view.dir) : `${browseHref(view.dir)}?${s}`
}

/** Where a column's sort control leads (to page 1), and the aria-sort of the column now. */
function sortLink(view: ListingView, key: ListSort): { href: string; ariaSort: string } {
  const active = view.sort === key
  // The active column flips; another starts ascending for names and types, descending for size
  // and date (largest and newest first is what people look for).
  let nextOrder: SortOrder = key === 'name' || key === 'type' ? 'asc' : 'desc'
  if (active) nextOrder = view.order === 'asc' ? 'desc' : 'asc'
  const href = hrefOf(view, { sort: key, order: nextOrder })
  return { href, ariaSort: active ? (view.order === 'asc' ? 'ascending' : 'descending') : '' }
}

function headerCell(view: ListingView, key: ListSort): string {
  const { href, ariaSort } = sortLink(view, key)
  const arrow =
    ariaSort === '' ? '' : `<span class="arrow" aria-hidden="true">${view.order === 'asc' ? '▲' : '▼'}</span>`
  const sortAttr = ariaSort === '' ? '' : ` aria-sort="${ariaSort}"`
  return `<th scope="col" class="col-${key}"${sortAttr}><a class="sort" data-sort="${key}" href="${escapeHtml(href)}">${LABELS[key]}${arrow}</a></th>`
}

// The size, type and date headers fold away on narrow screens; this row of links keeps their sorting.
function sortBar(view: ListingView): string {
  const links = (['name', 'size', 'modified', 'type'] as const).map((key) => {
    const { href, ariaSort } = sortLink(view, key)
    const current = ariaSort === '' ? '' : ' aria-current="true"'
    return `<a href="${escapeHtml(href)}"${current}>${LABELS[key]}</a>`
  })
  return `<nav class="sort-bar" aria-label="Sort by">Sort: ${links.join(' ')}</nav>`
}

function typeLabel(entry: FileStat): string {
  if (entry.type === 'dir') return 'Folder'
  const dot = entry.name.lastIndexOf('.')
  return dot <= 0 ? 'File' : entry.name.slice(dot + 1).toUpperCase()
}

function row(view: ListingView, entry: FileStat): string {
  const path = joinPath(view.dir, entry.name)
  const isDir = entry.type === 'dir'
  const preview = isDir ? '' : previewKind(entry.name)
  // A passive type opens in the browser (safe: the file's own sandbox CSP); anything else saves.
  const inline = !isDir && isPassiveType(contentTypeFor(entry.name))
  const href = isDir ? browseHref(path) : inline ? fileHref(path) : downloadHref(path)
  const size = isDir ? '' : formatSize(entry.size)
  const modified = formatDate(entry.modified)
  const iso = entry.modified?.toISOString() ?? ''
  const time = modified === '' ? '' : `<time datetime="${escapeHtml(iso)}">${escapeHtml(modified)}</time>`
  const meta = [size, time].filter((s) => s !== '').join(' · ')
  const download = isDir || inline ? '' : ` download="${escapeHtml(entry.name)}"`
  const name = escapeHtml(entry.name)
  const previewAttr = preview === '' ? '' : ` data-preview="${preview}"`
  // A folder downloads whole as one zip (issue 20), streamed by the REST API with the page's cookie.
  const zip = isDir
    ? `<a class="button zip" href="${escapeHtml(zipHref(path))}" download="${name}.zip" aria-label="Download as zip: ${name}">Download as zip</a>`
    : ''
  return `<tr data-name="${name}" data-type="${escapeHtml(entry.type)}" data-size="${entry.size ?? ''}" data-modified="${escapeHtml(iso)}"${previewAttr}>
<td class="col-select"><input type="checkbox" class="select" aria-label="Select ${name}" hidden></td>
<td class="col-name"><a class="entry icon-${iconKind(entry)}" href="${escapeHtml(href)}"${download}>${name}${isDir ? '<span class="visually-hidden"> (folder)</span>' : ''}</a><span class="meta">${meta}</span></td>
<td class="col-type">${escapeHtml(typeLabel(entry))}</td>
<td class="col-size">${escapeHtml(size)}</td>
<td class="col-modified">${time}</td>
<td class="col-actions"><span class="row-actions" hidden>${zip}<button type="button" class="share" aria-label="Share ${name}">Share</button><button type="button" class="rename" aria-label="Rename ${name}">Rename</button><button type="button" class="delete danger" aria-label="Delete ${name}">Delete</button></span></td>
</tr>`
}

/** Page numbers to show: the first, the last, and two either side of the current one. */
export function pageNumbers(current: number, pages: number): (number | '…')[] {
  const out: (number | '…')[] = []
  for (let p = 1; p <= pages; p++) {
    if (p === 1 || p === pages || Math.abs(p - current) <= 2) out.push(p)
    else if (out[out.length - 1] !== '…') out.push('…')
  }
  return out
}

function pager(view: ListingView, current: number, pages: number): string {
  if (pages <= 1) return ''
  const items: string[] = []
  if (current > 1)
    items.push(
      `<a class="button" rel="prev" href="${escapeHtml(hrefOf(view, { page: current - 1 }))}">Previous</a>`,
    )
  for (const p of pageNumbers(current, pages)) {
    if (p === '…') items.push('<span class="gap" aria-hidden="true">…</span>')
    else if (p === current)
      items.push(
        `<a class="button page" aria-current="page" href="${escapeHtml(hrefOf(view, { page: p }))}">${p}</a>`,
      )
    else
      items.push(
        `<a class="button page" href="${escapeHtml(hrefOf(view, { page: p }))}" aria-label="Page ${p}">${p}</a>`,
      )
  }
  if (current < pages)
    items.push(
      `<a class="button" rel="next" href="${escapeHtml(hrefOf(view, { page: current + 1 }))}">Next</a>`,
    )
  return `<nav class="pager" aria-label="Pages">${items.join('')}</nav>`
}

const count = (n: number) => n.toLocaleString('en-US')

function summary(view: ListingView): string {
  const { page } = view
  const what = view.q === '' ? '' : ` matching “${escapeHtml(view.q)}”`
  if (page.total === 0)
    return `<p class="count" id="count">${view.q === '' ? 'No items' : `No names${what}`}</p>`
  if (page.entries.length === page.total)
    return `<p class="count" id="count">${count(page.total)} ${page.total === 1 ? 'item' : 'items'}${what}</p>`
  const first = page.offset + 1
  const last = page.offset + page.entries.length
  return `<p class="count" id="count">${count(first)}–${count(last)} of ${count(page.total)}${what}</p>`
}

function filterForm(view: ListingView): string {
  const keep = [
    view.sort === 'name' ? '' : `<input type="hidden" name="sort" value="${view.sort}">`,
    view.order === 'asc' ? '' : `<input type="hidden" name="order" value="${view.order}">`,
    view.customLimit ? `<input type="hidden" name="limit" value="${view.limit}">` : '',
  ].join('')
  return `<form class="filter" role="search" method="get" action="${escapeHtml(browseHref(view.dir))}"><label for="filter-q">Filter</label><input type="search" id="filter-q" name="q" value="${escapeHtml(view.q)}" maxlength="255" autocomplete="off" aria-keyshortcuts="/" aria-describedby="count">${keep}<button type="submit">Filter</button></form>`
}

/** The directory listing page. */
export function listingPage(view: ListingView): string {
  const { dir, page } = view
  const title = dir === '' ? 'Home' : dir.slice(dir.lastIndexOf('/') + 1)
  const pages = Math.max(1, Math.ceil(page.total / view.limit))
  const current = Math.floor(page.offset / view.limit) + 1
  const empty =
    page.total === 0 && view.q === ''
      ? '<p class="empty">This folder is empty.</p>'
      : page.entries.length === 0 && page.total > 0
        ? `<p class="empty">There is no page ${current}. <a href="${escapeHtml(hrefOf(view, { page: 1 }))}">Go to the first page</a>.</p>`
        : ''
  const body = `${breadcrumbs(dir)}
<h1>${escapeHtml(title)}</h1>
${page.upstream === undefined ? '' : `<p class="server" id="server">On server <strong>${escapeHtml(page.upstream)}</strong></p>`}
<div id="messages" class="messages" role="status" aria-live="polite"></div>
<div id="alerts" class="messages" role="alert"></div>
<section class="actions" aria-label="Folder actions" hidden>
<div class="upload"><input type="file" id="file-input" class="visually-hidden" multiple><label for="file-input" class="button primary" aria-keyshortcuts="u">Upload files</label><input type="file" id="folder-input" class="visually-hidden" webkitdirectory multiple><label for="folder-input" class="button">Upload folder</label><span class="hint drop-hint">or drop files and folders on this page</span></div>
<form id="mkdir-form" class="mkdir"><label for="mkdir-name">New folder</label><input id="mkdir-name" name="name" required autocomplete="off" maxlength="255" aria-keyshortcuts="n"><button type="submit">Create</button></form>
</section>
<ul id="uploads" class="uploads" aria-label="Uploads"></ul>
<div class="list-tools">${filterForm(view)}</div>
<div id="listing" data-dir="${escapeHtml(dir)}" data-page="${current}" data-pages="${pages}">
<div class="list-head">${summary(view)}<label class="select-all"><input type="checkbox" id="select-all" hidden> Select all on this page</label></div>
<div id="bulk" class="bulk" hidden><span id="bulk-count">0 selected</span><button type="button" id="bulk-move">Move…</button><button type="button" id="bulk-copy">Copy…</button><button type="button" id="bulk-download">Download</button><button type="button" id="bulk-delete" class="danger">Delete…</button><button type="button" id="bulk-clear">Clear selection</button></div>
${sortBar(view)}
<table class="listing">
<caption class="visually-hidden">Contents of ${escapeHtml(`/${dir}`)}, sorted by ${LABELS[view.sort].toLowerCase()}, ${view.order === 'asc' ? 'ascending' : 'descending'}</caption>
<thead><tr><th scope="col" class="col-select"><span class="visually-hidden">Selected</span></th>${headerCell(view, 'name')}${headerCell(view, 'type')}${headerCell(view, 'size')}${headerCell(view, 'modified')}<th scope="col" class="col-actions"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>
${page.entries.map((e) => row(view, e)).join('\n')}
</tbody>
</table>
${empty}
${pager(view, current, pages)}
</div>
${listingDialogs()}`
  return layout(title, body, userBar(view.viewer))
}
