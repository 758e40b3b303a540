/**
 * The pure parts of setting modification times (ftp/modtime.ts): which forms are tried and in what
 * order, their command lines (UTC, but vsftpd's MDTM write form on the server's clock), and how
 * each reply reads. The real servers' answers are in test/integration/ftp/modtime.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { zoneClock } from '../../../src/ftp/listing/server-clock.js'
import { ModtimeMemory, modtimeCommand, modtimeOutcome } from '../../../src/ftp/modtime.js'

const reply = (code: number, text: string) => ({ code, text, lines: [`${code} ${text}`] })
const when = new Date('2024-07-05T12:34:56.789Z')

describe('ModtimeMemory', () => {
  it('offers MFMT only where FEAT does, MDTM writes only where MDTM exists, SITE UTIME always', () => {
    const m = new ModtimeMemory()
    expect(m.candidates({ mfmt: true, mdtm: true })).toEqual([
      'mfmt',
      'site-utime',
      'site-utime-5',
      'mdtm-write',
    ])
    expect(m.candidates({ mfmt: false, mdtm: false })).toEqual(['site-utime', 'site-utime-5'])
  })

  it('never offers a refused form again, and tries the one that worked first', () => {
    const m = new ModtimeMemory()
    m.refuse('site-utime')
    m.accept('mdtm-write')
    expect(m.candidates({ mfmt: false, mdtm: true })).toEqual(['mdtm-write', 'site-utime-5'])
    m.refuse('mdtm-write')
    expect(m.works).toBeUndefined()
    expect(m.candidates({ mfmt: false, mdtm: true })).toEqual(['site-utime-5'])
    expect(m.refused).toEqual(['site-utime', 'mdtm-write'])
  })
})

describe('modtimeCommand', () => {
  it('sends UTC whole seconds, the path last (or first in the five-argument form)', () => {
    expect(modtimeCommand('mfmt', '/a b.txt', when)).toEqual({ verb: 'MFMT', arg: '20240705123456 /a b.txt' })
    expect(modtimeCommand('site-utime', '/a', when)).toEqual({ verb: 'SITE', arg: 'UTIME 20240705123456 /a' })
    expect(modtimeCommand('site-utime-5', '/a', when)).toEqual({
      verb: 'SITE',
      arg: 'UTIME /a 20240705123456 20240705123456 20240705123456 UTC',
    })
  })

  it("writes vsftpd's MDTM form on the server's clock; the other forms ignore it", () => {
    const berlin = zoneClock('Europe/Berlin')
    expect(modtimeCommand('mdtm-write', '/a', when, berlin)).toEqual({
      verb: 'MDTM',
      arg: '20240705143456 /a',
    })
    expect(modtimeCommand('mdtm-write', '/a', new Date('2024-01-05T12:00:00Z'), berlin).arg).toBe(
      '20240105130000 /a',
    )
    expect(modtimeCommand('mdtm-write', '/a', when).arg).toBe('20240705123456 /a')
    expect(modtimeCommand('mfmt', '/a', when, berlin).arg).toBe('20240705123456 /a')
  })
})

describe('modtimeOutcome', () => {
  it('reads success, a refused form, and a failure about the file', () => {
    expect(modtimeOutcome('mfmt', reply(213, 'Modify=20240705123456; /a'))).toBe('set')
    expect(modtimeOutcome('site-utime', reply(200, 'SITE UTIME command successful'))).toBe('set')
    for (const code of [500, 501, 502, 504])
      expect(modtimeOutcome('site-utime', reply(code, 'no'))).toBe('refused')
    expect(modtimeOutcome('mfmt', reply(550, 'No such file'))).toBe('failed')
  })

  it("counts vsftpd's write reply, not a 213 that reports a time (a read of an odd file name)", () => {
    expect(modtimeOutcome('mdtm-write', reply(213, 'File modification time set.'))).toBe('set')
    expect(modtimeOutcome('mdtm-write', reply(213, '20240705123456'))).toBe('refused')
    expect(modtimeOutcome('mdtm-write', reply(550, 'Could not get file modification time.'))).toBe('failed')
  })
})
