/**
 * The browse script's "App passwords" panel (issue 18): the header button opens a dialog that
 * makes one (POST /api/v1/me/app-passwords; the password is shown once, with a Copy button), lists
 * them (GET, no secrets) and revokes them (DELETE). Everything goes through `api` (the anti-CSRF
 * header); labels reach the DOM through textContent only.
 */
export const CLIENT_APP_PASSWORDS = `
  var appDialog = document.getElementById('apppw-dialog');
  var appForm = document.getElementById('apppw-form');
  var appResult = document.getElementById('apppw-result');
  var appSecret = document.getElementById('apppw-secret');
  var appBody = document.getElementById('apppw-body');

  function appCell(tr, text) {
    var td = document.createElement('td');
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function appTime(iso) {
    return iso ? iso.replace('T', ' ').slice(0, 16) + ' UTC' : 'Never';
  }
  function loadAppPasswords() {
    return api('GET', '/api/v1/me/app-passwords')
      .then(function (res) { return res.json(); })
      .then(function (list) {
        appBody.textContent = '';
        document.getElementById('apppw-empty').hidden = list.appPasswords.length > 0;
        document.getElementById('apppw-table').hidden = list.appPasswords.length === 0;
        list.appPasswords.forEach(function (p) {
          var tr = document.createElement('tr');
          tr.dataset.id = p.id;
          appCell(tr, p.label);
          appCell(tr, appTime(p.createdAt));
          appCell(tr, appTime(p.lastUsedAt));
          var revoke = document.createElement('button');
          revoke.type = 'button';
          revoke.className = 'danger revoke';
          revoke.textContent = 'Revoke';
          revoke.setAttribute('aria-label', 'Revoke the app password ' + p.label);
          revoke.addEventListener('click', function () {
            api('DELETE', '/api/v1/me/app-passwords/' + encodeURIComponent(p.id))
              .then(function () {
                say('Revoked the app password ' + p.label + '.');
                return loadAppPasswords();
              })
              .then(function () { document.getElementById('apppw-title').focus(); })
              .catch(function (err) { failed('Could not revoke the app password ' + p.label, err); });
          });
          appCell(tr, '').appendChild(revoke);
          appBody.appendChild(tr);
        });
      });
  }

  appForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var label = String(new FormData(appForm).get('label') || '').trim();
    if (label === '') return;
    api('POST', '/api/v1/me/app-passwords', { label: label })
      .then(function (res) { return res.json(); })
      .then(function (made) {
        appSecret.value = made.password;
        appResult.hidden = false;
        appForm.reset();
        say('Made the app password ' + made.label + '. Copy it now: it is shown only once.');
        document.getElementById('apppw-copy').focus();
        return loadAppPasswords();
      })
      .catch(function (err) { failed('Could not make an app password', err); });
  });

  document.getElementById('apppw-copy').addEventListener('click', function () {
    var done = function () { say('Copied the app password.'); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(appSecret.value).then(done, function () {
        appSecret.select();
        say('Select the password and copy it with your keyboard.', 'error');
      });
    } else {
      appSecret.select();
      document.execCommand('copy') ? done() : say('Select the password and copy it with your keyboard.', 'error');
    }
  });

  document.getElementById('apppw-title').tabIndex = -1;
  appDialog.addEventListener('close', function () {
    // The password is shown once: closing the panel forgets it.
    appSecret.value = '';
    appResult.hidden = true;
  });
  document.getElementById('apppw-open').addEventListener('click', function () {
    loadAppPasswords().then(function () { appDialog.showModal(); },
      function (err) { failed('Could not list your app passwords', err); });
  });
`
