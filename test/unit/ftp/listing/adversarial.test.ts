/**
 * Hostile server output must not block the event loop: each parser regex is written so that
 * long runs of spaces, digits, CRs or near-dates cost linear time. With quadratic backtracking
 * these 100k-character lines would take minutes; linear parsing takes milliseconds.
 */
import { describe, expect, it } from 'vitest'
import { parseListing } from '../../../../src/ftp/listing/index.js'

const N = 100_000
const LINES: Array<[string, string]> = [
  ['Unix mode then spaces', `-rw-r--r-- ${' '.repeat(N)}x`],
  ['Unix mode then digits', `-rw-r--r-- ${'1 '.repeat(N / 2)}x`],
  ['Unix near-dates', `-rw-r--r-- ${'1 Jan '.repeat(N / 6)}x`],
  ['Unix dates without a name separator', `-rw-r--r-- ${'1 Jan 1 2020\t'.repeat(N / 13)}`],
  ['DOS date then spaces', `01-01-20  01:00${' '.repeat(N)}x`],
  ['DOS size then spaces', `01-01-20  01:00 ${'1,'.repeat(N / 2)} `],
  ['bare CRs', `${'\r'.repeat(N)}x`],
  ['MLST-like semicolons', ` a=${';'.repeat(N)}`],
  ['MLSD facts without a name', `a=b;${'c=d;'.repeat(N / 4)}`],
]

describe('adversarial lines', () => {
  it.each(LINES)('%s parses in linear time', (_label, line) => {
    const started = performance.now()
    for (const kind of ['list', 'mlsd'] as const) {
      const entries = parseListing(`${line}\n${line}`, kind)
      expect(Array.isArray(entries)).toBe(true)
    }
    // Generous for slow CI; the quadratic versions took far longer than this.
    expect(performance.now() - started).toBeLessThan(1000)
  })
})
