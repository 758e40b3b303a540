/**
 * `/_browse/upload.js`: the one way the page sends a file (the upload contract shared with the
 * resumable-upload work, see /work/shared and docs/architecture.md). This version is a plain PUT
 * through XMLHttpRequest (fetch reports no upload progress); a tus version may replace its insides
 * and keep the interface:
 *
 *   window.gwUpload.start(file, destPath, { overwrite, onProgress(sentBytes, totalBytes),
 *                                           onSuccess(), onError(problem) })
 *     -> { cancel(), pause(), resume() }
 *
 * - `destPath` is the file's path from the gateway root, '/'-separated (a leading '/' is allowed);
 *   its folder must exist.
 * - `overwrite: false` sends `If-None-Match: *`: an existing file is not touched and `onError`
 *   gets the 412 problem, so the page can ask what to do.
 * - `onError(problem)` gets the problem document (RFC 9457) with `status` set; a network failure is
 *   status 0, `cancel()` calls it once with `{ status: 0, code: 'CANCELLED' }`.
 * - `pause()` aborts the request and `resume()` starts it again from the first byte (PUT cannot
 *   continue where it stopped; a resumable transport can).
 * - `window.gwUpload.resumable` says which kind this is (false here).
 */
export const UPLOAD_SCRIPT = `'use strict';
(function () {
  function encodePath(p) {
    return p.replace(/^\\/+/, '').split('/').map(encodeURIComponent).join('/');
  }
  function problemOf(status, text) {
    var p = null;
    try { p = JSON.parse(text); } catch (e) { /* not a problem document */ }
    if (!p || typeof p !== 'object') p = { title: status === 0 ? 'The connection failed' : 'HTTP ' + status };
    p.status = status;
    return p;
  }
  function noop() {}

  function start(file, destPath, options) {
    var o = options || {};
    var onProgress = o.onProgress || noop;
    var onSuccess = o.onSuccess || noop;
    var onError = o.onError || noop;
    var xhr = null;
    var state = 'running';
    function go() {
      var req = new XMLHttpRequest();
      xhr = req;
      req.open('PUT', '/api/v1/files/' + encodePath(destPath));
      req.setRequestHeader('X-Requested-With', 'ftp-gateway');
      req.setRequestHeader('Content-Type', 'application/octet-stream');
      if (!o.overwrite) req.setRequestHeader('If-None-Match', '*');
      req.upload.onprogress = function (e) {
        if (xhr === req && e.lengthComputable) onProgress(e.loaded, e.total);
      };
      req.onload = function () {
        if (xhr !== req || state !== 'running') return;
        state = 'finished';
        if (req.status >= 200 && req.status < 300) onSuccess();
        else onError(problemOf(req.status, req.responseText));
      };
      req.onerror = function () {
        if (xhr !== req || state !== 'running') return;
        state = 'finished';
        onError(problemOf(0, ''));
      };
      req.send(file);
    }
    go();
    return {
      cancel: function () {
        if (state === 'finished' || state === 'cancelled') return;
        state = 'cancelled';
        if (xhr) xhr.abort();
        onError({ status: 0, code: 'CANCELLED', title: 'Cancelled' });
      },
      pause: function () {
        if (state !== 'running') return;
        state = 'paused';
        xhr.abort();
      },
      resume: function () {
        if (state !== 'paused') return;
        state = 'running';
        onProgress(0, file.size);
        go();
      },
    };
  }

  window.gwUpload = { start: start, resumable: false };
})();
`
