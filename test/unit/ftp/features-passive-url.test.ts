import { describe, expect, it } from 'vitest'
import { parseFeatures } from '../../../src/ftp/features.js'
import { parseQuotedPath } from '../../../src/ftp/login.js'
import { formatEprt, formatPort, parseEpsvReply, parsePasvReply } from '../../../src/ftp/passive.js'
import { ReplyParser } from '../../../src/ftp/reply-parser.js'
import { parseFtpUrl } from '../../../src/ftp/url.js'

const reply = (text: string) => {
  const [r] = new ReplyParser().push(text)
  if (!r) throw new Error('no reply')
  return r
}

describe('parseFeatures', () => {
  it('reads vsftpd FEAT', () => {
    const f = parseFeatures(
      reply(
        '211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n',
      ),
    )
    expect(f).toMatchObject({
      eprt: true,
      epsv: true,
      mdtm: true,
      rest: true,
      size: true,
      utf8: true,
      mlst: false,
      mfmt: false,
    })
  })

  it('reads MLST facts, HASH, RANG, SITE UTIME and X-hashes', () => {
    const f = parseFeatures(
      reply(
        '211-Features:\r\n MLST modify*;perm*;size*;type*;unique*;\r\n HASH SHA-1;SHA-256*;MD5\r\n RANG STREAM\r\n SITE UTIME\r\n XCRC\r\n XMD5\r\n MFMT\r\n AUTH TLS\r\n211 End\r\n',
      ),
    )
    expect(f.mlst).toBe(true)
    expect(f.mlstFacts).toEqual(['modify', 'perm', 'size', 'type', 'unique'])
    expect(f.hashAlgorithms).toEqual(['SHA-1', 'SHA-256', 'MD5'])
    expect(f.selectedHash).toBe('SHA-256')
    expect(f).toMatchObject({
      rang: true,
      siteUtime: true,
      mfmt: true,
      authTls: true,
      xhash: ['XCRC', 'XMD5'],
    })
  })

  it('treats a refused FEAT as no features', () => {
    expect(parseFeatures(reply('500 Unknown command\r\n')).raw).toEqual([])
  })
})

describe('passive replies', () => {
  it('parses EPSV with any delimiter', () => {
    expect(parseEpsvReply(reply('229 Entering Extended Passive Mode (|||6446|)\r\n')).port).toBe(6446)
    expect(parseEpsvReply(reply('229 ok (!!!1025!)\r\n')).port).toBe(1025)
  })

  it('parses PASV and reports the announced host separately', () => {
    expect(parsePasvReply(reply('227 Entering Passive Mode (169,254,169,254,0,80).\r\n'))).toEqual({
      announcedHost: '169.254.169.254',
      port: 80,
    })
  })

  it.each(['227 (1,2,3,4,256,1)\r\n', '227 nothing here\r\n', '227 (10,0,0,1,0,0)\r\n'])(
    'refuses %j',
    (t) => {
      expect(() => parsePasvReply(reply(t))).toThrow()
    },
  )

  it.each(['229 (|||70000|)\r\n', '229 (|||0|)\r\n', '229 (||1|)\r\n'])('refuses EPSV %j', (t) => {
    expect(() => parseEpsvReply(reply(t))).toThrow()
  })

  it('formats EPRT and PORT', () => {
    expect(formatEprt('127.0.0.1', 40001)).toBe('|1|127.0.0.1|40001|')
    expect(formatEprt('::1', 40001)).toBe('|2|::1|40001|')
    expect(formatPort('127.0.0.1', 40001)).toBe('127,0,0,1,156,65')
    expect(() => formatPort('::1', 1)).toThrow()
  })
})

describe('parseQuotedPath', () => {
  it('unquotes doubled quotes', () => {
    expect(parseQuotedPath('"/a ""b"" c" is current')).toBe('/a "b" c')
    expect(parseQuotedPath('no quotes')).toBeUndefined()
  })
})

describe('parseFtpUrl', () => {
  it('reads schemes, ports, credentials and root', () => {
    expect(parseFtpUrl('ftp://h')).toEqual({
      host: 'h',
      port: 21,
      secure: 'none',
      user: undefined,
      password: undefined,
      root: undefined,
    })
    expect(parseFtpUrl('ftpes://u:p%3Aw@h:2121/srv/files/')).toMatchObject({
      secure: 'explicit',
      port: 2121,
      user: 'u',
      password: 'p:w',
      root: '/srv/files',
    })
    expect(parseFtpUrl('ftps://[::1]')).toMatchObject({ host: '::1', port: 990, secure: 'implicit' })
  })

  it.each(['http://h', 'not a url', 'ftp://'])('refuses %j', (u) => {
    expect(() => parseFtpUrl(u)).toThrow()
  })
})
