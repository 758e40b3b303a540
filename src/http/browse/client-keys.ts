/**
 * The browse script's keyboard shortcuts (listed in the help dialog, render-dialogs.ts), the
 * Connect panel (the WebDAV address of this gateway with a copy button) and the live filter (the
 * filter form still works without script: it is a GET form; with script the listing updates as
 * one types, from the server, over the whole folder).
 */
export const CLIENT_KEYS = `
  var helpDialog = document.getElementById('help-dialog');
  var connectDialog = document.getElementById('connect-dialog');

  function typing(e) {
    var t = e.target;
    // Checkboxes take no text: shortcuts still work while one has focus.
    if (t.tagName === 'INPUT') return t.type !== 'checkbox';
    return t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT';
  }
  function focusedRow() {
    var el = document.activeElement;
    var row = el && el.closest ? el.closest('tr') : null;
    return row && listingBox.contains(row) && row.parentNode.tagName === 'TBODY' ? row : null;
  }
  function moveFocus(by) {
    var all = rows();
    if (all.length === 0) return;
    var at = all.indexOf(focusedRow());
    var next = all[Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + by))];
    next.querySelector('a.entry').focus();
  }

  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.querySelector('dialog[open]')) return;
    if (typing(e)) {
      if (e.key === 'Escape' && e.target.id === 'filter-q' && e.target.value !== '') {
        e.target.value = '';
        filterNow();
      }
      return;
    }
    var row = focusedRow();
    var key = e.key;
    if (key === '/') document.getElementById('filter-q').focus();
    else if (key === 'u') document.getElementById('file-input').click();
    else if (key === 'n') document.getElementById('mkdir-name').focus();
    else if (key === '?') helpDialog.showModal();
    else if (key === 'j' || key === 'ArrowDown' && row) moveFocus(1);
    else if (key === 'k' || key === 'ArrowUp' && row) moveFocus(-1);
    else if (key === 'x' && row) gw.toggleRow(row);
    else if (key === 'F2' && row) gw.openRename(row);
    else if (key === 'Delete') {
      var jobs = gw.selectedJobs();
      if (jobs.length === 0 && row) jobs = [gw.rowJob(row)];
      gw.openDelete(jobs);
    } else if (key === 'Escape') gw.clearSelection();
    else return;
    e.preventDefault();
  });

  document.getElementById('help-open').addEventListener('click', function () { helpDialog.showModal(); });

  // The WebDAV address as seen from this browser (the gateway may sit behind a proxy).
  var davUrl = location.origin + '/dav/';
  document.getElementById('dav-url').value = davUrl;
  document.getElementById('rclone-command').textContent =
    'rclone config create gateway webdav url=' + davUrl + ' vendor=other user=NAME pass=$(rclone obscure PASSWORD)';
  document.getElementById('connect-open').addEventListener('click', function () { connectDialog.showModal(); });
  document.getElementById('dav-copy').addEventListener('click', function () {
    var field = document.getElementById('dav-url');
    var done = function () { say('Copied the WebDAV address.'); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        field.select();
        say('Select the address and copy it with your keyboard.', 'error');
      });
    } else {
      field.select();
      document.execCommand('copy') ? done() : say('Select the address and copy it with your keyboard.', 'error');
    }
  });

  // Live filter: the server filters the whole folder; typing waits a moment between requests.
  var filterTimer = null;
  function filterUrl() {
    var form = document.querySelector('form.filter');
    var params = new URLSearchParams(new FormData(form));
    if (params.get('q') === '') params.delete('q');
    var s = params.toString();
    return location.pathname + (s ? '?' + s : '');
  }
  function filterNow() {
    clearTimeout(filterTimer);
    return refresh(null, filterUrl());
  }
  document.addEventListener('input', function (e) {
    if (e.target.id !== 'filter-q') return;
    clearTimeout(filterTimer);
    filterTimer = setTimeout(filterNow, 250);
  });
  document.addEventListener('submit', function (e) {
    if (!e.target.classList.contains('filter')) return;
    e.preventDefault();
    filterNow();
  });
`
