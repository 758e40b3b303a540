/**
 * The browse script's shared core (the first part of /_browse/static/browse.js; every other
 * client-*.ts part runs inside the same function and uses these names): paths, the API helper
 * with the anti-CSRF header, plain-words error messages, the two live regions, refreshing the
 * listing in place and keeping focus on a row across a refresh.
 *
 * Plain ES2020 for the browser, written without template literals so it can live in a string.
 * Names only ever reach the DOM through textContent or attribute setters, never innerHTML.
 */
export const CLIENT_CORE = `
  var CSRF = { 'X-Requested-With': 'ftp-gateway' };
  var listingBox = document.getElementById('listing');
  if (!listingBox) return;
  var dir = listingBox.getAttribute('data-dir') || '';
  var messages = document.getElementById('messages');
  var alerts = document.getElementById('alerts');
  var gw = { afterRefresh: [] };

  function encodePath(p) {
    return p.split('/').map(encodeURIComponent).join('/');
  }
  function join(name, base) {
    var d = base === undefined ? dir : base;
    return d === '' ? name : d + '/' + name;
  }
  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }
  function rows() {
    return Array.prototype.slice.call(listingBox.querySelectorAll('tbody tr'));
  }
  function rowNamed(name) {
    return rows().filter(function (r) { return r.dataset.name === name; })[0] || null;
  }
  function shownNames() {
    return rows().map(function (r) { return r.dataset.name; });
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
    root.querySelectorAll('.row-actions, .select, #select-all').forEach(function (el) { el.hidden = false; });
  }

  // Two live regions: confirmations (polite) and failures (assertive). Both are visible too.
  function say(text, kind) {
    var box = kind === 'error' ? alerts : messages;
    var p = document.createElement('p');
    p.className = 'message ' + (kind || 'info');
    var span = document.createElement('span');
    span.textContent = text;
    p.appendChild(span);
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'dismiss';
    close.textContent = 'Dismiss';
    close.addEventListener('click', function () { p.remove(); });
    p.appendChild(close);
    box.appendChild(p);
    // Errors stay until dismissed; confirmations fade on their own.
    if (kind !== 'error') setTimeout(function () { p.remove(); }, 8000);
  }

  function signInAgain() {
    location.assign('/_browse/login?next=' + encodeURIComponent(location.pathname + location.search));
  }

  // Plain words by status; the problem's detail is for operators (it may quote the FTP server).
  var PLAIN = {
    400: 'the name or request is not valid',
    403: 'your account may not do this',
    404: 'it no longer exists (someone may have moved or deleted it)',
    409: 'something is in the way (a folder that is not empty, or a missing folder)',
    412: 'that name is taken',
    413: 'the file is too large for this server',
    423: 'it is locked by someone else',
    429: 'too many requests; wait a moment and try again',
    502: 'the file server did not answer properly; try again',
    503: 'the file server is busy; try again in a little while',
    504: 'the file server took too long; try again',
    507: 'the file server is full',
  };
  function plainWords(status) {
    if (status === 0) return 'the connection failed';
    return PLAIN[status] || (status >= 500 ? 'the gateway could not finish it' : 'it was refused');
  }
  function problemOf(status, bodyText) {
    var p = null;
    try { p = JSON.parse(bodyText); } catch (e) { /* not JSON */ }
    if (!p || typeof p !== 'object') p = {};
    p.status = status;
    p.plain = plainWords(status);
    return p;
  }
  function failed(prefix, err) {
    say(prefix + ': ' + (err && err.plain ? err.plain : plainWords(0)) + '.', 'error');
  }

  // Resolves with the response when it is a success; rejects with a problem ({ status, plain, ... }).
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
      return res.text().then(function (t) { throw problemOf(res.status, t); });
    }, function () { throw problemOf(0, ''); });
  }

  // Re-renders the listing from the server (same URL: filter, sort and page) without a reload, so
  // uploads and messages stay on screen. focus names a row to put focus on afterwards
  // ({ name } or { index } for "the row now at this place"), as a rename or delete would lose it.
  var refreshing = null;
  function refresh(focus, url) {
    var target = url || location.href;
    refreshing = fetch(target, { credentials: 'same-origin' })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('listing');
        if (!fresh) return;
        var hadFocus = listingBox.contains(document.activeElement) ? document.activeElement : null;
        var filterFocus = hadFocus && hadFocus.id === 'filter-q';
        reveal(fresh);
        localiseTimes(fresh);
        listingBox.replaceWith(fresh);
        listingBox = fresh;
        if (url) history.replaceState(null, '', url);
        gw.afterRefresh.forEach(function (fn) { fn(); });
        if (filterFocus) {
          var q = document.getElementById('filter-q');
          q.focus();
          q.setSelectionRange(q.value.length, q.value.length);
        } else if (focus) focusRow(focus);
      });
    return refreshing;
  }

  function focusRow(focus) {
    var all = rows();
    var row = focus.name !== undefined ? rowNamed(focus.name) : null;
    if (!row && focus.index !== undefined && all.length > 0) row = all[Math.min(focus.index, all.length - 1)];
    var target = row ? row.querySelector('a.entry') : document.querySelector('h1');
    if (!row && target) target.tabIndex = -1;
    if (target) target.focus();
  }

  function badName(name) {
    if (name === '' || name === '.' || name === '..') return 'Enter a name.';
    if (name.indexOf('/') >= 0) return 'A name cannot contain "/".';
    return '';
  }

  // "name (1).ext", "name (2).ext", ... : the first that is not in taken.
  function keepBothName(name, taken) {
    var dot = name.lastIndexOf('.');
    var stem = dot > 0 ? name.slice(0, dot) : name;
    var ext = dot > 0 ? name.slice(dot) : '';
    for (var i = 1; ; i++) {
      var candidate = stem + ' (' + i + ')' + ext;
      if (taken.indexOf(candidate) < 0) return candidate;
    }
  }

  function closeOnCancel(dialog) {
    dialog.querySelectorAll('button.cancel').forEach(function (b) {
      b.addEventListener('click', function () { dialog.close('cancel'); });
    });
  }
  document.querySelectorAll('dialog').forEach(closeOnCancel);
`
