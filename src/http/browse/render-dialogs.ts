/**
 * The dialogs of the listing page (native <dialog>, driven by the script): rename, delete, move
 * and copy with a folder picker, the upload overwrite prompt, the file viewer, the Connect panel
 * (WebDAV address and per-system instructions), the keyboard shortcut help, and share links
 * (the Share dialog and the "Shared by me" list). Static HTML: the
 * script fills names in with textContent only.
 *
 * In every form the first submit button is the action, never Cancel: Enter in a text field
 * presses the form's first submit button, and a Cancel there made Enter cancel a rename.
 * Cancel buttons are type="button" and close the dialog from the script.
 */

const rename = `<dialog id="rename-dialog" aria-labelledby="rename-title"><form method="dialog" class="dialog-form"><h2 id="rename-title">Rename</h2><label for="rename-name">New name</label><input id="rename-name" name="name" required autocomplete="off" maxlength="255"><div class="dialog-buttons"><button type="submit" value="ok" class="primary">Rename</button><button type="button" class="cancel">Cancel</button></div></form></dialog>`

const remove = `<dialog id="delete-dialog" aria-labelledby="delete-title"><form method="dialog" class="dialog-form"><h2 id="delete-title">Delete?</h2><p id="delete-text"></p><div class="dialog-buttons"><button type="submit" value="ok" class="danger">Delete</button><button type="button" class="cancel" autofocus>Cancel</button></div></form></dialog>`

const transfer = `<dialog id="transfer-dialog" aria-labelledby="transfer-title"><form method="dialog" class="dialog-form"><h2 id="transfer-title">Move</h2><p id="transfer-text"></p><p class="picker-where">Into: <strong id="picker-path">/</strong></p><div class="picker" role="group" aria-label="Folders"><button type="button" id="picker-up">Up one folder</button><ul id="picker-list" class="picker-list"></ul></div><div class="dialog-buttons"><button type="submit" value="ok" class="primary" id="transfer-ok">Move here</button><button type="button" class="cancel">Cancel</button></div></form></dialog>`

const overwrite = `<dialog id="overwrite-dialog" aria-labelledby="overwrite-title"><form method="dialog" class="dialog-form"><h2 id="overwrite-title">The name is taken</h2><p id="overwrite-text"></p><label class="check"><input type="checkbox" id="overwrite-all"> Do the same for the other files</label><div class="dialog-buttons"><button type="submit" value="replace" class="primary">Replace</button><button type="submit" value="both">Keep both</button><button type="submit" value="skip">Skip</button></div></form></dialog>`

const viewer = `<dialog id="viewer" class="viewer" aria-labelledby="viewer-title"><div class="viewer-head"><h2 id="viewer-title"></h2><span id="viewer-count" class="note"></span><div class="viewer-buttons"><button type="button" id="viewer-prev" aria-keyshortcuts="ArrowLeft">Previous</button><button type="button" id="viewer-next" aria-keyshortcuts="ArrowRight">Next</button><a id="viewer-download" class="button" href="/browse/">Download</a><button type="button" id="viewer-close">Close</button></div></div><div id="viewer-body" class="viewer-body"></div></dialog>`

const connect = `<dialog id="connect-dialog" class="wide" aria-labelledby="connect-title"><div class="dialog-form"><h2 id="connect-title">Connect</h2>
<p>Open these files in your own file manager or sync tool through WebDAV, with the same user name and password.</p>
<label for="dav-url">WebDAV address</label><div class="copy-row"><input id="dav-url" readonly value="/dav/"><button type="button" id="dav-copy">Copy</button></div>
<h3>Windows</h3><p>File Explorer → This PC → <em>Map network drive</em>, then paste the address as the folder. Windows sends passwords only over HTTPS unless its WebClient service is told otherwise.</p>
<h3>macOS</h3><p>Finder → Go → <em>Connect to Server</em> (⌘K), paste the address, then Connect.</p>
<h3>Linux (GNOME Files)</h3><p>Other Locations → <em>Connect to Server</em>: the address with <code>dav://</code> in place of <code>http://</code> (<code>davs://</code> for <code>https://</code>).</p>
<h3>rclone</h3><pre class="code"><code id="rclone-command">rclone config create gateway webdav url=/dav/ vendor=other user=NAME pass=$(rclone obscure PASSWORD)</code></pre>
<h3>API</h3><p>The REST API is described at <a href="/docs">/docs</a> (OpenAPI document: <a href="/openapi.json">/openapi.json</a>).</p>
<div class="dialog-buttons"><button type="button" class="cancel">Close</button></div></div></dialog>`

// Share links (issue 20): made through POST /api/v1/shares, listed and revoked in "Shared by me".
const share = `<dialog id="share-dialog" aria-labelledby="share-title"><form method="dialog" class="dialog-form" id="share-form"><h2 id="share-title">Share</h2><p id="share-text"></p>
<fieldset id="share-kind-set"><legend>Link lets people</legend><label class="check"><input type="radio" name="kind" value="read" checked> Download</label><label class="check" id="share-drop-label"><input type="radio" name="kind" value="drop"> Upload files into this folder (drop box: they see nothing)</label></fieldset>
<label for="share-expiry">Expires after</label><select id="share-expiry" name="expiry"><option value="3600">1 hour</option><option value="86400">1 day</option><option value="604800" selected>7 days</option><option value="2592000">30 days</option></select>
<label for="share-password">Password (optional)</label><input id="share-password" name="password" type="password" autocomplete="new-password" maxlength="1024">
<label for="share-uses">Uses allowed (optional)</label><input id="share-uses" name="uses" type="number" min="1" step="1" inputmode="numeric">
<div id="share-result" hidden><label for="share-url">Link</label><div class="copy-row"><input id="share-url" readonly><button type="button" id="share-copy">Copy link</button></div></div>
<div class="dialog-buttons"><button type="submit" value="ok" class="primary" id="share-create">Create link</button><button type="button" class="cancel">Close</button></div></form></dialog>`

const shared = `<dialog id="shares-dialog" class="wide" aria-labelledby="shares-title"><div class="dialog-form"><h2 id="shares-title">Shared by me</h2><p id="shares-empty" hidden>You have no share links.</p><table class="keys" id="shares-table" hidden><caption class="visually-hidden">Your share links</caption><thead><tr><th scope="col">Path</th><th scope="col">Kind</th><th scope="col">Expires</th><th scope="col">Uses left</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody id="shares-body"></tbody></table><div class="dialog-buttons"><button type="button" class="cancel">Close</button></div></div></dialog>`

// App passwords (issue 18): made, shown once with a Copy button, listed and revoked.
const appPasswords = `<dialog id="apppw-dialog" class="wide" aria-labelledby="apppw-title"><div class="dialog-form"><h2 id="apppw-title">App passwords</h2><p>For WebDAV drives, rclone and scripts: use one as the password with your user name. Revoke it when the device is gone.</p>
<form id="apppw-form"><label for="apppw-label">What it is for</label><div class="copy-row"><input id="apppw-label" name="label" required maxlength="100" autocomplete="off"><button type="submit" class="primary" id="apppw-create">Make a password</button></div></form>
<div id="apppw-result" hidden><label for="apppw-secret">Your new app password (shown only now)</label><div class="copy-row"><input id="apppw-secret" readonly autocomplete="off"><button type="button" id="apppw-copy">Copy password</button></div></div>
<p id="apppw-empty" hidden>You have no app passwords.</p><table class="keys" id="apppw-table" hidden><caption class="visually-hidden">Your app passwords</caption><thead><tr><th scope="col">For</th><th scope="col">Made</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody id="apppw-body"></tbody></table><div class="dialog-buttons"><button type="button" class="cancel">Close</button></div></div></dialog>`

const SHORTCUTS: [string, string][] = [
  ['/', 'Filter this folder'],
  ['u', 'Upload files'],
  ['n', 'New folder'],
  ['j / k', 'Next / previous row'],
  ['x', 'Select or unselect the row'],
  ['F2', 'Rename the row'],
  ['Delete', 'Delete the selected items (or the row)'],
  ['Escape', 'Clear the selection, close a dialog'],
  ['← / →', 'Previous / next file in the viewer'],
  ['?', 'This help'],
]

const help = `<dialog id="help-dialog" aria-labelledby="help-title"><div class="dialog-form"><h2 id="help-title">Keyboard shortcuts</h2><table class="keys"><thead><tr><th scope="col">Key</th><th scope="col">Does</th></tr></thead><tbody>${SHORTCUTS.map(([k, d]) => `<tr><td><kbd>${k}</kbd></td><td>${d}</td></tr>`).join('')}</tbody></table><div class="dialog-buttons"><button type="button" class="cancel">Close</button></div></div></dialog>`

/** Every dialog of the listing page. */
export function listingDialogs(): string {
  return [rename, remove, transfer, overwrite, viewer, connect, help, share, shared, appPasswords].join('\n')
}
