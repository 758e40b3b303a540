/** The browse HTML and cookie helpers, without a server. */
import { describe, expect, it } from 'vitest'
import type { FileStat } from '../../../src/files/types.js'
import { ASSET_URLS, ASSETS } from '../../../src/http/browse/assets.js'
import { iconKind, listingPage, loginPage } from '../../../src/http/browse/render.js'
import { clearedSessionCookie, readCookie, sessionCookie } from '../../../src/http/session-cookie.js'

const HOSTILE = `"><img src=x onerror=alert(1)>'`

function stat(name: string, type: FileStat['type'] = 'file'): FileStat {
  return { path: name, name, type, size: 12, modified: new Date('2024-01-01T00:00:00Z'), etag: '"e"' }
}

const view = {
  sort: 'name' as const,
  order: 'asc' as const,
  cursor: undefined,
  limit: undefined,
  viewer: { user: `<b>${HOSTILE}</b>`, viaCookie: true },
}

// Quoted attribute values blanked, what is left is markup; a hostile name must not add any.
const markupOf = (html: string) => html.replace(/"[^"]*"/g, '""')

describe('listingPage', () => {
  it('escapes hostile names in text, attributes, links, breadcrumbs and the user name', () => {
    const html = listingPage({
      ...view,
      dir: `${HOSTILE}/sub`,
      page: { path: '', entries: [stat(HOSTILE), stat(`${HOSTILE}dir`, 'dir')], next: null },
    })
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<b>')
    expect(markupOf(html)).not.toMatch(/<[^>]*\son[a-z]+=|<script>|<style/i)
    // encodeURIComponent leaves ' alone; the attribute escaping then turns it into &#39;.
    const encoded = encodeURIComponent(HOSTILE).replaceAll("'", '&#39;')
    expect(html).toContain(`href="/api/v1/files/${encoded}/sub/${encoded}?download=1"`)
    expect(html).toContain(`href="/browse/${encoded}/"`)
    expect(html).toContain('data-name="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;"')
  })

  it('carries the cursor in sort links and the sort in the next-page link', () => {
    const html = listingPage({
      ...view,
      dir: 'd',
      sort: 'size',
      order: 'desc',
      cursor: 'c1',
      page: { path: 'd', entries: [stat('x')], next: 'c2&x' },
    })
    expect(html).toContain('href="/browse/d/?sort=size&amp;cursor=c1"')
    expect(html).toContain('href="/browse/d/?sort=size&amp;order=desc&amp;cursor=c2%26x"')
    expect(html).toContain('href="/browse/d/?sort=size&amp;order=desc">First page')
    expect(html).toContain('aria-sort="descending"')
  })

  it('has no inline script or style, and links versioned assets', () => {
    const html = loginPage('/browse/"x"/', 'bad <password>', '<u>')
    expect(markupOf(html)).not.toMatch(/<script>|<style|<[^>]*\s(style|on[a-z]+)=/i)
    expect(html).toContain('value="/browse/&quot;x&quot;/"')
    expect(html).toContain('bad &lt;password&gt;')
    expect(html).toContain(`src="${ASSET_URLS.js}"`)
    expect(ASSET_URLS.css).toMatch(/^\/_browse\/static\/browse\.css\?v=[A-Za-z0-9_-]{8}$/)
    expect(() => new Function(ASSETS['browse.js']!.body)).not.toThrow()
  })

  it('picks icons by type and extension', () => {
    expect(iconKind({ name: 'x.PNG', type: 'file' })).toBe('image')
    expect(iconKind({ name: 'x.tar.gz', type: 'file' })).toBe('archive')
    expect(iconKind({ name: 'x.png', type: 'dir' })).toBe('dir')
    expect(iconKind({ name: 'noext', type: 'file' })).toBe('file')
    expect(iconKind({ name: 'l', type: 'symlink' })).toBe('link')
  })
})

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/, Secure only over TLS, and expires with the token', () => {
    const now = Date.parse('2024-01-01T00:00:00Z')
    const expires = new Date(now + 3_600_000)
    expect(sessionCookie('tok', expires, false, now)).toBe(
      'ftpgw_session=tok; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict',
    )
    expect(sessionCookie('tok', expires, true, now)).toMatch(/; Secure$/)
    expect(clearedSessionCookie(false)).toBe('ftpgw_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict')
  })

  it('reads one cookie out of a Cookie header', () => {
    expect(readCookie('a=1; ftpgw_session=abc; b=2', 'ftpgw_session')).toBe('abc')
    expect(readCookie('xftpgw_session=no; ftpgw_session="q"', 'ftpgw_session')).toBe('q')
    expect(readCookie('a=1', 'ftpgw_session')).toBeUndefined()
    expect(readCookie(undefined, 'ftpgw_session')).toBeUndefined()
  })
})
