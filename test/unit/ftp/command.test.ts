import { describe, expect, it } from 'vitest'
import { encodeCommand, holdsIac, redactCommand } from '../../../src/ftp/command.js'
import { isFtpError } from '../../../src/ftp/errors.js'
import { nameCodec } from '../../../src/ftp/names/index.js'

const utf8 = nameCodec('utf8')
const latin1 = nameCodec('latin1')

describe('encodeCommand', () => {
  it('encodes verb and argument with CRLF', () => {
    expect(encodeCommand('RETR', '/a b/ü.txt', utf8).toString('utf8')).toBe('RETR /a b/ü.txt\r\n')
  })

  it.each(['a\rb', 'a\nb', 'a\0b', '\r\nDELE x'])('refuses %j before encoding anything', (arg) => {
    let err: unknown
    try {
      encodeCommand('RETR', arg, utf8)
    } catch (e) {
      err = e
    }
    expect(isFtpError(err, 'bad-name')).toBe(true)
  })

  it('sends 0xFF as is in latin1 (vsftpd and Pure-FTPd would keep a doubled IAC in the name)', () => {
    const bytes = encodeCommand('RETR', 'aÿb', latin1)
    expect([...bytes]).toEqual([...Buffer.from('RETR a'), 0xff, ...Buffer.from('b\r\n')])
  })

  it('never produces 0xFF in utf8', () => {
    expect(encodeCommand('RETR', 'ÿÿ', utf8).includes(0xff)).toBe(false)
  })

  it('doubles 0xFF only when asked (a server that reads Telnet in commands)', () => {
    const bytes = encodeCommand('RETR', 'aÿb', latin1, true)
    expect([...bytes]).toEqual([...Buffer.from('RETR a'), 0xff, 0xff, ...Buffer.from('b\r\n')])
    expect([...encodeCommand('DELE', '\uEFFF', utf8, true)]).toEqual([
      ...Buffer.from('DELE '),
      0xff,
      0xff,
      13,
      10,
    ])
  })

  it('tells which arguments put 0xFF on the wire', () => {
    expect(holdsIac('ÿÿÿ', utf8)).toBe(false)
    expect(holdsIac('a\uEFFFb', utf8)).toBe(true)
    expect(holdsIac('aÿb', latin1)).toBe(true)
    expect(holdsIac('日本', latin1)).toBe(false)
  })

  it('writes an escaped byte as itself on a utf8 upstream', () => {
    // "caf\xE9\xFF" listed by a utf8 server: the escapes U+EFE9 U+EFFF.
    const bytes = encodeCommand('DELE', 'caf\uEFE9\uEFFF', utf8)
    expect([...bytes]).toEqual([...Buffer.from('DELE caf'), 0xe9, 0xff, ...Buffer.from('\r\n')])
  })

  it('writes the argument in the upstream encoding and refuses what it cannot hold', () => {
    const sjis = nameCodec('shift_jis')
    expect([...encodeCommand('RETR', '日本', sjis)]).toEqual([
      ...Buffer.from('RETR '),
      0x93,
      0xfa,
      0x96,
      0x7b,
      13,
      10,
    ])
    expect(() => encodeCommand('RETR', '日本', latin1)).toThrowError(/cannot be written in latin1/)
    expect(() => encodeCommand('RETR', 'a\ud800', utf8)).toThrowError(/surrogate/)
  })

  it('refuses overlong command lines and bad verbs', () => {
    expect(() => encodeCommand('RETR', 'x'.repeat(5000), utf8)).toThrowError(/too long/)
    expect(() => encodeCommand('RE TR\r\n', 'x', utf8)).toThrowError(/verb/)
  })

  it('masks passwords in logged commands', () => {
    expect(redactCommand('PASS', 'secret')).toBe('PASS ***')
    expect(redactCommand('USER', 'bob')).toBe('USER bob')
  })
})
