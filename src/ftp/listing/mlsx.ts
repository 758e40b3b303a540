/**
 * MLSD / MLST entries (RFC 3659 §7): `fact=value;fact=value; name`. Fact names are
 * case-insensitive and facts contain no spaces, so the first space ends the facts and everything
 * after it, spaces included, is the name (§2.2: trailing spaces belong to the name).
 */
import type { FileInfo, FileType } from '../file-info.js'
import { isValidDate, parseSize, stripLineEnd } from './options.js'
import { noWork, type ScanWork } from './scan.js'

/** Entries that describe the listed directory itself or its parent, not a child. */
const SKIPPED_TYPES = new Set(['cdir', 'pdir'])

/**
 * Parses one MLSD line or MLST reply line: "fact=value;fact=value; name" (facts case-insensitive;
 * exactly one space before the name; the name keeps leading/trailing spaces except the single
 * separator). Returns undefined for cdir/pdir entries and unparseable lines.
 *
 * MLST reply lines start with one extra space (RFC 3659 §7.2); it is dropped when what follows
 * looks like facts. For MLST the name is the pathname the server sent, not a basename.
 * Each pass reads up to the first space at most once more (`work`, for tests, counts them).
 */
export function parseMlsxLine(line: string, work: ScanWork = noWork()): FileInfo | undefined {
  let text = stripLineEnd(line)
  // Anchored, and its runs stop at the first space: it reads no further than indexOf below.
  if (/^ [^ =;]+=[^ ]*; /.test(text)) text = text.slice(1)
  const space = text.indexOf(' ')
  work.ops += 2 * ((space < 0 ? text.length : space) + 2)
  if (space < 0) return undefined
  const name = text.slice(space + 1)
  if (name === '') return undefined
  work.ops += 2 * space // split, then each fact's indexOf and slices
  const facts = parseFacts(text.slice(0, space))
  if (facts === undefined) return undefined

  const rawType = facts.get('type')
  const typeKey = rawType?.toLowerCase()
  if (typeKey !== undefined && SKIPPED_TYPES.has(typeKey)) return undefined

  const info: FileInfo = { name, type: 'unknown' }
  if (rawType !== undefined) Object.assign(info, mlsxType(rawType))
  const size = parseSize(facts.get('size') ?? facts.get('sizd') ?? '')
  if (size !== undefined) info.size = size
  const modify = facts.get('modify')
  const modified = modify === undefined ? undefined : parseMlsxTime(modify)
  if (modified !== undefined) info.modified = modified
  const unique = facts.get('unique')
  if (unique !== undefined && unique !== '') info.unique = unique
  const perm = facts.get('perm')
  const mode = facts.get('unix.mode')
  if (perm !== undefined) info.permissions = perm
  else if (mode !== undefined) {
    const permissions = modeString(mode, info.type)
    if (permissions !== undefined) info.permissions = permissions
  }
  return info
}

/**
 * Splits `k=v;k=v;` into a map keyed by lower-case fact name. The value keeps everything after
 * the first `=` (type values such as `OS.unix=slink:/x` contain `=`). A missing final `;` is
 * tolerated; an empty fact list is allowed (RFC 3659 lets servers send no facts).
 */
function parseFacts(text: string): Map<string, string> | undefined {
  const facts = new Map<string, string>()
  for (const fact of text.split(';')) {
    if (fact === '') continue
    const eq = fact.indexOf('=')
    if (eq <= 0) return undefined
    const key = fact.slice(0, eq).toLowerCase()
    // The first occurrence wins, so a repeated fact cannot override one we already trust.
    if (!facts.has(key)) facts.set(key, fact.slice(eq + 1))
  }
  return facts
}

/** Maps a `type` fact value to a FileType; symlink forms differ between servers (RFC errata 1500). */
function mlsxType(value: string): { type: FileType; target?: string } {
  const lower = value.toLowerCase()
  if (lower === 'file') return { type: 'file' }
  if (lower === 'dir') return { type: 'dir' }
  if (lower.startsWith('os.unix=slink')) {
    // ProFTPD: `OS.unix=slink:/target`; the target keeps its case, an empty target is omitted.
    const colon = value.indexOf(':')
    const target = colon < 0 ? '' : value.slice(colon + 1)
    return target === '' ? { type: 'symlink' } : { type: 'symlink', target }
  }
  if (lower === 'os.unix=symlink') return { type: 'symlink' }
  return { type: 'unknown' }
}

/** Renders a `UNIX.mode` octal fact (`0755`, `4755`) as an `ls`-style mode string. */
function modeString(octal: string, type: FileType): string | undefined {
  if (!/^[0-7]{3,4}$/.test(octal)) return undefined
  const bits = Number.parseInt(octal, 8)
  const typeChar = type === 'dir' ? 'd' : type === 'symlink' ? 'l' : type === 'file' ? '-' : '?'
  const special = [
    [0o4000, 's', 'S'],
    [0o2000, 's', 'S'],
    [0o1000, 't', 'T'],
  ] as const
  let out = typeChar
  for (let i = 0; i < 3; i++) {
    const shift = 6 - i * 3
    out += bits & (4 << shift) ? 'r' : '-'
    out += bits & (2 << shift) ? 'w' : '-'
    const exec = (bits & (1 << shift)) !== 0
    const [mask, set, unset] = special[i]!
    if (bits & mask) out += exec ? set : unset
    else out += exec ? 'x' : '-'
  }
  return out
}

/** "YYYYMMDDHHMMSS[.sss]" (UTC) → Date; undefined if malformed or out of range. */
export function parseMlsxTime(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?$/.exec(value)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  // RFC 3659 §2.3 allows a leap second (60); Date cannot hold it, so it becomes :59.
  if (!isValidDate(year, month, day) || hour > 23 || minute > 59 || second > 60) return undefined
  // Any number of fraction digits is allowed; Date keeps milliseconds, so extra digits are cut.
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'))
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, Math.min(second, 59), ms)
  return date
}

/**
 * Date → "YYYYMMDDHHMMSS" in UTC (for MFMT / SITE UTIME). Milliseconds are dropped because
 * those commands take whole seconds. Throws RangeError for an invalid date or a year outside
 * 0-9999, which the 14-digit form cannot express.
 */
export function formatMlsxTime(date: Date): string {
  const year = date.getUTCFullYear()
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw new RangeError('formatMlsxTime: date cannot be written as YYYYMMDDHHMMSS')
  }
  const two = (n: number) => String(n).padStart(2, '0')
  return (
    String(year).padStart(4, '0') +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds())
  )
}
