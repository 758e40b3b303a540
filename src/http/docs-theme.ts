/**
 * The static parts of the `/docs` page's theme (docs-page.ts): the gateway's mark, the stylesheet
 * and the script, served by @fastify/swagger-ui as files under /docs/static/theme/ so that the
 * page's policy allows them without any inline code.
 */

/** The gateway's mark: two arrows between a folder and a globe, in the page's accent colour. */
export const GATEWAY_MARK_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-labelledby="t">
<title id="t">ftp-gateway</title>
<rect width="64" height="64" rx="14" fill="#1d4f91"/>
<path d="M12 22h14l4 4h22v20a3 3 0 0 1-3 3H15a3 3 0 0 1-3-3z" fill="#ffffff"/>
<path d="M20 34h22l-5-5M44 40H22l5 5" fill="none" stroke="#1d4f91" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/>
</svg>
`

/** Our header and the contrast fixes (colours chosen for at least 4.5:1 on their backgrounds). */
export const DOCS_THEME_CSS = `
body { margin: 0; }
.gw-header { display: flex; align-items: center; gap: .75rem; padding: .75rem 1.5rem;
  background: #1d4f91; color: #ffffff; font-family: system-ui, sans-serif; }
.gw-header img { width: 40px; height: 40px; }
.gw-header .gw-name { font-size: 1.25rem; font-weight: 600; margin: 0; }
.gw-header nav { margin-left: auto; display: flex; gap: 1.25rem; }
.gw-header a { color: #ffffff; text-decoration: underline; }
.gw-header a:focus-visible { outline: 3px solid #ffd23f; outline-offset: 2px; }
/* Swagger's light blue links and green/grey badges fall below 4.5:1. */
.swagger-ui .info a, .swagger-ui .info .link, .swagger-ui .info__license__url, .swagger-ui a.nostyle,
.swagger-ui .info .url, .swagger-ui .markdown a, .swagger-ui .renderedMarkdown a { color: #1a5bb5; }
.swagger-ui .info .title small { background: #5a5f66; }
.swagger-ui .info .title small.version-stamp { background: #2f6b0c; }
.swagger-ui .info .title small pre { color: #ffffff; }
.swagger-ui .opblock .opblock-summary-method { color: #ffffff; text-shadow: none; }
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #1c63b8; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #1f7a4d; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #9a5a00; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #b3261e; }
.swagger-ui .opblock.opblock-head .opblock-summary-method { background: #6a3fa0; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #1b7f79; }
.swagger-ui .opblock-tag small, .swagger-ui .opblock .opblock-summary-description { color: #2b2f33; }
.swagger-ui .btn.authorize { color: #1f7a4d; border-color: #1f7a4d; }
.swagger-ui .btn.authorize svg { fill: #1f7a4d; }
.swagger-ui .scheme-container .schemes > label, .swagger-ui .servers-title { color: #2b2f33; }
.swagger-ui .parameter__in, .swagger-ui .parameter__deprecated, .swagger-ui .prop-format,
.swagger-ui .parameter__extension, .swagger-ui .response-col_links { color: #54595e; }
`

/**
 * Our header before Swagger's root, and the fixes Swagger's markup needs once React has drawn it
 * (and after every redraw): named regions for what lies outside its main one, a name for the
 * server selector and the dialog's buttons, and section headings one level below the title
 * (Swagger jumps from h1 to h3).
 */
export const DOCS_THEME_JS = `(function () {
  var root = document.getElementById('swagger-ui');
  if (!root) return;
  var header = document.createElement('header');
  header.className = 'gw-header';
  var mark = document.createElement('img');
  mark.src = '/docs/static/theme/favicon.svg';
  mark.alt = '';
  var name = document.createElement('p');
  name.className = 'gw-name';
  name.textContent = 'ftp-gateway API';
  var nav = document.createElement('nav');
  nav.setAttribute('aria-label', 'Gateway');
  [['Browse files', '/browse/'], ['OpenAPI document (JSON)', '/openapi.json']].forEach(function (l) {
    var a = document.createElement('a');
    a.textContent = l[0];
    a.href = l[1];
    nav.appendChild(a);
  });
  header.appendChild(mark);
  header.appendChild(name);
  header.appendChild(nav);
  document.body.insertBefore(header, root);
  // Swagger draws its own main region (the operations); the parts above it become named regions.
  function label(selector, name) {
    var el = document.querySelector(selector);
    if (el && !el.hasAttribute('role')) {
      el.setAttribute('role', 'region');
      el.setAttribute('aria-label', name);
    }
  }
  function level(selector, value) {
    var all = document.querySelectorAll(selector);
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute('aria-level') !== value) {
        all[i].setAttribute('role', 'heading');
        all[i].setAttribute('aria-level', value);
      }
    }
  }
  function fix() {
    var servers = document.getElementById('servers');
    if (servers && !servers.hasAttribute('aria-label')) servers.setAttribute('aria-label', 'Server');
    label('.information-container', 'About this API');
    label('.scheme-container', 'Servers and authorization');
    var close = document.querySelector('.close-modal');
    if (close && !close.hasAttribute('aria-label')) close.setAttribute('aria-label', 'Close');
    // A button's name must contain its visible words ("Authorize", not "Apply credentials").
    var named = document.querySelectorAll('.auth-btn-wrapper button[aria-label]');
    for (var j = 0; j < named.length; j++) {
      var text = (named[j].textContent || '').trim();
      if (text && named[j].getAttribute('aria-label').indexOf(text) === -1) named[j].removeAttribute('aria-label');
    }
    level('.opblock-tag, .models > h4, .modal-ux-header h3', '2');
    level('.opblock-body h4, .modal-ux-content h4', '3');
    level('.opblock-body h5, .modal-ux-content h5, .modal-ux-content h6', '4');
  }
  new MutationObserver(fix).observe(root, { childList: true, subtree: true });
  fix();
})();
`
