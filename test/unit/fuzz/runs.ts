/**
 * fast-check settings for the fuzz suite and the case count for the faults summary. `FUZZ_RUNS`
 * scales every property (default 2,000 examples each; the whole folder then runs well over 20,000
 * cases in a few seconds); `FUZZ_SEED` replays a failure that fast-check reported.
 */
import fc from 'fast-check'
import { afterAll } from 'vitest'
import { record } from '../../faults/support/counters.js'

/** Examples per property. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 2000)

let ran = 0
// Registered while the importing test file is collected (vitest isolates modules per file, so
// every fuzz file reports its own count): one line per file, which the script sums.
afterAll(() => {
  record({ cases: ran })
  console.info(`fuzz: ${ran} cases`)
})

/** fc.assert with the suite's run count; counts the examples for the summary. */
export function check<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  runs = RUNS,
): void | Promise<void> {
  const seed = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }
  ran += runs
  if ('isAsync' in property && property.isAsync()) {
    return fc.assert(property as fc.IAsyncProperty<Ts>, { numRuns: runs, ...seed })
  }
  return fc.assert(property as fc.IProperty<Ts>, { numRuns: runs, ...seed })
}

/** Any text, including lone surrogates, controls and non-BMP characters. */
export const anyText = (maxLength = 200) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme-ascii', maxLength }),
    fc.string({
      unit: fc.constantFrom(
        '.',
        '/',
        '\\',
        '%',
        '2',
        'e',
        'E',
        'f',
        'F',
        'c',
        '0',
        'a',
        '\r',
        '\n',
        '\0',
        ' ',
      ),
      maxLength,
    }),
  )
