import { describe, expect, it } from 'vitest'

describe('toolchain', () => {
  it('runs TypeScript tests', () => {
    expect(typeof structuredClone).toBe('function')
  })
})
