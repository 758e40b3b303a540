/**
 * ListingReader: names holding line breaks never become entries that do not exist, on the bytes
 * vsftpd and ProFTPD really send (captured for issue 15 item 13), whatever the chunking.
 */
import { describe, expect, it } from 'vitest'
import { ListingReader } from '../../../../src/ftp/listing/index.js'

const V = '-rw-r--r--    1 1001     1001            1 Dec 07 03:07 '
/** vsftpd LIST -a: CRLF line ends, a LF inside a name sent as is. */
const VSFTPD_LIST =
  `drwxr-xr-x    3 1001     1001         4096 Dec 07 03:07 .\r\n${V}a\n-rw-r--r-- 1 u g 5 Jan 1 00:00 fake\r\n` +
  `${V}b\nc\r\n${V}crlf\r\nx\r\n${V}plain.txt\r\n${V}tail\n\r\n${V}type=file;size=1; mfake\r\n`
const P = 'modify=20261207030748;perm=adfrw;size=1;type=file;unique=FE00U20C07F;UNIX.mode=0644; '
/** ProFTPD MLSD: a LF inside a name becomes CRLF. */
const PROFTPD_MLSD =
  `modify=20261207030748;perm=flcdmpe;type=dir;unique=FE00U20C08A;UNIX.mode=0755; d\r\nir\r\n` +
  `modify=20261207030748;perm=flcdmpe;type=cdir;unique=FE00U20C05B;UNIX.mode=0755; .\r\n` +
  `${P}a\r\n-rw-r--r-- 1 u g 5 Jan 1 00:00 fake\r\n${P}tail\r\n\r\n${P}plain.txt\r\n`

function read(text: string, kind: 'mlsd' | 'list', chunk = text.length) {
  const r = new ListingReader(kind)
  for (let i = 0; i < text.length; i += chunk) r.push(text.slice(i, i + chunk))
  return { names: r.end().map((e) => e.name), drops: r.drops }
}

describe('ListingReader', () => {
  it.each([1, 2, 7, 1000])(
    'vsftpd LIST in %i-character chunks: only the real, addressable names',
    (chunk) => {
      const { names, drops } = read(VSFTPD_LIST, 'list', chunk)
      expect(names).toEqual(['plain.txt', 'type=file;size=1; mfake'])
      // a, b and tail rejoined (their names hold a LF); crlf cut off at its CR LF.
      expect(drops).toEqual({ unsafe: 3, ambiguous: 1 })
    },
  )

  it.each([1, 3, 1000])('ProFTPD MLSD in %i-character chunks: cut-off names are dropped', (chunk) => {
    const { names, drops } = read(PROFTPD_MLSD, 'mlsd', chunk)
    expect(names).toEqual(['plain.txt'])
    expect(drops).toEqual({ unsafe: 0, ambiguous: 3 })
  })

  it('a LF-terminated listing keeps one entry per line', () => {
    const { names } = read(`${V}one\n${V}two\n${V}three`, 'list')
    expect(names).toEqual(['one', 'two', 'three'])
  })

  it('`total N`, "." and "..", and cdir/pdir lines make nothing ambiguous', () => {
    expect(read(`total 8\r\n${V}x\r\n${V.replace('-rw', 'drw')}..\r\n`, 'list').names).toEqual(['x'])
    expect(read(`${P}x\r\ntype=pdir;modify=20261207030748; ..\r\n`, 'mlsd').names).toEqual(['x'])
  })
})
