/**
 * The browse script's share links (issue 20): a row's Share button opens the Share dialog (kind,
 * expiry, password, use limit), which creates the link through POST /api/v1/shares and shows it
 * with a Copy button; "Shared by me" lists the caller's links (GET /api/v1/shares) with Revoke
 * (DELETE). Everything goes through `api` (the anti-CSRF header); names reach the DOM through
 * textContent only.
 */
export const CLIENT_SHARES = `
  var shareDialog = document.getElementById('share-dialog');
  var shareForm = document.getElementById('share-form');
  var shareText = document.getElementById('share-text');
  var shareResult = document.getElementById('share-result');
  var shareUrl = document.getElementById('share-url');
  var shareCreate = document.getElementById('share-create');
  var sharing = null;

  function openShare(row) {
    sharing = rowJob(row);
    shareForm.reset();
    shareResult.hidden = true;
    shareCreate.hidden = false;
    shareText.textContent = (sharing.type === 'dir' ? 'A link to the folder "' : 'A link to "') + sharing.name + '".';
    // A drop box is a folder: the choice is offered for folders only.
    document.getElementById('share-drop-label').hidden = sharing.type !== 'dir';
    shareDialog.returnValue = '';
    shareDialog.showModal();
  }

  document.addEventListener('click', function (e) {
    var button = e.target.closest('button.share');
    if (!button || !listingBox.contains(button)) return;
    openShare(button.closest('tr'));
  });

  shareForm.addEventListener('submit', function (e) {
    e.preventDefault();
    if (!sharing) return;
    var data = new FormData(shareForm);
    var body = { path: '/' + join(sharing.name), kind: data.get('kind') || 'read', expiresInSeconds: Number(data.get('expiry')) };
    var password = String(data.get('password') || '');
    if (password !== '') body.password = password;
    var uses = Number(data.get('uses'));
    if (uses >= 1) body.maxUses = Math.floor(uses);
    api('POST', '/api/v1/shares', body)
      .then(function (res) { return res.json(); })
      .then(function (share) {
        shareUrl.value = share.url;
        shareResult.hidden = false;
        shareCreate.hidden = true;
        say('Created a share link for ' + sharing.name + '.');
        document.getElementById('share-copy').focus();
      })
      .catch(function (err) { failed('Could not share ' + sharing.name, err); });
  });

  document.getElementById('share-copy').addEventListener('click', function () {
    var done = function () { say('Copied the share link.'); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(shareUrl.value).then(done, function () {
        shareUrl.select();
        say('Select the link and copy it with your keyboard.', 'error');
      });
    } else {
      shareUrl.select();
      document.execCommand('copy') ? done() : say('Select the link and copy it with your keyboard.', 'error');
    }
  });

  var sharesDialog = document.getElementById('shares-dialog');
  var sharesBody = document.getElementById('shares-body');

  function cell(tr, text) {
    var td = document.createElement('td');
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function loadShares() {
    return api('GET', '/api/v1/shares')
      .then(function (res) { return res.json(); })
      .then(function (list) {
        sharesBody.textContent = '';
        document.getElementById('shares-empty').hidden = list.shares.length > 0;
        document.getElementById('shares-table').hidden = list.shares.length === 0;
        list.shares.forEach(function (share) {
          var tr = document.createElement('tr');
          tr.dataset.id = share.id;
          var where = cell(tr, '');
          var link = document.createElement('a');
          link.href = share.url;
          link.textContent = share.path;
          where.appendChild(link);
          cell(tr, share.kind === 'drop' ? 'Drop box' : 'Download');
          cell(tr, share.expiresAt.replace('T', ' ').slice(0, 16) + ' UTC');
          cell(tr, share.usesLeft === null ? 'Unlimited' : String(share.usesLeft));
          var revoke = document.createElement('button');
          revoke.type = 'button';
          revoke.className = 'danger revoke';
          revoke.textContent = 'Revoke';
          revoke.setAttribute('aria-label', 'Revoke the link to ' + share.path);
          revoke.addEventListener('click', function () {
            api('DELETE', '/api/v1/shares/' + encodeURIComponent(share.id))
              .then(function () {
                say('Revoked the link to ' + share.path + '.');
                return loadShares();
              })
              .then(function () { document.getElementById('shares-title').focus(); })
              .catch(function (err) { failed('Could not revoke the link to ' + share.path, err); });
          });
          cell(tr, '').appendChild(revoke);
          sharesBody.appendChild(tr);
        });
      });
  }
  document.getElementById('shares-title').tabIndex = -1;
  document.getElementById('shares-open').addEventListener('click', function () {
    loadShares().then(function () { sharesDialog.showModal(); },
      function (err) { failed('Could not list your share links', err); });
  });
`
