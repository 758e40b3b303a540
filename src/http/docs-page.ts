/**
 * Swagger UI at `/docs`, made ours: our name and mark instead of Swagger's, a Content Security
 * Policy the page actually satisfies, and no axe-core violations.
 *
 * - Layout: Swagger's `BaseLayout`, without its top bar. The top bar is where the stock logo (an
 *   SVG with an inline <style>, which the policy refuses: the console error of issue 21), the
 *   unlabelled "explore" URL field and its low-contrast button live. Our own header (docs-theme.js)
 *   takes its place: the gateway's mark, its name, and links to the browse page and the JSON.
 * - Policy: scripts and styles only from the gateway itself (no inline code, no `https:` wildcard,
 *   no `upgrade-insecure-requests`, which would break a gateway served over plain HTTP).
 * - Accessibility: deep links off (they put a link inside each operation's button: "nested
 *   interactive"), and docs-theme.js names the server selector, lands the page in a `main`
 *   region and keeps heading levels in order; docs-theme.css fixes the contrast of the links and
 *   badges Swagger colours too lightly.
 */
import { DOCS_THEME_CSS, DOCS_THEME_JS, GATEWAY_MARK_SVG } from './docs-theme.js'

/** The page's Content-Security-Policy. */
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
].join('; ')

/** The @fastify/swagger-ui options of `/docs` (everything but the route prefix). */
export function registerDocsPage(): Record<string, unknown> {
  return {
    staticCSP: DOCS_CSP,
    // The stock logo is never rendered (no top bar); this keeps the plugin from loading it at all.
    logo: { type: 'image/svg+xml', content: Buffer.from(GATEWAY_MARK_SVG) },
    theme: {
      title: 'ftp-gateway API',
      favicon: [
        {
          filename: 'favicon.svg',
          rel: 'icon',
          sizes: 'any',
          type: 'image/svg+xml',
          content: Buffer.from(GATEWAY_MARK_SVG),
        },
      ],
      css: [{ filename: 'theme.css', content: DOCS_THEME_CSS }],
      js: [{ filename: 'theme.js', content: DOCS_THEME_JS }],
    },
    uiConfig: {
      layout: 'BaseLayout',
      deepLinking: false,
      displayRequestDuration: true,
      defaultModelsExpandDepth: 0,
      // Its colour themes put red on dark grey below 4.5:1; plain examples read as well.
      syntaxHighlight: false,
    },
  }
}
