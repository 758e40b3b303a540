/**
 * The browse page's stylesheet and type icons, served as /_browse/static/browse.css. Icons are
 * small SVGs inlined as data: URLs in the stylesheet (allowed by `img-src data:`), so the page
 * needs no image requests and no inline styles. Under 600 px wide the size and date columns fold
 * into a line under the name.
 */

// 20×20 outline icons, drawn for this page. `currentColor` cannot reach into a data: URL, so each
// carries its colour.
const ICONS: Record<string, string> = {
  dir: '<path d="M2 5.5A1.5 1.5 0 0 1 3.5 4h4l2 2h7A1.5 1.5 0 0 1 18 7.5v7A1.5 1.5 0 0 1 16.5 16h-13A1.5 1.5 0 0 1 2 14.5z" fill="#f3c45a" stroke="#b8861b"/>',
  file: '<path d="M5 2.5h6.5L16 7v10.5H5z" fill="#fff" stroke="#6b7280"/><path d="M11.5 2.5V7H16" fill="none" stroke="#6b7280"/>',
  text: '<path d="M5 2.5h6.5L16 7v10.5H5z" fill="#fff" stroke="#4b6fa8"/><path d="M11.5 2.5V7H16M7.5 10h6M7.5 12.5h6M7.5 15h4" fill="none" stroke="#4b6fa8"/>',
  image:
    '<rect x="2.5" y="4" width="15" height="12" rx="1.5" fill="#eef6ee" stroke="#3f8f4f"/><circle cx="7" cy="8" r="1.5" fill="#3f8f4f"/><path d="M3 15l5-5 3 3 2-2 4 4" fill="none" stroke="#3f8f4f"/>',
  archive:
    '<rect x="3.5" y="3" width="13" height="14" rx="1.5" fill="#f6efe6" stroke="#8a5a2b"/><path d="M10 3v2m0 2v2m0 2v2" stroke="#8a5a2b"/>',
  media:
    '<rect x="2.5" y="4" width="15" height="12" rx="1.5" fill="#f3eefa" stroke="#6b46a8"/><path d="M8.5 7.5v5l4-2.5z" fill="#6b46a8"/>',
  document:
    '<path d="M5 2.5h6.5L16 7v10.5H5z" fill="#fdf0ef" stroke="#b3402f"/><path d="M11.5 2.5V7H16M7.5 11h6M7.5 13.5h6" fill="none" stroke="#b3402f"/>',
  link: '<path d="M5 2.5h6.5L16 7v10.5H5z" fill="#fff" stroke="#6b7280"/><path d="M8 14l5-5m-3 0h3v3" fill="none" stroke="#0f62fe"/>',
}

function iconUrl(body: string): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20" stroke-width="1.2">${body}</svg>`
  return `url("data:image/svg+xml,${encodeURIComponent(svg)}")`
}

/** The favicon (the folder icon). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20" stroke-width="1.2">${ICONS.dir}</svg>`

const iconRules = Object.entries(ICONS)
  .map(([kind, body]) => `.icon-${kind}::before{background-image:${iconUrl(body)}}`)
  .join('\n')

/**
 * The stylesheet. Colours are custom properties with a dark set under `prefers-color-scheme:
 * dark`; every pair keeps WCAG AA contrast in both. On phones (narrow or coarse pointer) every
 * control is at least 44 px tall and the "drop files" hint goes away.
 */
export const STYLESHEET = `:root {
  color-scheme: light dark;
  --fg: #1f2328; --muted: #59636e; --line: #d8dee4; --bg: #fff; --panel: #f6f8fa; --hover: #eaeef2;
  --accent: #0b57d0; --accent-hover: #0842a0; --accent-fg: #fff; --danger: #b42318; --ok: #1a7f37; --focus: #ffbf47;
  --info-bg: #e9f7ee; --info-line: #8fd1a5; --err-bg: #fdecea; --err-line: #f1a9a0; --err-fg: #7a1a10;
  --selected: #ddf4ff; --drop: #f0f6ff; --control-line: #8c959f;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 16px; line-height: 1.45; color: var(--fg); background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --muted: #9ea7b3; --line: #30363d; --bg: #0d1117; --panel: #161b22; --hover: #21262d;
    --accent: #58a6ff; --accent-hover: #79b8ff; --accent-fg: #0d1117; --danger: #ff7b72; --ok: #3fb950;
    --info-bg: #12261e; --info-line: #2ea043; --err-bg: #2d1214; --err-line: #f85149; --err-fg: #ffdcd7;
    --selected: #132f4c; --drop: #0c2d6b; --control-line: #6e7681;
  }
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px #1f2328; border-radius: 3px; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; top: .5rem; }
[hidden] { display: none !important; }

.top { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .5rem 1rem;
  padding: .6rem 1.25rem; background: #24292f; color: #f6f8fa; }
.top a, .top .brand { color: #fff; font-weight: 600; text-decoration: none; }
.top .ghost-link { font-weight: 400; }
.user { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem .75rem; font-size: .9rem; }
.signout { margin: 0; }
.top button, .top .ghost-link { background: transparent; color: #fff; border: 1px solid #8c959f; border-radius: 6px; padding: .3rem .7rem; font-size: .9rem; }
.top button:hover, .top .ghost-link:hover { background: #32383f; }

main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: .25rem 0 1rem; overflow-wrap: anywhere; }
h1:focus { outline: none; }
.crumbs { display: flex; flex-wrap: wrap; list-style: none; margin: 0; padding: 0; font-size: .95rem; }
.crumbs li { overflow-wrap: anywhere; }
.crumbs li + li::before { content: "/"; color: var(--muted); padding: 0 .4rem; }
.crumbs [aria-current] { color: var(--muted); }

button, .button { font: inherit; font-size: .95rem; display: inline-block; padding: .4rem .85rem; border: 1px solid var(--control-line);
  border-radius: 6px; background: var(--panel); color: var(--fg); cursor: pointer; text-decoration: none; line-height: 1.3; }
button:hover, .button:hover { background: var(--hover); }
button:disabled { opacity: .55; cursor: default; }
.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-fg); }
.primary:hover { background: var(--accent-hover); }
.danger { color: var(--danger); }
input { font: inherit; padding: .4rem .6rem; border: 1px solid var(--control-line); border-radius: 6px; min-width: 0;
  background: var(--bg); color: var(--fg); }
input[type=checkbox] { width: 1.15rem; height: 1.15rem; margin: 0; accent-color: var(--accent); }

.actions { display: flex; flex-wrap: wrap; gap: .75rem 2rem; align-items: center; padding: .75rem 1rem;
  margin-bottom: 1rem; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
.upload { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; }
.upload input:focus-visible + label { outline: 3px solid var(--focus); outline-offset: 2px; }
.hint, .note, .count, .server { color: var(--muted); font-size: .9rem; }
.mkdir { display: flex; align-items: center; gap: .5rem; flex-wrap: wrap; margin: 0; }
.mkdir label, .filter label { font-weight: 600; font-size: .95rem; }
body.dropping main { outline: 3px dashed var(--accent); outline-offset: -6px; background: var(--drop); }

.list-tools { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; margin-bottom: .5rem; }
.filter { display: flex; align-items: center; gap: .5rem; margin: 0; flex: 1 1 18rem; max-width: 30rem; }
.filter input { flex: 1; }
.count { margin: .25rem 0 .5rem; }
.list-head { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .5rem 1rem; }
.select-all { display: none; align-items: center; gap: .5rem; font-size: .9rem; }
.select-all:has(input:not([hidden])) { display: inline-flex; }
.bulk { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; padding: .5rem .75rem; margin-bottom: .5rem;
  background: var(--selected); border-radius: 8px; }
#bulk-count { font-weight: 600; margin-right: .5rem; }

.messages:empty { display: none; }
.message { display: flex; justify-content: space-between; align-items: center; gap: 1rem; margin: 0 0 .5rem;
  padding: .6rem .9rem; border-radius: 6px; border: 1px solid; overflow-wrap: anywhere; }
.message.info { background: var(--info-bg); border-color: var(--info-line); }
.message.error, .error { background: var(--err-bg); border-color: var(--err-line); color: var(--err-fg); }
.error { padding: .6rem .9rem; border: 1px solid var(--err-line); border-radius: 6px; overflow-wrap: anywhere; }
.dismiss { font-size: .8rem; padding: .15rem .5rem; }

.uploads { list-style: none; margin: 0 0 1rem; padding: 0; }
.uploads:empty { display: none; }
.upload-item { display: grid; grid-template-columns: minmax(0, 1fr) minmax(6rem, 14rem) minmax(9rem, auto) auto; gap: .75rem; align-items: center;
  padding: .35rem 0; border-bottom: 1px solid var(--line); font-size: .95rem; }
.upload-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.upload-item progress { width: 100%; height: .9rem; accent-color: var(--accent); }
.upload-state { font-variant-numeric: tabular-nums; }
.upload-item.done .upload-state { color: var(--ok); }
.upload-item.failed .upload-state { color: var(--danger); }
.upload-buttons { display: inline-flex; gap: .25rem; }
.upload-pause, .upload-cancel { font-size: .85rem; padding: .2rem .6rem; }

.listing { width: 100%; border-collapse: collapse; }
.listing th { text-align: left; font-size: .9rem; border-bottom: 2px solid var(--line); padding: .4rem .5rem; white-space: nowrap; }
.listing th a { color: var(--fg); text-decoration: none; }
.listing th a:hover { text-decoration: underline; }
.listing th[aria-sort] a { color: var(--accent); }
.arrow { font-size: .7rem; margin-left: .3rem; }
.listing td { padding: .45rem .5rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
.listing tbody tr:hover { background: var(--panel); }
.listing tbody tr.selected { background: var(--selected); }
.col-select { width: 2rem; }
.col-name { width: 100%; overflow-wrap: anywhere; }
.col-type { white-space: nowrap; color: var(--muted); font-size: .9rem; }
.col-size { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.listing th.col-size { text-align: right; }
.col-modified { white-space: nowrap; color: var(--muted); font-variant-numeric: tabular-nums; }
.col-actions { white-space: nowrap; text-align: right; }
.row-actions { display: inline-flex; gap: .4rem; }
.row-actions button { font-size: .85rem; padding: .25rem .6rem; }
.entry { display: inline-flex; align-items: flex-start; gap: .5rem; text-decoration: none; font-weight: 500; }
.entry:hover { text-decoration: underline; }
.entry::before { content: ""; flex: none; width: 20px; height: 20px; background: no-repeat center / 20px 20px; }
.sort-bar { display: none; }
.meta { display: none; }
.empty { color: var(--muted); padding: 1rem .5rem; }
.pager { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin-top: 1rem; }
.pager [aria-current] { background: var(--accent); border-color: var(--accent); color: var(--accent-fg); font-weight: 700; }
.gap { color: var(--muted); padding: 0 .25rem; }

.card { max-width: 26rem; margin: 2rem auto; padding: 1.5rem; border: 1px solid var(--line); border-radius: 10px; background: var(--bg); }
.lead { color: var(--muted); margin-top: -.5rem; }
.login { display: grid; gap: .4rem; }
.login label { font-weight: 600; margin-top: .5rem; }
.login button { margin-top: 1rem; padding: .6rem; }

dialog { border: 1px solid var(--line); border-radius: 10px; padding: 1.25rem; max-width: min(28rem, calc(100vw - 2rem)); width: 100%;
  background: var(--bg); color: var(--fg); }
dialog.wide { max-width: min(40rem, calc(100vw - 2rem)); }
dialog::backdrop { background: rgba(31, 35, 40, .55); }
dialog h2 { margin: 0 0 .75rem; font-size: 1.2rem; overflow-wrap: anywhere; }
dialog h3 { margin: .75rem 0 0; font-size: 1rem; }
.dialog-form { display: grid; gap: .5rem; }
.dialog-form p { overflow-wrap: anywhere; margin: 0; }
.dialog-buttons { display: flex; flex-wrap: wrap; justify-content: flex-end; gap: .5rem; margin-top: 1rem; }
.check { display: flex; align-items: center; gap: .5rem; }
.copy-row { display: flex; gap: .5rem; }
#share-kind-set { border: 0; padding: 0; margin: 0 0 .5rem; }
#share-kind-set legend { font-weight: 600; padding: 0; }
#share-form select, #share-form input[type=number] { display: block; margin-bottom: .5rem; }
.copy-row input { flex: 1; }
.code { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .5rem; overflow-x: auto; margin: 0; font-size: .85rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.picker-list { list-style: none; margin: .5rem 0 0; padding: 0; max-height: 14rem; overflow-y: auto; border: 1px solid var(--line); border-radius: 6px; }
.picker-list li + li { border-top: 1px solid var(--line); }
.picker-folder { width: 100%; text-align: left; border: 0; border-radius: 0; background: transparent; }
.picker-list .note { padding: .5rem; }
.keys { border-collapse: collapse; }
.keys td, .keys th { padding: .3rem .6rem; text-align: left; border-bottom: 1px solid var(--line); }
kbd { font-family: ui-monospace, monospace; border: 1px solid var(--control-line); border-radius: 4px; padding: .05rem .35rem; background: var(--panel); }

.viewer { max-width: min(64rem, calc(100vw - 1rem)); width: 100%; padding: .75rem; }
.viewer-head { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; margin-bottom: .5rem; }
.viewer-head h2 { margin: 0; flex: 1 1 12rem; }
.viewer-buttons { display: flex; flex-wrap: wrap; gap: .4rem; }
.viewer-body { display: flex; justify-content: center; min-height: 8rem; }
.viewer-body img, .viewer-body video { max-width: 100%; max-height: 75vh; }
.viewer-body iframe { width: 100%; height: 75vh; border: 1px solid var(--line); background: #fff; }
.viewer-body audio { width: 100%; }
.text-preview { width: 100%; max-height: 75vh; overflow: auto; margin: 0; padding: .75rem; background: var(--panel);
  border: 1px solid var(--line); border-radius: 6px; font-size: .85rem; white-space: pre-wrap; overflow-wrap: anywhere; }

@media (max-width: 600px) {
  main { padding: .75rem .75rem 2rem; }
  .top { padding: .5rem .75rem; }
  .listing .col-size, .listing .col-modified, .listing .col-type { display: none; }
  /* The sort bar above replaces the header row, which would only hold "Name" here. */
  .listing thead { display: none; }
  .sort-bar { display: flex; flex-wrap: wrap; gap: .25rem .75rem; font-size: .9rem; color: var(--muted); margin-bottom: .25rem; }
  .sort-bar a { display: inline-flex; align-items: center; min-height: 44px; min-width: 44px; }
  .sort-bar [aria-current] { font-weight: 700; }
  .meta { display: block; color: var(--muted); font-size: .8rem; margin: .1rem 0 0 1.75rem; }
  .listing td { padding: .25rem .25rem; }
  .row-actions { flex-direction: column; }
  .actions { gap: .75rem; }
  .mkdir input { flex: 1; }
  .upload-item { grid-template-columns: minmax(0, 1fr) 5rem auto; }
  .upload-state { grid-column: 1 / -1; font-size: .85rem; }
}
/* Touch screens and phones: 44 px targets (WCAG 2.5.5), no "drop files" (there is nothing to drag). */
@media (max-width: 600px), (pointer: coarse) {
  button, .button, input:not([type=checkbox]), .top .ghost-link { min-height: 44px; }
  button, .button { display: inline-flex; align-items: center; justify-content: center; }
  /* No keyboard to speak of: the shortcut help stays reachable with "?" only. */
  #help-open { display: none; }
  .top .ghost-link { display: inline-flex; align-items: center; }
  .row-actions button, .dismiss, .upload-pause, .upload-cancel { min-height: 44px; min-width: 44px; font-size: .95rem; }
  .entry { min-height: 44px; align-items: center; }
  .col-select input[type=checkbox], #select-all { width: 28px; height: 28px; margin: 8px; }
  .pager .button { min-width: 44px; text-align: center; }
  .drop-hint { display: none; }
}
${iconRules}
`
