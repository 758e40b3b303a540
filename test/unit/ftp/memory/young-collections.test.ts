/**
 * Uploads collect young garbage every few MiB (see src/ftp/memory/young-collections.ts): the counter calls
 * the collector once per UPLOAD_BYTES_PER_COLLECTION, and V8's collector really runs a minor GC.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import {
  noteUploadedBytes,
  setYoungCollector,
  UPLOAD_BYTES_PER_COLLECTION,
  v8YoungCollector,
} from '../../../../src/ftp/memory/young-collections.js'

afterEach(() => setYoungCollector(undefined))

describe('upload garbage', () => {
  it('collects once per UPLOAD_BYTES_PER_COLLECTION uploaded, across uploads', () => {
    let calls = 0
    setYoungCollector(() => calls++)
    const chunk = 64 * 1024
    const perCollection = UPLOAD_BYTES_PER_COLLECTION / chunk
    for (let i = 0; i < perCollection - 1; i++) noteUploadedBytes(chunk)
    expect(calls).toBe(0)
    noteUploadedBytes(chunk)
    expect(calls).toBe(1)
    // Two more collections' worth in odd-sized chunks, as several uploads would write them (a
    // collection needs at most one chunk more than the period; a third would need a whole period).
    let written = 0
    while (written < 2 * (UPLOAD_BYTES_PER_COLLECTION + 1000)) {
      noteUploadedBytes(1000)
      written += 1000
    }
    expect(calls).toBe(3)
  })

  it('does nothing without a collector', () => {
    expect(() => noteUploadedBytes(UPLOAD_BYTES_PER_COLLECTION * 4)).not.toThrow()
  })

  it("V8's young collector runs a minor collection", async () => {
    const collect = v8YoungCollector()
    expect(collect).toBeTypeOf('function')
    const kinds: number[] = []
    const seen = new Promise<void>((resolve) => {
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          kinds.push((e as unknown as { detail: { kind: number } }).detail.kind)
        if (kinds.includes(constants.NODE_PERFORMANCE_GC_MINOR)) {
          obs.disconnect()
          resolve()
        }
      })
      obs.observe({ entryTypes: ['gc'] })
    })
    collect?.()
    await seen
    expect(kinds).toContain(constants.NODE_PERFORMANCE_GC_MINOR)
    // A young collection only: no full (major) collection was asked for.
    expect(kinds).not.toContain(constants.NODE_PERFORMANCE_GC_MAJOR)
  })
})
