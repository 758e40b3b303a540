/**
 * The browse script's drag and drop: files and whole folders dropped anywhere on the page. Folder
 * entries are walked with the File and Directory Entries API (`webkitGetAsEntry`, in every current
 * browser), reading each directory until it returns no more entries (it answers in batches).
 */
export const CLIENT_DROP = `
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

  function readAll(reader) {
    return new Promise(function (resolve, reject) {
      var out = [];
      (function more() {
        reader.readEntries(function (batch) {
          if (batch.length === 0) return resolve(out);
          out = out.concat(batch);
          more();
        }, reject);
      })();
    });
  }
  // [{ file, rel }] under an entry; rel is the path from the dropped item down.
  function walk(entry, prefix) {
    if (entry.isFile) {
      return new Promise(function (resolve, reject) {
        entry.file(function (f) { resolve([{ file: f, rel: prefix + f.name }]); }, reject);
      });
    }
    return readAll(entry.createReader()).then(function (children) {
      return Promise.all(children.map(function (c) { return walk(c, prefix + entry.name + '/'); }));
    }).then(function (lists) { return [].concat.apply([], lists); });
  }

  document.addEventListener('drop', function (e) {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    document.body.classList.remove('dropping');
    var items = e.dataTransfer.items;
    var entries = [];
    for (var i = 0; items && i < items.length; i++) {
      var entry = items[i].webkitGetAsEntry ? items[i].webkitGetAsEntry() : null;
      if (entry) entries.push(entry);
    }
    // Entries must be taken during the event; without them (old browsers), plain files.
    if (entries.length === 0 || !entries.some(function (en) { return en.isDirectory; })) {
      return gw.uploadAll(e.dataTransfer.files);
    }
    Promise.all(entries.map(function (en) { return walk(en, ''); }))
      .then(function (lists) { gw.uploadAll([].concat.apply([], lists)); })
      .catch(function () { say('Could not read the dropped folder.', 'error'); });
  });
`
