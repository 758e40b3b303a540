/**
 * `/_browse/upload.js`: the browse page's upload engine, shared with the page's UI by a small
 * contract (docs/architecture.md "Browser uploads"):
 *
 *   window.gwUpload.start(file, destPath, { overwrite, onProgress(sent, total), onSuccess(),
 *                                          onError(problem), chunkSize? })
 *     -> { cancel(), pause(), resume() }
 *
 * Inside, a resumable tus upload (tus-js-client, loaded on first use from this origin): pieces of
 * `chunkSize` bytes (50 MiB: under the body limits of common proxies), retried after network
 * failures, resumed after a page reload (the upload URL is kept in localStorage, keyed by the
 * destination and the file's name, size and time), `cancel()` terminating it on the server. When
 * the upstream cannot resume (the creation answers 501) or the browser cannot run tus, it falls
 * back to one plain PUT. `problem` is `{ status, code, title, detail }` (RFC 9457 fields).
 *
 * `cancel()` calls `onError` at once with `{ status: 0, code: 'CANCELLED' }` (the page ends the
 * row and stops warning before leaving) while the termination goes on in the background; after
 * any end (success, failure, cancel) the page hears nothing more from that upload. `pause()`
 * stops the PATCH under way; `resume()` asks the server where the upload stands (HEAD) and goes
 * on from there. Progress is not reported while paused.
 */

/** The script, with the versioned URL of the tus client it loads. */
export function uploadScript(tusClientUrl: string): string {
  return `/* ftp-gateway upload engine: tus with a PUT fallback */
(function () {
  'use strict';
  var TUS_URL = ${JSON.stringify(tusClientUrl)};
  var ENDPOINT = '/api/v1/uploads/';
  var CHUNK = 50 * 1024 * 1024;
  var CSRF = { 'X-Requested-With': 'ftp-gateway' };
  var loading = null;

  function loadTus() {
    if (window.tus) return Promise.resolve(window.tus);
    if (loading) return loading;
    loading = new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = TUS_URL;
      s.onload = function () { window.tus ? resolve(window.tus) : reject(new Error('tus did not load')); };
      s.onerror = function () { loading = null; reject(new Error('tus did not load')); };
      document.head.appendChild(s);
    });
    return loading;
  }

  function problemOf(status, text, fallback) {
    var p = { status: status, code: undefined, title: fallback, detail: fallback };
    try {
      var body = JSON.parse(text);
      if (body && typeof body === 'object') {
        p.code = body.code;
        p.title = body.title || p.title;
        p.detail = body.detail || body.title || p.detail;
      }
    } catch (e) { /* not a problem document */ }
    return p;
  }

  function encodePath(p) {
    return p.split('/').filter(function (s) { return s !== ''; }).map(encodeURIComponent).join('/');
  }

  // One plain PUT (XHR: fetch reports no upload progress). Pause and resume restart it.
  function putUpload(file, dest, o) {
    var xhr = null;
    var stopped = false;
    function send() {
      stopped = false;
      xhr = new XMLHttpRequest();
      xhr.open('PUT', '/api/v1/files/' + encodePath(dest));
      xhr.setRequestHeader('X-Requested-With', 'ftp-gateway');
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      if (!o.overwrite) xhr.setRequestHeader('If-None-Match', '*');
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable && o.onProgress) o.onProgress(e.loaded, e.total);
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) { if (o.onSuccess) o.onSuccess(); }
        else if (o.onError) o.onError(problemOf(xhr.status, xhr.responseText, 'HTTP ' + xhr.status));
      };
      xhr.onerror = function () {
        if (!stopped && o.onError) o.onError({ status: 0, title: 'The connection failed', detail: 'The connection failed' });
      };
      xhr.send(file);
    }
    send();
    return {
      cancel: function () { stopped = true; if (xhr) xhr.abort(); },
      pause: function () { stopped = true; if (xhr) xhr.abort(); },
      resume: function () { send(); }
    };
  }

  function start(file, dest, o) {
    o = o || {};
    var upload = null; // set once the previous-upload lookup is done: from then on it may run
    var fallback = null;
    var paused = false;
    var over = false; // cancelled, succeeded or failed: the page hears nothing more
    // The page's callbacks, silenced after the end (a cancelled upload's late events are noise).
    var cb = {
      overwrite: o.overwrite,
      onProgress: function (sent, total) { if (!over && !paused && o.onProgress) o.onProgress(sent, total); },
      onSuccess: function () { if (!over) { over = true; if (o.onSuccess) o.onSuccess(); } },
      onError: function (p) { if (!over) { over = true; if (o.onError) o.onError(p); } }
    };
    var control = {
      cancel: function () {
        if (over) return;
        over = true;
        // The page learns at once (its row ends, leaving is quiet again); the server in the background.
        if (o.onError) o.onError({ status: 0, code: 'CANCELLED', title: 'Cancelled', detail: 'Cancelled' });
        if (fallback) return fallback.cancel();
        // abort(true) terminates the upload on the server (tus termination) and forgets it here.
        if (upload) return upload.abort(true).catch(function () { /* already gone */ });
      },
      pause: function () {
        if (over || paused) return;
        paused = true;
        if (fallback) return fallback.pause();
        if (upload) upload.abort(false);
      },
      resume: function () {
        if (over || !paused) return;
        paused = false;
        if (fallback) return fallback.resume();
        // start() asks the server where the upload stands (HEAD) and goes on from there.
        if (upload) upload.start();
      }
    };
    function toPut() {
      if (over) return;
      fallback = putUpload(file, dest, cb);
      if (paused) fallback.pause();
    }
    loadTus().then(function (tus) {
      if (!tus.isSupported) return toPut();
      var u = new tus.Upload(file, {
        endpoint: ENDPOINT,
        chunkSize: o.chunkSize || CHUNK,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
        metadata: { path: dest, filename: file.name, filetype: file.type || 'application/octet-stream' },
        headers: CSRF,
        removeFingerprintOnSuccess: true,
        // The destination is part of the key: the same file sent to another folder is another upload.
        fingerprint: function (f) {
          return Promise.resolve(['ftpgw', dest, f.name, f.type, f.size, f.lastModified].join('|'));
        },
        onBeforeRequest: function (req) {
          if (req.getMethod() === 'POST' && !o.overwrite) req.setHeader('If-None-Match', '*');
        },
        onShouldRetry: function (err) {
          var res = err.originalResponse;
          var status = res ? res.getStatus() : 0;
          // Network failures, server trouble, an offset to re-ask, a lock held a moment longer;
          // never 501, which says the upstream cannot resume at all (then PUT, see onError).
          return status === 0 || (status >= 500 && status !== 501) || status === 409 || status === 423 || status === 408;
        },
        onProgress: cb.onProgress,
        onSuccess: cb.onSuccess,
        onError: function (err) {
          var res = err.originalResponse;
          var req = err.originalRequest;
          var status = res ? res.getStatus() : 0;
          // The upstream cannot resume uploads: one plain PUT instead.
          if (status === 501 && req && req.getMethod() === 'POST') return toPut();
          cb.onError(res ? problemOf(status, res.getBody(), err.message) : { status: 0, title: 'The connection failed', detail: err.message });
        }
      });
      return u.findPreviousUploads().then(function (previous) {
        // An upload of this file to this place began before (a reload, a closed tab): go on with it.
        if (previous.length > 0) u.resumeFromPreviousUpload(previous[0]);
        upload = u;
        // Cancelled while looking: the earlier upload is not wanted either, end it on the server.
        if (over) return previous.length > 0 ? u.abort(true).catch(function () {}) : undefined;
        if (!paused) u.start();
      });
    }).catch(toPut);
    return control;
  }

  window.gwUpload = { start: start };
})();
`
}
