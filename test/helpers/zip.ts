/**
 * Reads a zip's central directory straight from its bytes (no library), so tests check what the
 * gateway wrote as a reader would find it: each entry's general purpose flags (bit 11: the name is
 * UTF-8), the raw name bytes, sizes (ZIP64 extra fields included) and its DOS time.
 */
import { open } from 'node:fs/promises'

/** One central directory record. */
export interface CentralEntry {
  /** The name decoded as UTF-8. */
  name: string
  /** General purpose bit flag. */
  flags: number
  /** Compression method (0 stored, 8 deflated). */
  method: number
  size: number
  /** Modification time as the DOS fields say it (read as UTC). */
  modified: Date
}

const EOCD = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const CENTRAL = 0x02014b50

function dosTime(date: number, time: number): Date {
  return new Date(
    Date.UTC(
      (date >> 9) + 1980,
      ((date >> 5) & 0xf) - 1,
      date & 0x1f,
      time >> 11,
      (time >> 5) & 0x3f,
      (time & 0x1f) * 2,
    ),
  )
}

/** The central directory of the zip file `file`; throws when it has none (a truncated zip). */
export async function centralEntries(file: string): Promise<CentralEntry[]> {
  const fh = await open(file, 'r')
  try {
    const { size } = await fh.stat()
    const tailLength = Math.min(size, 64 * 1024 + 22)
    const tail = Buffer.alloc(tailLength)
    await fh.read(tail, 0, tailLength, size - tailLength)
    const at = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
    if (at < 0 || tail.readUInt32LE(at) !== EOCD) throw new Error('no end of central directory record')
    let count = tail.readUInt16LE(at + 10)
    let cdSize = tail.readUInt32LE(at + 12)
    let cdOffset = tail.readUInt32LE(at + 16)
    if (at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
      const recordAt = Number(tail.readBigUInt64LE(at - 20 + 8))
      const record = Buffer.alloc(56)
      await fh.read(record, 0, 56, recordAt)
      count = Number(record.readBigUInt64LE(32))
      cdSize = Number(record.readBigUInt64LE(40))
      cdOffset = Number(record.readBigUInt64LE(48))
    }
    const cd = Buffer.alloc(cdSize)
    await fh.read(cd, 0, cdSize, cdOffset)
    const out: CentralEntry[] = []
    let p = 0
    for (let i = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== CENTRAL) throw new Error(`bad central header ${i}`)
      const flags = cd.readUInt16LE(p + 8)
      const method = cd.readUInt16LE(p + 10)
      const modified = dosTime(cd.readUInt16LE(p + 14), cd.readUInt16LE(p + 12))
      let entrySize = cd.readUInt32LE(p + 24)
      const nameLength = cd.readUInt16LE(p + 28)
      const extraLength = cd.readUInt16LE(p + 30)
      const commentLength = cd.readUInt16LE(p + 32)
      const name = cd.subarray(p + 46, p + 46 + nameLength).toString('utf8')
      const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength)
      // ZIP64 extended information (0x0001): the real size when the 32-bit field says 0xffffffff.
      for (let e = 0; e + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(e)
        const len = extra.readUInt16LE(e + 2)
        if (id === 1 && entrySize === 0xffffffff) entrySize = Number(extra.readBigUInt64LE(e + 4))
        e += 4 + len
      }
      out.push({ name, flags, method, size: entrySize, modified })
      p += 46 + nameLength + extraLength + commentLength
    }
    return out
  } finally {
    await fh.close()
  }
}
