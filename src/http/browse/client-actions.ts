/**
 * The browse script's single-item actions: new folder, rename and delete. After each one the
 * listing is refreshed in place and focus goes back to the row (the renamed row, or the row that
 * took a deleted one's place), never to <body>; the result is announced in a live region.
 */
export const CLIENT_ACTIONS = `
  var mkdirForm = document.getElementById('mkdir-form');
  var mkdirName = document.getElementById('mkdir-name');
  mkdirForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var name = mkdirName.value.trim();
    var bad = badName(name);
    if (bad) return say(bad, 'error');
    api('POST', '/api/v1/dirs/' + encodePath(join(name)))
      .then(function () {
        mkdirName.value = '';
        say('Created folder ' + name + '.');
        return refresh({ name: name });
      })
      .catch(function (err) { failed('Could not create folder ' + name, err); });
  });

  var renameDialog = document.getElementById('rename-dialog');
  var renameInput = document.getElementById('rename-name');
  var deleteDialog = document.getElementById('delete-dialog');
  var deleteText = document.getElementById('delete-text');
  var current = null;

  function rowJob(row) {
    return { name: row.dataset.name, type: row.dataset.type, index: rows().indexOf(row) };
  }
  function openRename(row) {
    current = rowJob(row);
    renameInput.value = current.name;
    renameDialog.returnValue = '';
    renameDialog.showModal();
    // Select the name without its extension, as file managers do.
    var dot = current.type === 'dir' ? -1 : current.name.lastIndexOf('.');
    renameInput.setSelectionRange(0, dot > 0 ? dot : current.name.length);
  }
  // jobs: [{ name, type, index }]; one job asks about that item, several about the count.
  var deleting = [];
  function openDelete(jobs) {
    if (jobs.length === 0) return;
    deleting = jobs;
    var one = jobs[0];
    if (jobs.length > 1) deleteText.textContent = 'Delete ' + jobs.length + ' items and everything in the folders among them?';
    else deleteText.textContent = one.type === 'dir'
      ? 'Delete the folder "' + one.name + '" and everything in it?'
      : 'Delete "' + one.name + '"?';
    deleteDialog.returnValue = '';
    deleteDialog.showModal();
  }
  gw.openRename = openRename;
  gw.openDelete = openDelete;
  gw.rowJob = rowJob;

  // Row buttons, delegated so rows replaced by refresh() need no rebinding.
  document.addEventListener('click', function (e) {
    var button = e.target.closest('button.rename, button.delete');
    if (!button || !listingBox.contains(button)) return;
    var row = button.closest('tr');
    if (button.classList.contains('rename')) openRename(row);
    else openDelete([rowJob(row)]);
  });

  function backToRow(job) {
    var row = job && rowNamed(job.name);
    if (row) row.querySelector('a.entry').focus();
  }

  renameDialog.addEventListener('close', function () {
    var job = current;
    if (!job) return;
    if (renameDialog.returnValue !== 'ok') return backToRow(job);
    var name = renameInput.value.trim();
    if (name === job.name) return backToRow(job);
    var bad = badName(name);
    if (bad) {
      say(bad, 'error');
      return backToRow(job);
    }
    api('POST', '/api/v1/move', { from: '/' + join(job.name), to: '/' + join(name), overwrite: false })
      .then(function () {
        say('Renamed ' + job.name + ' to ' + name + '.');
        return refresh({ name: name, index: job.index });
      })
      .catch(function (err) {
        failed('Could not rename ' + job.name, err);
        backToRow(job);
      });
  });

  function deleteOne(job) {
    var url = job.type === 'dir'
      ? '/api/v1/dirs/' + encodePath(join(job.name)) + '?recursive=1'
      : '/api/v1/files/' + encodePath(join(job.name));
    return api('DELETE', url).then(function () { return { job: job, ok: true }; },
      function (err) { return { job: job, ok: false, err: err }; });
  }

  deleteDialog.addEventListener('close', function () {
    var jobs = deleting;
    deleting = [];
    if (jobs.length === 0) return;
    if (deleteDialog.returnValue !== 'ok') return backToRow(jobs[0]);
    var first = Math.min.apply(null, jobs.map(function (j) { return j.index; }));
    // One at a time: the FTP server sees one delete per session anyway, and errors stay readable.
    var results = [];
    jobs.reduce(function (p, job) {
      return p.then(function () { return deleteOne(job).then(function (r) { results.push(r); }); });
    }, Promise.resolve()).then(function () {
      var done = results.filter(function (r) { return r.ok; });
      results.filter(function (r) { return !r.ok; }).forEach(function (r) {
        failed('Could not delete ' + r.job.name, r.err);
      });
      if (done.length === 1 && jobs.length === 1) say('Deleted ' + done[0].job.name + '.');
      else if (done.length > 0) say('Deleted ' + done.length + ' of ' + jobs.length + ' items.');
      if (gw.clearSelection) gw.clearSelection();
      return refresh({ index: first });
    });
  });
`
