import { describe, expect, it } from 'vitest'
import { toFileStat, writableOf } from '../../../src/files/stat.js'

describe('FileStat.writable from MLSx perm facts', () => {
  it('reads w on files and c/m/p on folders, as ProFTPD sends them', () => {
    // ProFTPD on a root-owned 0644 file in the user's own folder: a and d, but no w.
    expect(writableOf('adfr', 'file')).toBe(false)
    expect(writableOf('adfrw', 'file')).toBe(true)
    expect(writableOf('fle', 'dir')).toBe(false)
    expect(writableOf('flcdmpe', 'dir')).toBe(true)
    expect(writableOf('', 'file')).toBe(false)
  })

  it('knows nothing from Unix mode strings (the owner, not the user) or missing facts', () => {
    expect(writableOf('-rw-r--r--', 'file')).toBeUndefined()
    expect(writableOf('drwxrwxrwx', 'dir')).toBeUndefined()
    expect(writableOf(undefined, 'file')).toBeUndefined()
    expect(toFileStat('a', { name: 'a', type: 'file', permissions: '-r--r--r--' })).not.toHaveProperty(
      'writable',
    )
    expect(toFileStat('a', { name: 'a', type: 'file', permissions: 'r' }).writable).toBe(false)
  })
})
