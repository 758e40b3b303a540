/**
 * The browse page's script, served as /_browse/static/browse.js (embedded so `tsc` builds carry it
 * into dist/ without a copy step): one function made of parts, a file per concern, that share the
 * core's names. It only enhances the server-rendered page: everything it drives goes through the
 * REST API with the anti-CSRF header the cookie authentication demands, and uploads go through
 * `window.gwUpload` (/_browse/upload.js, loaded first).
 */
import { CLIENT_ACTIONS } from './client-actions.js'
import { CLIENT_APP_PASSWORDS } from './client-app-passwords.js'
import { CLIENT_CORE } from './client-core.js'
import { CLIENT_DROP } from './client-drop.js'
import { CLIENT_KEYS } from './client-keys.js'
import { CLIENT_SELECT } from './client-select.js'
import { CLIENT_SHARES } from './client-shares.js'
import { CLIENT_UPLOADS } from './client-uploads.js'
import { CLIENT_VIEWER } from './client-viewer.js'

const START = `
  document.querySelector('.actions').hidden = false;
  document.getElementById('connect-open').hidden = false;
  document.getElementById('help-open').hidden = false;
  document.getElementById('shares-open').hidden = false;
  document.getElementById('apppw-open').hidden = false;
  reveal(document);
  localiseTimes(document);
`

/** The whole page script. */
export const CLIENT_SCRIPT = `'use strict';
(function () {
${[CLIENT_CORE, CLIENT_ACTIONS, CLIENT_SELECT, CLIENT_UPLOADS, CLIENT_DROP, CLIENT_VIEWER, CLIENT_KEYS, CLIENT_SHARES, CLIENT_APP_PASSWORDS, START].join('\n')}
})();
`
