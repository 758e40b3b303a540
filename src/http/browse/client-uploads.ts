/**
 * The browse script's uploads, built on `window.gwUpload` (upload-script.ts): files and whole
 * folders (directory picker and drag-and-drop of folders, subfolders created first), a few at a
 * time, each with progress (bytes sent, speed, time left), Pause/Resume and Cancel. Nothing is replaced silently: an upload
 * onto an existing name asks Replace / Keep both / Skip. A row says Done only once the refreshed
 * listing shows the file, the batch is announced in the live region, and leaving the page while
 * uploads run asks first.
 */
export const CLIENT_UPLOADS = `
  var UPLOAD_CONCURRENCY = 3;
  var uploads = document.getElementById('uploads');
  var queue = [];
  var running = 0;
  var batch = { ok: 0, failed: 0, last: '' };
  var decideAll = null;

  function human(bytes) {
    var units = ['B', 'KB', 'MB', 'GB', 'TB'];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i === 0 ? bytes : bytes.toFixed(1)) + ' ' + units[i];
  }
  function duration(s) {
    if (!isFinite(s)) return '';
    if (s < 60) return Math.ceil(s) + ' s left';
    if (s < 3600) return Math.ceil(s / 60) + ' min left';
    return (s / 3600).toFixed(1) + ' h left';
  }

  function item(path) {
    var li = document.createElement('li');
    li.className = 'upload-item';
    var label = document.createElement('span');
    label.className = 'upload-name';
    label.textContent = path;
    var bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', 'Upload of ' + path);
    var state = document.createElement('span');
    state.className = 'upload-state';
    state.textContent = 'Waiting';
    // Pause shows once the upload runs (a waiting one has nothing to pause); Cancel at all times.
    var pause = document.createElement('button');
    pause.type = 'button';
    pause.className = 'upload-pause';
    pause.hidden = true;
    var cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'upload-cancel';
    cancel.textContent = 'Cancel';
    var buttons = document.createElement('span');
    buttons.className = 'upload-buttons';
    buttons.append(pause, cancel);
    li.append(label, bar, state, buttons);
    uploads.appendChild(li);
    var job = { li: li, bar: bar, state: state, pause: pause, cancel: cancel, buttons: buttons, rel: path, paused: false };
    setPaused(job, false);
    return job;
  }

  // The Pause button is a toggle; its name says what a press does, for the upload it belongs to.
  function setPaused(job, paused) {
    job.paused = paused;
    job.pause.textContent = paused ? 'Resume' : 'Pause';
    job.pause.setAttribute('aria-label', (paused ? 'Resume' : 'Pause') + ' upload of ' + job.rel);
    job.cancel.setAttribute('aria-label', 'Cancel upload of ' + job.rel);
  }

  // rel: the path under this folder ('a.txt' or 'photos/2024/a.jpg').
  function upload(file, rel) {
    var job = item(rel);
    job.file = file;
    job.overwrite = false;
    job.cancel.addEventListener('click', function () {
      if (job.handle) job.handle.cancel();
      else if (queue.indexOf(job) >= 0) {
        queue.splice(queue.indexOf(job), 1);
        end(job, 'cancelled', 'Cancelled');
      } else job.cancelWanted = true; // its folder is being made: cancel as soon as it starts
    });
    job.pause.addEventListener('click', function () {
      if (!job.handle) return;
      if (job.paused) {
        setPaused(job, false);
        job.samples = []; // the speed is measured again from now, not across the pause
        job.state.textContent = 'Resuming';
        job.handle.resume();
      } else {
        setPaused(job, true);
        job.handle.pause();
        job.state.textContent = 'Paused';
      }
    });
    queue.push(job);
    pump();
  }

  function pump() {
    while (running < UPLOAD_CONCURRENCY && queue.length > 0) {
      running++;
      var next = queue.shift();
      next.active = true;
      send(next);
    }
  }

  // Folders are made once per batch, parents first (?parents=1); "exists" is fine.
  var made = {};
  function ensureDir(rel) {
    if (rel === '') return Promise.resolve();
    if (!made[rel]) {
      made[rel] = api('POST', '/api/v1/dirs/' + encodePath(join(rel)) + '?parents=1').catch(function (err) {
        if (err.status === 409 || err.status === 412) return;
        delete made[rel];
        throw err;
      });
    }
    return made[rel];
  }
  function folderOf(rel) {
    return rel.indexOf('/') < 0 ? '' : rel.slice(0, rel.lastIndexOf('/'));
  }

  function send(job) {
    job.state.textContent = 'Starting';
    job.samples = [];
    job.handle = null;
    job.pause.hidden = true;
    setPaused(job, false);
    ensureDir(folderOf(job.rel)).then(function () {
      job.handle = window.gwUpload.start(job.file, join(job.rel), {
        overwrite: job.overwrite,
        onProgress: function (sent, total) {
          if (job.paused) return;
          var samples = job.samples;
          var now = performance.now();
          samples.push([now, sent]);
          while (samples.length > 2 && now - samples[0][0] > 3000) samples.shift();
          var first = samples[0];
          var speed = now > first[0] ? (sent - first[1]) / ((now - first[0]) / 1000) : 0;
          // 100 is kept for the server's answer: all bytes sent is not yet the file saved upstream.
          job.bar.value = total > 0 ? Math.min(99, Math.floor((sent / total) * 100)) : 0;
          // Every byte sent: nothing left to pause while the server saves the file.
          job.pause.hidden = sent >= total;
          var done = human(sent) + ' of ' + human(total);
          if (sent >= total) job.state.textContent = 'Saving';
          else if (speed > 0) job.state.textContent = done + ' · ' + human(speed) + '/s · ' + duration((total - sent) / speed);
          else job.state.textContent = done;
        },
        onSuccess: function () { saved(job); },
        onError: function (problem) { refused(job, problem); },
      });
      job.pause.hidden = false;
      if (job.cancelWanted) job.handle.cancel();
    }, function (err) { refused(job, err); });
  }

  function end(job, kind, text) {
    job.li.classList.add(kind === 'done' ? 'done' : 'failed');
    job.li.setAttribute('data-state', kind);
    job.state.textContent = text;
    job.buttons.remove();
  }
  function finished(job) {
    if (!job.active) return;
    job.active = false;
    running--;
    pump();
    if (running === 0 && queue.length === 0) announceBatch();
  }

  var waitingForListing = [];
  var refreshQueued = false;
  // A row says Done only after the listing on screen has been refreshed with the file in it.
  function saved(job) {
    job.state.textContent = 'Saved, updating the list';
    job.bar.value = 100;
    waitingForListing.push(job);
    batch.ok++;
    batch.last = job.rel;
    finished(job);
    if (!refreshQueued) {
      refreshQueued = true;
      Promise.resolve(refreshing).catch(function () {}).then(function () {
        refreshQueued = false;
        var jobs = waitingForListing;
        waitingForListing = [];
        return refresh().then(function () { settle(jobs, 0); });
      });
    }
  }

  // A listing read while an upload was finishing can be a moment old: look again (a few times)
  // before saying Done, and never say Done beside "This folder is empty".
  var MAX_LOOKS = 3;
  function settle(jobs, looks) {
    var unseen = jobs.filter(function (j) { return !rowNamed(j.rel.split('/')[0]); });
    var empty = listingBox.querySelector('.empty') !== null;
    if ((empty || unseen.length > 0) && looks < MAX_LOOKS) {
      return setTimeout(function () {
        refresh().then(function () { settle(jobs, looks + 1); });
      }, 300 * (looks + 1));
    }
    jobs.forEach(function (j) {
      // Not shown after all: on another page or outside the filter, or the list is out of date.
      if (empty) end(j, 'saved', 'Saved');
      else end(j, 'done', 'Done');
    });
  }

  function refused(job, problem) {
    var status = problem && problem.status;
    // Keep both picks the next free name until one is free; otherwise ask.
    if (status === 412 && job.keepBoth) return decide(job, 'both');
    if (status === 412 && !job.overwrite) return askOverwrite(job);
    if (status === 401) signInAgain();
    finished(job);
    if (problem && problem.code === 'CANCELLED') {
      end(job, 'cancelled', 'Cancelled');
      say('Cancelled the upload of ' + job.rel + '.');
      return;
    }
    batch.failed++;
    var words = plainWords(status || 0);
    end(job, 'failed', 'Failed: ' + words);
    say('Could not upload ' + job.rel + ': ' + words + '.', 'error');
  }

  function announceBatch() {
    if (batch.ok === 1) say('Uploaded ' + batch.last + '.');
    else if (batch.ok > 1) say('Uploaded ' + batch.ok + ' files.');
    batch = { ok: 0, failed: 0, last: '' };
    made = {};
  }

  // The overwrite prompt: one question at a time, "the same for the others" remembered per batch.
  var overwriteDialog = document.getElementById('overwrite-dialog');
  var asking = [];
  function askOverwrite(job) {
    job.state.textContent = 'Name taken';
    if (decideAll) return decide(job, decideAll);
    asking.push(job);
    if (asking.length === 1) showAsk();
  }
  function showAsk() {
    var job = asking[0];
    document.getElementById('overwrite-text').textContent = '"' + job.rel + '" already exists here. Replace it, keep both (the new one gets another name), or skip it?';
    document.getElementById('overwrite-all').checked = false;
    overwriteDialog.returnValue = '';
    overwriteDialog.showModal();
  }
  overwriteDialog.addEventListener('close', function () {
    var choice = overwriteDialog.returnValue || 'skip';
    if (document.getElementById('overwrite-all').checked) decideAll = choice;
    var now = asking.splice(0, decideAll ? asking.length : 1);
    now.forEach(function (job) { decide(job, choice); });
    if (asking.length > 0) showAsk();
  });
  function decide(job, choice) {
    if (choice === 'replace') {
      job.overwrite = true;
      return send(job);
    }
    if (choice === 'both') {
      job.keepBoth = true;
      var folder = folderOf(job.rel);
      var name = job.rel.slice(folder === '' ? 0 : folder.length + 1);
      job.taken = (job.taken || []).concat([name]);
      job.rel = (folder === '' ? '' : folder + '/') + keepBothName(name, job.taken.concat(folder === '' ? shownNames() : []));
      job.li.querySelector('.upload-name').textContent = job.rel;
      job.bar.setAttribute('aria-label', 'Upload of ' + job.rel);
      return send(job);
    }
    finished(job);
    end(job, 'skipped', 'Skipped');
  }

  function uploadAll(list) {
    decideAll = null;
    for (var i = 0; i < list.length; i++) {
      var f = list[i].file || list[i];
      upload(f, list[i].rel || f.webkitRelativePath || f.name);
    }
  }
  gw.uploadAll = uploadAll;

  var input = document.getElementById('file-input');
  input.addEventListener('change', function () {
    uploadAll(input.files);
    input.value = '';
  });
  var folderInput = document.getElementById('folder-input');
  folderInput.addEventListener('change', function () {
    uploadAll(folderInput.files);
    folderInput.value = '';
  });

  window.addEventListener('beforeunload', function (e) {
    if (running === 0 && queue.length === 0 && asking.length === 0) return;
    e.preventDefault();
    e.returnValue = '';
  });
`
