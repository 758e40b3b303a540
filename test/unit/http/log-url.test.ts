import { describe, expect, it } from 'vitest'
import { urlForLog } from '../../../src/http/log-url.js'

describe('urlForLog', () => {
  it('masks the values of code, state and token parameters, keeps the rest', () => {
    expect(urlForLog('/auth/callback?code=abc&state=def&iss=https%3A%2F%2Fidp')).toBe(
      '/auth/callback?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fidp',
    )
    expect(urlForLog('/x?id_token_hint=a.b.c&access_token=t&refresh_token=r&ID_TOKEN=z')).toBe(
      '/x?id_token_hint=[redacted]&access_token=[redacted]&refresh_token=[redacted]&ID_TOKEN=[redacted]',
    )
    expect(urlForLog('/browse/code=1/?q=state')).toBe('/browse/code=1/?q=state')
    expect(urlForLog('/browse/team/?sort=size')).toBe('/browse/team/?sort=size')
    expect(urlForLog('/a?xcode=1&code=2#f')).toBe('/a?xcode=1&code=[redacted]#f')
  })
})
