/**
 * Listing order over the whole folder (issue 21): natural name order with folders first, size,
 * date and type, a filter, total counts, and keyset cursors that continue the same view even when
 * the folder changed between pages.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isFileError } from '../../../src/files/errors.js'
import { encodeCursor, pageOf, sortEntries } from '../../../src/files/listing-order.js'
import type { FileStat, ListOptions } from '../../../src/files/types.js'

const entry = (
  name: string,
  type: FileStat['type'] = 'file',
  size?: number,
  modified?: string,
): FileStat => ({
  path: name,
  name,
  type,
  size,
  modified: modified === undefined ? undefined : new Date(modified),
  etag: '"x"',
})
const names = (list: readonly FileStat[]) => list.map((e) => e.name)

/** Every page of a view, following `next`. */
function walk(all: FileStat[], options: ListOptions): { pages: string[][]; totals: number[] } {
  const pages: string[][] = []
  const totals: number[] = []
  let cursor: string | undefined
  do {
    const page = pageOf('', all, cursor === undefined ? options : { limit: options.limit ?? 1000, cursor })
    pages.push(names(page.entries))
    totals.push(page.total)
    cursor = page.next ?? undefined
  } while (cursor !== undefined)
  return { pages, totals }
}

describe('sortEntries', () => {
  const entries = [
    entry('b.txt', 'file', 10, '2024-01-02T00:00:00Z'),
    entry('a10.txt', 'file', 300, '2024-01-01T00:00:00Z'),
    entry('zdir', 'dir', undefined, '2023-01-01T00:00:00Z'),
    entry('a2.txt', 'file', 10, '2024-01-03T00:00:00Z'),
    entry('adir', 'dir'),
    entry('C.md', 'file', 5, '2024-01-04T00:00:00Z'),
  ]

  it('puts folders first, then sorts by the key with the name breaking ties', () => {
    expect(names(sortEntries(entries, 'name', 'asc'))).toEqual([
      'adir',
      'zdir',
      'a2.txt',
      'a10.txt',
      'b.txt',
      'C.md',
    ])
    expect(names(sortEntries(entries, 'name', 'desc'))).toEqual([
      'zdir',
      'adir',
      'C.md',
      'b.txt',
      'a10.txt',
      'a2.txt',
    ])
    expect(names(sortEntries(entries, 'size', 'asc'))).toEqual([
      'adir',
      'zdir',
      'C.md',
      'a2.txt',
      'b.txt',
      'a10.txt',
    ])
    expect(names(sortEntries(entries, 'size', 'desc'))).toEqual([
      'zdir',
      'adir',
      'a10.txt',
      'b.txt',
      'a2.txt',
      'C.md',
    ])
    expect(names(sortEntries(entries, 'modified', 'desc'))).toEqual([
      'zdir',
      'adir',
      'C.md',
      'a2.txt',
      'b.txt',
      'a10.txt',
    ])
    expect(names(sortEntries(entries, 'type', 'asc'))).toEqual([
      'adir',
      'zdir',
      'C.md',
      'a2.txt',
      'a10.txt',
      'b.txt',
    ])
  })

  it('does not change its input', () => {
    const before = names(entries)
    sortEntries(entries, 'size', 'desc')
    expect(names(entries)).toEqual(before)
  })
})

describe('pageOf over a 2,500-file folder (the scrambled pages of issue 21)', () => {
  // Listed in the server's (code-unit) order, as FTP servers send them, plus one subfolder.
  const files = Array.from({ length: 2500 }, (_, i) =>
    entry(
      `file${i + 1}`,
      'file',
      (i * 7919) % 5000,
      new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    ),
  )
  const all = [...files, entry('sub', 'dir')].sort((a, b) => (a.name < b.name ? -1 : 1))

  it('cuts pages from the whole folder in natural order, folder first, with the total', () => {
    const { pages, totals } = walk(all, { limit: 500 })
    expect(pages).toHaveLength(6)
    expect(pages[0]!.slice(0, 5)).toEqual(['sub', 'file1', 'file2', 'file3', 'file4'])
    expect(pages[1]![0]).toBe('file500')
    expect(pages.flat()).toEqual(['sub', ...files.map((f) => f.name)])
    expect(new Set(totals)).toEqual(new Set([2501]))
  })

  it('sorts by size and date across all pages, not page by page', () => {
    const bySize = walk(all, { limit: 300, sort: 'size', order: 'desc' }).pages.flat()
    expect(bySize).toEqual(names(sortEntries(all, 'size', 'desc')))
    const sizes = bySize.slice(1).map((n) => all.find((e) => e.name === n)!.size!)
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a))
    const byDate = walk(all, { limit: 700, sort: 'modified' }).pages.flat()
    expect(byDate.slice(1, 4)).toEqual(['file1', 'file2', 'file3'])
  })

  it('filters the whole folder and counts what matches', () => {
    const { pages, totals } = walk(all, { limit: 5, q: 'FILE24' })
    expect(totals[0]).toBe(1 + 10 + 100) // file24, file240-249, file2400-2499
    expect(pages[0]).toEqual(['file24', 'file240', 'file241', 'file242', 'file243'])
    expect(pageOf('', all, { q: 'nothing like it' })).toMatchObject({ entries: [], total: 0, next: null })
  })

  it('gives page numbers by offset, with where the page starts', () => {
    const page3 = pageOf('', all, { limit: 500, offset: 1000 })
    expect(page3.offset).toBe(1000)
    expect(page3.entries[0]!.name).toBe('file1000')
    expect(pageOf('', all, { limit: 500, offset: 99_999 })).toMatchObject({ entries: [], next: null })
  })

  it('continues after the last entry shown even when it was deleted or others were added', () => {
    const first = pageOf('', all, { limit: 10, sort: 'size' })
    const last = first.entries[9]!.name
    const changed = all.filter((e) => e.name !== last).concat(entry('aaa-new', 'file', 1e9))
    const second = pageOf('', changed, { limit: 10, cursor: first.next! })
    const expected = names(sortEntries(all, 'size', 'asc')).slice(10, 20)
    expect(names(second.entries)).toEqual(expected)
  })

  it('still reads plain-name cursors (name order)', () => {
    const page = pageOf('', all, { limit: 3, cursor: encodeCursor('file9') })
    expect(names(page.entries)).toEqual(['file10', 'file11', 'file12'])
  })
})

describe('bad options are bad requests', () => {
  const all = [entry('a'), entry('b')]
  const refused = (options: ListOptions) => {
    try {
      pageOf('', all, options)
    } catch (err) {
      return isFileError(err, 'FILE_ERR_BAD_REQUEST')
    }
    return false
  }

  it('refuses a cursor of another view, a bad filter, limit, offset or sort', () => {
    const next = pageOf('', all, { limit: 1, sort: 'size' }).next!
    expect(refused({ cursor: next, sort: 'name' })).toBe(true)
    expect(refused({ cursor: next, order: 'desc' })).toBe(true)
    expect(refused({ cursor: next, q: 'a' })).toBe(true)
    expect(refused({ cursor: next, sort: 'size' })).toBe(false)
    expect(refused({ q: 'a\nb' })).toBe(true)
    expect(refused({ q: 'x'.repeat(256) })).toBe(true)
    expect(refused({ limit: 0 })).toBe(true)
    expect(refused({ offset: -1 })).toBe(true)
    expect(refused({ sort: 'colour' as never })).toBe(true)
  })

  it('refuses any malformed cursor without throwing anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (cursor) => {
        try {
          pageOf('', all, { cursor })
          return true
        } catch (err) {
          return isFileError(err, 'FILE_ERR_BAD_REQUEST')
        }
      }),
    )
    const forged = Buffer.from('\u0001["name","asc","",{},0,0,0]').toString('base64url')
    expect(refused({ cursor: forged })).toBe(true)
  })
})
