/**
 * The browse page's script, served as /_browse/static/browse.js (embedded here so `tsc` builds
 * carry it into dist/ without a copy step). Plain ES2020 for the browser, no build step. It only
 * enhances the server-rendered page: reveals the action controls, uploads with per-file progress
 * (XMLHttpRequest, because fetch reports no upload progress), new folder, rename, delete with a
 * confirmation dialog, and re-fetches the listing in place afterwards. Every API call carries the
 * anti-CSRF header the cookie authentication demands. Names only ever reach the DOM through
 * textContent or attribute setters, never innerHTML.
 *
 * Written without template literals so it can live in this string.
 */
export const CLIENT_SCRIPT = `'use strict';
(function () {
  var CSRF = { 'X-Requested-With': 'ftp-gateway' };
  var UPLOAD_CONCURRENCY = 3;
  var listingBox = document.getElementById('listing');
  if (!listingBox) return;
  var dir = listingBox.getAttribute('data-dir') || '';
  var messages = document.getElementById('messages');

  function encodePath(p) {
    return p.split('/').map(encodeURIComponent).join('/');
  }
  function join(name) {
    return dir === '' ? name : dir + '/' + name;
  }
  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  // Times arrive in UTC (the server cannot know the reader's zone); show them in local time.
  function localiseTimes(root) {
    root.querySelectorAll('time[datetime]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime())) return;
      t.title = d.toISOString();
      t.textContent = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
        pad(d.getHours()) + ':' + pad(d.getMinutes());
    });
  }
  function reveal(root) {
    root.querySelectorAll('.row-actions').forEach(function (el) { el.hidden = false; });
  }

  function say(text, kind) {
    var p = document.createElement('p');
    p.className = 'message ' + (kind || 'info');
    p.textContent = text;
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'dismiss';
    close.textContent = 'Dismiss';
    close.addEventListener('click', function () { p.remove(); });
    p.appendChild(close);
    messages.appendChild(p);
    // Errors stay until dismissed; confirmations fade on their own.
    if (kind !== 'error') setTimeout(function () { p.remove(); }, 6000);
  }

  function signInAgain() {
    location.assign('/_browse/login?next=' + encodeURIComponent(location.pathname + location.search));
  }

  // A readable message from a problem+json body (detail, else title), else the status line.
  function problemText(status, statusText, bodyText) {
    try {
      var p = JSON.parse(bodyText);
      if (p && (p.detail || p.title)) return p.detail || p.title;
    } catch (e) { /* not JSON: fall through */ }
    return 'HTTP ' + status + (statusText ? ' ' + statusText : '');
  }

  function api(method, url, body) {
    var headers = Object.assign({}, CSRF);
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (res) {
      if (res.ok) return res;
      if (res.status === 401) signInAgain();
      return res.text().then(function (t) {
        throw new Error(problemText(res.status, res.statusText, t));
      });
    });
  }

  // Re-renders the listing from the server (same URL, same sort and page) without a reload, so
  // upload progress and messages stay on screen.
  function refresh() {
    return fetch(location.href, { credentials: 'same-origin' })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('listing');
        if (!fresh) return;
        reveal(fresh);
        localiseTimes(fresh);
        listingBox.replaceWith(fresh);
        listingBox = fresh;
      });
  }

  function badName(name) {
    if (name === '' || name === '.' || name === '..') return 'Enter a name.';
    if (name.indexOf('/') >= 0) return 'A name cannot contain "/".';
    return '';
  }

  // Uploads: one list item with a progress bar per file, a few files at a time.
  var uploads = document.getElementById('uploads');
  var queue = [];
  var running = 0;

  function upload(file) {
    var li = document.createElement('li');
    li.className = 'upload-item';
    var label = document.createElement('span');
    label.className = 'upload-name';
    label.textContent = file.name;
    var bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', 'Upload of ' + file.name);
    var state = document.createElement('span');
    state.className = 'upload-state';
    state.textContent = 'Waiting';
    li.append(label, bar, state);
    uploads.appendChild(li);
    queue.push({ file: file, li: li, bar: bar, state: state });
    pump();
  }

  function pump() {
    while (running < UPLOAD_CONCURRENCY && queue.length > 0) {
      running++;
      send(queue.shift());
    }
  }

  function finishJob(job, ok, text) {
    running--;
    job.li.classList.add(ok ? 'done' : 'failed');
    job.li.setAttribute('data-state', ok ? 'done' : 'failed');
    job.state.textContent = text;
    if (job.buttons) job.buttons.remove();
    if (ok) job.bar.value = 100;
    else say(job.file.name + ': ' + text, 'error');
    pump();
    if (running === 0 && queue.length === 0) refresh();
  }

  function sizeText(n) {
    var units = ['B', 'KB', 'MB', 'GB', 'TB'];
    var i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  function timeText(s) {
    if (!isFinite(s)) return '';
    if (s < 60) return Math.ceil(s) + ' s left';
    if (s < 3600) return Math.ceil(s / 60) + ' min left';
    return (s / 3600).toFixed(1) + ' h left';
  }

  // Through the upload engine (/_browse/upload.js: resumable tus, PUT fallback): progress with
  // speed and time left, pause/resume, cancel (which ends the upload on the server too).
  function send(job) {
    if (!window.gwUpload) return sendPut(job);
    job.state.textContent = 'Uploading';
    var buttons = document.createElement('span');
    buttons.className = 'upload-buttons';
    var pause = document.createElement('button');
    pause.type = 'button';
    pause.className = 'upload-pause';
    pause.textContent = 'Pause';
    var cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'upload-cancel';
    cancel.textContent = 'Cancel';
    buttons.append(pause, cancel);
    job.li.appendChild(buttons);
    job.buttons = buttons;
    var samples = [];
    var ended = false;
    var control = window.gwUpload.start(job.file, '/' + join(job.file.name), {
      overwrite: true,
      onProgress: function (sent, total) {
        var now = Date.now();
        samples.push([now, sent]);
        while (samples.length > 2 && now - samples[0][0] > 5000) samples.shift();
        var first = samples[0];
        var rate = now > first[0] ? ((sent - first[1]) * 1000) / (now - first[0]) : 0;
        job.bar.value = total > 0 ? Math.min(99, Math.floor((sent / total) * 100)) : 0;
        job.li.setAttribute('data-sent', String(sent));
        job.state.textContent = sizeText(sent) + ' of ' + sizeText(total) +
          (rate > 0 ? ' · ' + sizeText(rate) + '/s · ' + timeText((total - sent) / rate) : '');
      },
      onSuccess: function () { if (!ended) { ended = true; finishJob(job, true, 'Done'); } },
      onError: function (problem) {
        if (ended) return;
        ended = true;
        if (problem.status === 401) signInAgain();
        finishJob(job, false, problem.detail || problem.title || 'The upload failed');
      }
    });
    pause.addEventListener('click', function () {
      if (pause.textContent === 'Pause') {
        control.pause();
        pause.textContent = 'Resume';
        job.state.textContent = 'Paused';
      } else {
        control.resume();
        pause.textContent = 'Pause';
        job.state.textContent = 'Uploading';
      }
    });
    cancel.addEventListener('click', function () {
      if (ended) return;
      ended = true;
      control.cancel();
      finishJob(job, false, 'Cancelled');
    });
  }

  function sendPut(job) {
    var xhr = new XMLHttpRequest();
    xhr.open('PUT', '/api/v1/files/' + encodePath(join(job.file.name)));
    xhr.setRequestHeader('X-Requested-With', 'ftp-gateway');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    job.state.textContent = 'Uploading';
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable || e.total <= 0) return;
      // 100 is kept for the server's answer: all bytes sent is not yet the file saved upstream.
      job.bar.value = Math.min(99, Math.floor((e.loaded / e.total) * 100));
      if (e.loaded >= e.total) job.state.textContent = 'Saving';
    };
    function finish(ok, text) { finishJob(job, ok, text); }
    xhr.onload = function () {
      if (xhr.status >= 200 && xhr.status < 300) finish(true, 'Done');
      else {
        if (xhr.status === 401) signInAgain();
        finish(false, problemText(xhr.status, xhr.statusText, xhr.responseText));
      }
    };
    xhr.onerror = function () { finish(false, 'The connection failed'); };
    xhr.onabort = function () { finish(false, 'Cancelled'); };
    xhr.send(job.file);
  }

  function uploadAll(files) {
    for (var i = 0; i < files.length; i++) upload(files[i]);
  }

  var input = document.getElementById('file-input');
  input.addEventListener('change', function () {
    uploadAll(input.files);
    input.value = '';
  });

  // Drag and drop anywhere on the page; the body shows a drop target while files hover.
  var depth = 0;
  function hasFiles(e) {
    return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, 'Files') >= 0;
  }
  document.addEventListener('dragenter', function (e) {
    if (!hasFiles(e)) return;
    depth++;
    document.body.classList.add('dropping');
  });
  document.addEventListener('dragleave', function () {
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove('dropping');
  });
  document.addEventListener('dragover', function (e) {
    if (hasFiles(e)) e.preventDefault();
  });
  document.addEventListener('drop', function (e) {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    document.body.classList.remove('dropping');
    uploadAll(e.dataTransfer.files);
  });

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
        say('Created folder ' + name);
        return refresh();
      })
      .catch(function (err) { say(err.message, 'error'); });
  });

  // Row buttons, delegated so rows replaced by refresh() need no rebinding.
  var renameDialog = document.getElementById('rename-dialog');
  var renameInput = document.getElementById('rename-name');
  var deleteDialog = document.getElementById('delete-dialog');
  var deleteText = document.getElementById('delete-text');
  var current = null;

  document.addEventListener('click', function (e) {
    var button = e.target.closest('button.rename, button.delete');
    if (!button) return;
    var row = button.closest('tr');
    current = { name: row.dataset.name, type: row.dataset.type, button: button };
    if (button.classList.contains('rename')) {
      renameInput.value = current.name;
      renameDialog.returnValue = '';
      renameDialog.showModal();
      renameInput.select();
    } else {
      deleteText.textContent = current.type === 'dir'
        ? 'Delete the folder "' + current.name + '" and everything in it?'
        : 'Delete "' + current.name + '"?';
      deleteDialog.returnValue = '';
      deleteDialog.showModal();
    }
  });

  renameDialog.addEventListener('close', function () {
    var job = current;
    if (!job || renameDialog.returnValue !== 'ok') return job && job.button.focus();
    var name = renameInput.value.trim();
    if (name === job.name) return;
    var bad = badName(name);
    if (bad) return say(bad, 'error');
    api('POST', '/api/v1/move', { from: '/' + join(job.name), to: '/' + join(name), overwrite: false })
      .then(function () {
        say('Renamed ' + job.name + ' to ' + name);
        return refresh();
      })
      .catch(function (err) { say(err.message, 'error'); });
  });

  deleteDialog.addEventListener('close', function () {
    var job = current;
    if (!job || deleteDialog.returnValue !== 'ok') return job && job.button.focus();
    var url = job.type === 'dir'
      ? '/api/v1/dirs/' + encodePath(join(job.name)) + '?recursive=1'
      : '/api/v1/files/' + encodePath(join(job.name));
    api('DELETE', url)
      .then(function () {
        say('Deleted ' + job.name);
        return refresh();
      })
      .catch(function (err) { say(err.message, 'error'); });
  });

  document.querySelector('.actions').hidden = false;
  reveal(document);
  localiseTimes(document);
})();
`
