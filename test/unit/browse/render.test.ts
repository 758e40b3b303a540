/** The browse HTML and cookie helpers, without a server. */
import { describe, expect, it } from 'vitest'
import type { FileStat } from '../../../src/files/types.js'
import { ASSET_URLS, ASSETS, UPLOAD_ASSET } from '../../../src/http/browse/assets.js'
import { loginPage } from '../../../src/http/browse/render.js'
import { iconKind, listingPage, pageNumbers, previewKind } from '../../../src/http/browse/render-listing.js'
import { clearedSessionCookie, readCookie, sessionCookie } from '../../../src/http/session-cookie.js'

const HOSTILE = `"><img src=x onerror=alert(1)>'`

function stat(name: string, type: FileStat['type'] = 'file'): FileStat {
  return { path: name, name, type, size: 12, modified: new Date('2024-01-01T00:00:00Z'), etag: '"e"' }
}

const view = {
  sort: 'name' as const,
  order: 'asc' as const,
  q: '',
  limit: 500,
  customLimit: false,
  viewer: { user: `<b>${HOSTILE}</b>`, viaCookie: true },
}

// Quoted attribute values blanked, what is left is markup; a hostile name must not add any.
const markupOf = (html: string) => html.replace(/"[^"]*"/g, '""')

describe('listingPage', () => {
  it('escapes hostile names in text, attributes, links, breadcrumbs and the user name', () => {
    const html = listingPage({
      ...view,
      dir: `${HOSTILE}/sub`,
      page: {
        path: '',
        entries: [stat(HOSTILE), stat(`${HOSTILE}dir`, 'dir')],
        next: null,
        total: 2,
        offset: 0,
      },
    })
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<b>')
    expect(markupOf(html)).not.toMatch(/<[^>]*\son[a-z]+=|<script>|<style/i)
    // encodeURIComponent leaves ' alone; the attribute escaping then turns it into &#39;.
    const encoded = encodeURIComponent(HOSTILE).replaceAll("'", '&#39;')
    expect(html).toContain(`href="/api/v1/files/${encoded}/sub/${encoded}?download=1"`)
    expect(html).toContain(
      `aria-label="Select ${HOSTILE.replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll("'", '&#39;')}"`,
    )
    expect(html).toContain(`href="/browse/${encoded}/"`)
    expect(html).toContain('data-name="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;"')
  })

  it('keeps filter and sort in page links, and sort links go back to page 1', () => {
    const html = listingPage({
      ...view,
      dir: 'd',
      sort: 'size',
      order: 'desc',
      q: 'a&b',
      limit: 2,
      customLimit: true,
      page: { path: 'd', entries: [stat('x'), stat('y')], next: 'c2', total: 9, offset: 4 },
    })
    expect(html).toContain('5–6 of 9 matching “a&amp;b”')
    expect(html).toContain(
      'href="/browse/d/?sort=size&amp;order=desc&amp;q=a%26b&amp;limit=2&amp;page=2" rel="prev"'.replace(
        ' rel="prev"',
        '',
      ),
    )
    expect(html).toContain(
      'rel="next" href="/browse/d/?sort=size&amp;order=desc&amp;q=a%26b&amp;limit=2&amp;page=4"',
    )
    expect(html).toContain('href="/browse/d/?sort=size&amp;q=a%26b&amp;limit=2">Size')
    expect(html).toContain('aria-current="page"')
    expect(html).toContain('value="a&amp;b"')
    expect(html).toContain('aria-sort="descending"')
  })

  it('numbers pages around the current one', () => {
    expect(pageNumbers(1, 1)).toEqual([1])
    expect(pageNumbers(6, 12)).toEqual([1, '…', 4, 5, 6, 7, 8, '…', 12])
    expect(pageNumbers(2, 5)).toEqual([1, 2, 3, 4, 5])
  })

  it('previews passive types and text, never runs active ones', () => {
    expect(previewKind('a.PNG')).toBe('image')
    expect(previewKind('a.svg')).toBe('image')
    expect(previewKind('a.pdf')).toBe('pdf')
    expect(previewKind('a.html')).toBe('text')
    expect(previewKind('a.mp4')).toBe('video')
    expect(previewKind('a.bin')).toBe('')
    const html = listingPage({
      ...view,
      dir: '',
      page: { path: '', entries: [stat('p.html'), stat('i.png')], next: null, total: 2, offset: 0 },
    })
    // HTML saves (attachment) without the script; a passive image opens inline.
    expect(html).toContain('href="/api/v1/files/p.html?download=1" download="p.html"')
    expect(html).toContain('href="/api/v1/files/i.png">')
  })

  it('has no inline script or style, and links versioned assets', () => {
    const html = loginPage('/browse/"x"/', 'bad <password>', '<u>')
    expect(markupOf(html)).not.toMatch(/<script>|<style|<[^>]*\s(style|on[a-z]+)=/i)
    expect(html).toContain('value="/browse/&quot;x&quot;/"')
    expect(html).toContain('bad &lt;password&gt;')
    expect(html).toContain(`src="${ASSET_URLS.js}"`)
    expect(ASSET_URLS.css).toMatch(/^\/_browse\/static\/browse\.css\?v=[A-Za-z0-9_-]{8}$/)
    expect(() => new Function(ASSETS['browse.js']!.body)).not.toThrow()
    expect(() => new Function(UPLOAD_ASSET.body)).not.toThrow()
    expect(html).toContain(`src="${ASSET_URLS.upload}"`)
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

describe('the sign-in page with an OpenID provider', () => {
  it('offers the provider, and the password form only when asked', () => {
    const both = loginPage('/browse/a/', undefined, '', {
      password: true,
      provider: { name: 'idp<x>', href: '/auth/login?return=%2Fbrowse%2Fa%2F' },
    })
    expect(both).toContain('Sign in with idp&lt;x&gt;')
    expect(both).toContain('href="/auth/login?return=%2Fbrowse%2Fa%2F"')
    expect(both).toContain('type="password"')
    const only = loginPage('/browse/', undefined, '', {
      password: false,
      provider: { name: 'idp', href: '/auth/login' },
    })
    expect(only).toContain('Sign in with idp')
    expect(only).not.toContain('type="password"')
    expect(only).not.toContain('<form')
  })
})
