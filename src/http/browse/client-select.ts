/**
 * The browse script's multi-select: a checkbox per row and one for the page, a bar with the count
 * and bulk Move, Copy, Download and Delete. Move and Copy open a folder picker that walks the tree
 * through the REST listing (folders only, via `?q=` unfiltered and the `type` of each entry).
 * Download saves the selection as one zip (`gw.downloadMany`: a link to `/api/v1/zip/{folder}?name=…`).
 */
export const CLIENT_SELECT = `
  var bulk = document.getElementById('bulk');
  var selected = {};
  function selectedJobs() {
    return rows().filter(function (r) { return selected[r.dataset.name]; }).map(gw.rowJob);
  }
  function syncSelection() {
    // Names no longer shown (a refresh, another page) drop out of the selection.
    var shown = {};
    rows().forEach(function (r) {
      shown[r.dataset.name] = true;
      var box = r.querySelector('input.select');
      box.checked = !!selected[r.dataset.name];
      r.classList.toggle('selected', box.checked);
    });
    Object.keys(selected).forEach(function (n) { if (!shown[n]) delete selected[n]; });
    var count = Object.keys(selected).length;
    bulk = document.getElementById('bulk');
    bulk.hidden = count === 0;
    document.getElementById('bulk-count').textContent = count + ' selected';
    var all = document.getElementById('select-all');
    all.checked = count > 0 && count === rows().length;
    all.indeterminate = count > 0 && count < rows().length;
  }
  function clearSelection() {
    selected = {};
    syncSelection();
  }
  function toggleRow(row, on) {
    if (on) selected[row.dataset.name] = true;
    else delete selected[row.dataset.name];
    syncSelection();
  }
  gw.clearSelection = clearSelection;
  gw.selectedJobs = selectedJobs;
  gw.toggleRow = function (row) { toggleRow(row, !selected[row.dataset.name]); };
  gw.afterRefresh.push(syncSelection);

  document.addEventListener('change', function (e) {
    if (!listingBox.contains(e.target)) return;
    if (e.target.id === 'select-all') {
      rows().forEach(function (r) {
        if (e.target.checked) selected[r.dataset.name] = true;
        else delete selected[r.dataset.name];
      });
      syncSelection();
    } else if (e.target.classList.contains('select')) {
      toggleRow(e.target.closest('tr'), e.target.checked);
    }
  });

  // Bulk download: the selection as one zip of this folder (folders included, zipped whole),
  // streamed by GET /api/v1/zip/{folder}?name=...; one plain link, so the browser saves it as it comes.
  gw.downloadMany = function (jobs) {
    if (jobs.length === 0) return;
    var a = document.createElement('a');
    if (jobs.length === 1 && jobs[0].type !== 'dir') {
      // One file is saved as itself: a zip of it would only be in the way.
      a.href = '/api/v1/files/' + encodePath(join(jobs[0].name)) + '?download=1';
      a.download = jobs[0].name;
    } else {
      var query = jobs.map(function (j) { return 'name=' + encodeURIComponent(j.name); }).join('&');
      a.href = '/api/v1/zip/' + encodePath(dir) + '?' + query;
      a.download = (jobs.length === 1 ? jobs[0].name : (dir === '' ? 'files' : dir.split('/').pop())) + '.zip';
    }
    document.body.appendChild(a);
    a.click();
    a.remove();
  };

  // The folder picker of Move and Copy.
  var transferDialog = document.getElementById('transfer-dialog');
  var pickerList = document.getElementById('picker-list');
  var pickerPath = document.getElementById('picker-path');
  var pickerUp = document.getElementById('picker-up');
  var transfer = null;
  function pickerShow(path) {
    transfer.target = path;
    pickerPath.textContent = '/' + path;
    pickerUp.disabled = path === '';
    pickerList.replaceChildren();
    api('GET', '/api/v1/dirs/' + encodePath(path) + '?limit=10000')
      .then(function (res) { return res.json(); })
      .then(function (page) {
        page.entries.filter(function (e) { return e.type === 'dir'; }).forEach(function (e) {
          var li = document.createElement('li');
          var b = document.createElement('button');
          b.type = 'button';
          b.className = 'picker-folder';
          b.textContent = e.name;
          b.addEventListener('click', function () { pickerShow(path === '' ? e.name : path + '/' + e.name); });
          li.appendChild(b);
          pickerList.appendChild(li);
        });
        if (!pickerList.firstChild) {
          var none = document.createElement('li');
          none.className = 'note';
          none.textContent = 'No folders in here.';
          pickerList.appendChild(none);
        }
      })
      .catch(function (err) { failed('Could not list /' + path, err); });
  }
  pickerUp.addEventListener('click', function () {
    var t = transfer.target;
    pickerShow(t.indexOf('/') < 0 ? '' : t.slice(0, t.lastIndexOf('/')));
  });
  function openTransfer(kind, jobs) {
    if (jobs.length === 0) return;
    transfer = { kind: kind, jobs: jobs, target: dir };
    var verb = kind === 'move' ? 'Move' : 'Copy';
    document.getElementById('transfer-title').textContent = verb + (jobs.length === 1 ? ' "' + jobs[0].name + '"' : ' ' + jobs.length + ' items');
    document.getElementById('transfer-text').textContent = 'Choose the folder to ' + kind + ' into.';
    document.getElementById('transfer-ok').textContent = verb + ' here';
    transferDialog.returnValue = '';
    pickerShow(dir);
    transferDialog.showModal();
  }
  transferDialog.addEventListener('close', function () {
    var t = transfer;
    if (!t || transferDialog.returnValue !== 'ok') return;
    if (t.target === dir && t.kind === 'move') return say('They are in this folder already.', 'error');
    var ok = 0;
    t.jobs.reduce(function (p, job) {
      return p.then(function () {
        var to = join(job.name, t.target);
        if (t.kind === 'copy' && t.target === dir) to = join(keepBothName(job.name, shownNames()), t.target);
        return api('POST', '/api/v1/' + t.kind, { from: '/' + join(job.name), to: '/' + to, overwrite: false })
          .then(function () { ok++; }, function (err) {
            failed('Could not ' + t.kind + ' ' + job.name, err);
          });
      });
    }, Promise.resolve()).then(function () {
      var past = t.kind === 'move' ? 'Moved ' : 'Copied ';
      if (ok > 0) say(past + (ok === 1 && t.jobs.length === 1 ? t.jobs[0].name : ok + ' items') + ' to /' + t.target + '.');
      clearSelection();
      return refresh({ index: t.jobs[0].index });
    });
  });

  document.getElementById('main').addEventListener('click', function (e) {
    var id = e.target.id;
    if (id === 'bulk-move') openTransfer('move', selectedJobs());
    else if (id === 'bulk-copy') openTransfer('copy', selectedJobs());
    else if (id === 'bulk-download') gw.downloadMany(selectedJobs());
    else if (id === 'bulk-delete') gw.openDelete(selectedJobs());
    else if (id === 'bulk-clear') clearSelection();
  });
`
