/**
 * tus-js-client's browser build (from the npm registry, a dependency of the gateway), served by the
 * gateway itself under /_browse/static/ so the page's Content-Security-Policy (`script-src 'self'`)
 * holds: no third-party origin, no inline script.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const pkgFile = require.resolve('tus-js-client/package.json')
const version = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version

/** The minified browser bundle (it defines `window.tus`), with its licence line. */
export const TUS_CLIENT_SCRIPT = `/*! tus-js-client ${version} | MIT License | https://github.com/tus/tus-js-client */\n${readFileSync(
  path.join(path.dirname(pkgFile), 'dist', 'tus.min.js'),
  'utf8',
)}`
