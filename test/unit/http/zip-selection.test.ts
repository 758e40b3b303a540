/** Selections of a folder zip (`?name=a&name=b`) and the download's name (src/http/zip-download.ts). */
import { describe, expect, it } from 'vitest'
import { isFileError } from '../../../src/files/errors.js'
import { parseSelection, zipFileName } from '../../../src/http/zip-download.js'

const refused = (query: string) => {
  try {
    parseSelection(query)
  } catch (err) {
    return isFileError(err, 'FILE_ERR_BAD_PATH')
  }
  return false
}

describe('parseSelection', () => {
  it('reads repeated names, decoded once, repeats counted once; none means the whole folder', () => {
    expect(parseSelection('')).toBeUndefined()
    expect(parseSelection('other=1')).toBeUndefined()
    expect(parseSelection('name=a.txt&name=b%20c&name=a.txt')).toEqual(['a.txt', 'b c'])
    expect(parseSelection('name=%E6%97%A5%E6%9C%AC&name=x+y&name=%2B')).toEqual(['日本', 'x y', '+'])
    // %25 is a literal '%': the name "%2e%2e" is harmless.
    expect(parseSelection('name=%252e%252e')).toEqual(['%2e%2e'])
  })

  it('refuses anything that is not one name of the folder', () => {
    for (const q of [
      'name=',
      'name',
      'name=.',
      'name=..',
      'name=%2e%2e',
      'name=a%2Fb',
      'name=a/b',
      'name=a%5Cb',
      'name=a%00b',
      'name=a%0D%0Ab',
      'name=%zz',
      'name=%ff',
      `name=${'x'.repeat(256)}`,
    ])
      expect(refused(q), q).toBe(true)
  })
})

describe('zipFileName', () => {
  it('names the download after the folder, the one selected item, or the root', () => {
    expect(zipFileName('a/reports')).toBe('reports.zip')
    expect(zipFileName('a/reports', ['x.pdf', 'y.pdf'])).toBe('reports.zip')
    expect(zipFileName('a/reports', ['photos'])).toBe('photos.zip')
    expect(zipFileName('')).toBe('files.zip')
  })
})
