import type { Stats } from 'node:fs'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
/** `ls` switches from time to year beyond half a year (vsftpd uses 182 days). */
const HALF_YEAR_MS = 182 * 24 * 3600 * 1000

/** One directory entry with what the formatters need. */
export interface ListEntry {
  name: string
  /** lstat of the entry (a symlink shows as a link in LIST). */
  lstat: Stats
  /** stat of the symlink's target when it resolves inside the root. */
  targetStat?: Stats
  /** readlink text for symlinks. */
  linkTarget?: string | undefined
}

const two = (n: number): string => String(n).padStart(2, '0')

/** RFC 3659 time-val: UTC `YYYYMMDDHHMMSS`. */
export function mlsdTime(d: Date): string {
  return (
    String(d.getUTCFullYear()).padStart(4, '0') +
    two(d.getUTCMonth() + 1) +
    two(d.getUTCDate()) +
    two(d.getUTCHours()) +
    two(d.getUTCMinutes()) +
    two(d.getUTCSeconds())
  )
}

/** Parses `YYYYMMDDHHMMSS[.sss]` (UTC) or returns undefined. */
export function parseMlsdTime(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3}))?$/.exec(s)
  if (!m) return undefined
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0
  const t = Date.UTC(y, mo - 1, d, h, mi, se, ms)
  const date = new Date(t)
  // Reject overflowed fields such as month 13, which Date.UTC would quietly roll over.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    return undefined
  }
  return date
}

function modeString(st: Stats): string {
  const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : '-'
  const bits = 'rwxrwxrwx'
  let perms = ''
  for (let i = 0; i < 9; i++) perms += st.mode & (0o400 >> i) ? bits[i] : '-'
  return type + perms
}

/** `ls -l` date: `Mon DD HH:MM` within the last half year, else `Mon DD  YYYY` (UTC, as vsftpd). */
export function unixDate(d: Date, now: Date = new Date()): string {
  const age = now.getTime() - d.getTime()
  const head = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')}`
  // Future dates (beyond a little clock skew) also get the year, like GNU ls.
  const recent = age < HALF_YEAR_MS && age > -3600 * 1000
  return recent
    ? `${head} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`
    : `${head}  ${d.getUTCFullYear()}`
}

/** One Unix `ls -l` style LIST line (no CRLF). */
export function unixLine(e: ListEntry, now: Date = new Date()): string {
  const st = e.lstat
  const size = String(st.size).padStart(12, ' ')
  const link = st.isSymbolicLink() && e.linkTarget !== undefined ? ` -> ${e.linkTarget}` : ''
  return `${modeString(st)} ${String(st.nlink).padStart(3, ' ')} ftp      ftp      ${size} ${unixDate(st.mtime, now)} ${e.name}${link}`
}

/** One IIS/DOS style LIST line: `MM-DD-YY  hh:mmAM       <DIR>          name`. */
export function dosLine(e: ListEntry): string {
  const st = e.targetStat ?? e.lstat
  const d = st.mtime
  const h = d.getUTCHours()
  const date = `${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-${two(d.getUTCFullYear() % 100)}`
  const time = `${two(h % 12 === 0 ? 12 : h % 12)}:${two(d.getUTCMinutes())}${h < 12 ? 'AM' : 'PM'}`
  const middle = st.isDirectory() ? `       <DIR>          ` : `${String(st.size).padStart(21, ' ')} `
  return `${date}  ${time}${middle}${e.name}`
}

/** The MLSx facts this server can emit, in FEAT order. */
export const MLST_FACTS = ['type', 'size', 'modify', 'perm', 'unique'] as const
export type MlstFact = (typeof MLST_FACTS)[number]

/**
 * MLSx facts for one entry, ending in `; ` before the name. Symlinks are shown as their target
 * when it stays inside the root, otherwise as `OS.unix=slink:` with no target (never leak outside).
 */
export function mlsxFacts(
  e: ListEntry,
  facts: ReadonlySet<MlstFact>,
  typeOverride?: 'cdir' | 'pdir',
): string {
  const st = e.targetStat ?? e.lstat
  const isLink = e.lstat.isSymbolicLink() && !e.targetStat
  const dir = st.isDirectory()
  let out = ''
  if (facts.has('type')) {
    out += `type=${typeOverride ?? (isLink ? 'OS.unix=slink:' : dir ? 'dir' : 'file')};`
  }
  if (facts.has('size') && !dir) out += `size=${st.size};`
  if (facts.has('modify')) out += `modify=${mlsdTime(st.mtime)};`
  if (facts.has('perm')) out += `perm=${dir ? 'flcdmpe' : 'adfrw'};`
  if (facts.has('unique')) out += `unique=${st.dev.toString(16)}U${st.ino.toString(16)};`
  return `${out} `
}
