/**
 * The static assets of the browse page, embedded as strings (so builds need no copy step) and
 * served under /_browse/static/ with a content hash in the URL: the URL changes whenever the
 * content does, so browsers may cache each version for a long time.
 */
import { createHash } from 'node:crypto'
import { CLIENT_SCRIPT } from './client-script.js'
import { FAVICON_SVG, STYLESHEET } from './styles.js'
import { UPLOAD_SCRIPT } from './upload-script.js'

/** One served asset. */
export interface Asset {
  body: string
  type: string
  etag: string
}

function asset(body: string, type: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`
  return { body, type, etag }
}

/** Assets by file name (the path under /_browse/static/). */
export const ASSETS: Readonly<Record<string, Asset>> = {
  'browse.js': asset(CLIENT_SCRIPT, 'text/javascript; charset=utf-8'),
  'browse.css': asset(STYLESHEET, 'text/css; charset=utf-8'),
  'icon.svg': asset(FAVICON_SVG, 'image/svg+xml'),
}

function url(name: string): string {
  return `/_browse/static/${name}?v=${ASSETS[name]!.etag.slice(1, 9)}`
}

/** `/_browse/upload.js`, the upload contract (a fixed URL, so served apart from the hashed assets). */
export const UPLOAD_ASSET: Asset = asset(UPLOAD_SCRIPT, 'text/javascript; charset=utf-8')

/** Versioned URLs the pages link to. */
export const ASSET_URLS = {
  upload: `/_browse/upload.js?v=${UPLOAD_ASSET.etag.slice(1, 9)}`,
  js: url('browse.js'),
  css: url('browse.css'),
  favicon: url('icon.svg'),
} as const
