/**
 * The browse script's file viewer: a click on a previewable file (rows with `data-preview`) opens
 * it in a dialog instead of leaving the page, with Previous/Next through the previewable files of
 * the page (also ← and →) and a Download link. Images, PDF, audio and video load from the file's
 * URL, which carries the sandbox CSP and nosniff (user-content.ts), so nothing in an uploaded
 * file can run as this origin; text is fetched (the first 256 KiB) and shown with textContent, so
 * markup in HTML or SVG sources is never parsed. A modified click (new tab, save) is left alone.
 */
export const CLIENT_VIEWER = `
  var TEXT_PREVIEW_BYTES = 262144;
  var viewer = document.getElementById('viewer');
  var viewerBody = document.getElementById('viewer-body');
  var viewing = null;

  function previewRows() {
    return rows().filter(function (r) { return r.dataset.preview; });
  }

  function showPreview(row) {
    var name = row.dataset.name;
    var kind = row.dataset.preview;
    var url = '/api/v1/files/' + encodePath(join(name));
    var list = previewRows();
    var at = list.indexOf(row);
    viewing = { name: name };
    document.getElementById('viewer-title').textContent = name;
    document.getElementById('viewer-count').textContent = (at + 1) + ' of ' + list.length;
    document.getElementById('viewer-prev').disabled = at <= 0;
    document.getElementById('viewer-next').disabled = at >= list.length - 1;
    var download = document.getElementById('viewer-download');
    download.href = url + '?download=1';
    download.setAttribute('download', name);
    download.setAttribute('aria-label', 'Download ' + name);
    var el;
    if (kind === 'image') {
      el = document.createElement('img');
      el.alt = name;
      el.src = url;
    } else if (kind === 'pdf') {
      el = document.createElement('iframe');
      el.title = name;
      el.src = url;
    } else if (kind === 'audio' || kind === 'video') {
      el = document.createElement(kind);
      el.controls = true;
      el.src = url;
    } else {
      el = document.createElement('pre');
      el.className = 'text-preview';
      el.tabIndex = 0;
      el.setAttribute('aria-label', 'Contents of ' + name);
      el.textContent = 'Loading…';
      fetch(url, { credentials: 'same-origin', headers: { Range: 'bytes=0-' + (TEXT_PREVIEW_BYTES - 1) } })
        .then(function (res) {
          if (!res.ok) throw problemOf(res.status, '');
          return res.text().then(function (t) {
            var cut = res.status === 206 && /\\/(\\d+)$/.test(res.headers.get('content-range') || '') &&
              Number(RegExp.$1) > TEXT_PREVIEW_BYTES;
            el.textContent = t + (cut ? '\\n… (the first 256 KB; download the file for the rest)' : '');
          });
        })
        .catch(function (err) { el.textContent = 'Could not show this file: ' + (err.plain || plainWords(0)) + '.'; });
    }
    el.classList.add('preview');
    viewerBody.replaceChildren(el);
    if (!viewer.open) viewer.showModal();
  }

  function step(by) {
    if (!viewing) return;
    var list = previewRows();
    var at = list.indexOf(rowNamed(viewing.name));
    var next = list[at + by];
    if (next) showPreview(next);
  }
  gw.preview = showPreview;

  document.addEventListener('click', function (e) {
    var link = e.target.closest('a.entry');
    if (!link || !listingBox.contains(link)) return;
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    var row = link.closest('tr');
    if (!row.dataset.preview) return;
    e.preventDefault();
    showPreview(row);
  });
  document.getElementById('viewer-prev').addEventListener('click', function () { step(-1); });
  document.getElementById('viewer-next').addEventListener('click', function () { step(1); });
  document.getElementById('viewer-close').addEventListener('click', function () { viewer.close(); });
  viewer.addEventListener('keydown', function (e) {
    if (e.target.tagName === 'VIDEO' || e.target.tagName === 'AUDIO') return;
    if (e.key === 'ArrowLeft') { e.preventDefault(); step(-1); }
    if (e.key === 'ArrowRight') { e.preventDefault(); step(1); }
  });
  viewer.addEventListener('close', function () {
    // Stop media and drop the frame; focus returns to the file last shown.
    viewerBody.replaceChildren();
    var row = viewing && rowNamed(viewing.name);
    viewing = null;
    if (row) row.querySelector('a.entry').focus();
  });
`
