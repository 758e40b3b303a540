/** The bench's hold on free page reporting (bench/lib/machine.ts): set, restored, or left alone. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { holdFreedPages } from '../../../bench/lib/machine.js'

const knobWith = (value: string): string => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ftpgw-knob-')), 'min_free_ms')
  writeFileSync(file, `${value}\n`)
  return file
}

describe('holdFreedPages', () => {
  it('raises the knob for the run and puts the old value back once', () => {
    const knob = knobWith('0')
    const { hold, restore } = holdFreedPages(30_000, knob)
    expect(hold).toEqual({ before: 0, during: 30_000 })
    expect(readFileSync(knob, 'utf8')).toBe('30000')
    restore()
    expect(readFileSync(knob, 'utf8')).toBe('0')
    writeFileSync(knob, '5')
    restore()
    expect(readFileSync(knob, 'utf8')).toBe('5')
  })

  it('leaves a value that already holds pages long enough', () => {
    const knob = knobWith('60000')
    const { hold, restore } = holdFreedPages(30_000, knob)
    expect(hold).toEqual({ before: 60_000, during: 60_000 })
    restore()
    expect(readFileSync(knob, 'utf8').trim()).toBe('60000')
  })

  it('says so where the kernel has no such knob', () => {
    const { hold } = holdFreedPages(30_000, path.join(os.tmpdir(), 'ftpgw-no-such-knob'))
    expect(hold.note).toMatch(/no page-reporting knob/)
    expect(hold.during).toBeUndefined()
  })
})
