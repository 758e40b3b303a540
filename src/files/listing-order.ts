/**
 * The order, filter and paging of a directory listing over the WHOLE folder. A folder is listed
 * once upstream (and cached); every page of every view is cut from that one list after it has been
 * filtered and sorted, so page 2 continues page 1 in the order the reader chose, whatever order the
 * FTP server sent. Sorting a large folder costs some milliseconds, so each sorted view is memoised
 * against the cached listing array it came from (a new listing is a new array: nothing stale).
 *
 * Cursors are keyset cursors: they carry the sort, order and filter they were made under plus the
 * sort key of the last entry shown, so a page still starts at the right place when entries were
 * added or removed in between (an offset would skip or repeat names).
 */
import { FileError } from './errors.js'
import type { FileStat, ListOptions, ListPage, ListSort, RelPath, SortOrder } from './types.js'

/** Largest page a client may ask for. */
export const MAX_PAGE = 10_000
/** Longest filter text (`q`): longer is refused, never truncated. */
export const MAX_FILTER_LENGTH = 255

const SORTS: readonly ListSort[] = ['name', 'size', 'modified', 'type']
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' })

/** Natural name order ("file2" before "file10", case folded), code units breaking ties: a total order. */
export function compareNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0)
}

/** The extension people mean by "type": lower-cased, '' for none (and for ".profile"). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase()
}

/** What a cursor remembers of the entry it follows (enough to place it without the entry). */
interface Key {
  name: string
  dir: boolean
  size: number
  modified: number
}

function keyOf(e: FileStat): Key {
  return { name: e.name, dir: e.type === 'dir', size: e.size ?? -1, modified: e.modified?.getTime() ?? 0 }
}

/**
 * The comparator of a view: folders first in either direction (as file managers do), then the
 * key, then the name; `desc` reverses everything but the folders-first rule.
 */
function comparator(sort: ListSort, order: SortOrder): (a: Key, b: Key) => number {
  const sign = order === 'desc' ? -1 : 1
  return (a, b) => {
    if (a.dir !== b.dir) return a.dir ? -1 : 1
    let c = 0
    if (sort === 'size') c = a.size - b.size
    else if (sort === 'modified') c = a.modified - b.modified
    else if (sort === 'type') c = compareNames(extensionOf(a.name), extensionOf(b.name))
    return sign * (c || compareNames(a.name, b.name))
  }
}

/** Sorts a copy of `entries` for a view (see comparator). */
export function sortEntries(entries: readonly FileStat[], sort: ListSort, order: SortOrder): FileStat[] {
  const compare = comparator(sort, order)
  return entries
    .map((e) => ({ e, k: keyOf(e) }))
    .sort((a, b) => compare(a.k, b.k))
    .map((x) => x.e)
}

/** Whether `name` matches the filter: a case-insensitive substring (the filter already folded). */
function matches(name: string, folded: string): boolean {
  return folded === '' || name.toLowerCase().includes(folded)
}

// Sorted (and filtered) views of a cached listing array, dropped with it.
const views = new WeakMap<readonly FileStat[], Map<string, FileStat[]>>()
const MAX_VIEWS_PER_LISTING = 16

function viewOf(all: readonly FileStat[], sort: ListSort, order: SortOrder, q: string): FileStat[] {
  const id = `${sort}\0${order}\0${q}`
  let memo = views.get(all)
  const hit = memo?.get(id)
  if (hit) return hit
  const folded = q.toLowerCase()
  const view = sortEntries(
    all.filter((e) => matches(e.name, folded)),
    sort,
    order,
  )
  if (!memo) {
    memo = new Map()
    views.set(all, memo)
  }
  // Filters typed letter by letter would otherwise pile up views of one listing.
  if (memo.size >= MAX_VIEWS_PER_LISTING) memo.clear()
  memo.set(id, view)
  return view
}

/** What a cursor carries: the view it belongs to and the last entry it showed. */
interface CursorState {
  sort: ListSort
  order: SortOrder
  q: string
  last: Key
}

// New cursors start with this byte so they are never mistaken for the older plain-name cursors
// (a name never starts with a control character the gateway lets through).
const CURSOR_MARK = '\u0001'

function encodeState(state: CursorState): string {
  const { last } = state
  const body = [state.sort, state.order, state.q, last.name, last.dir ? 1 : 0, last.size, last.modified]
  return Buffer.from(CURSOR_MARK + JSON.stringify(body), 'utf8').toString('base64url')
}

/** A plain-name cursor (name order, no filter): what every cursor was before sorting and filters. */
export function encodeCursor(lastName: string): string {
  return Buffer.from(lastName, 'utf8').toString('base64url')
}

function badCursor(): never {
  throw new FileError('FILE_ERR_BAD_REQUEST', 'The page cursor is not valid; start again from the first page')
}

/** Decodes a cursor of either form; anything that is not one is a bad request, not a crash. */
export function decodeCursor(cursor: string, all: readonly FileStat[]): CursorState {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) badCursor()
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  if (text === '' || text.includes('\uFFFD')) badCursor()
  if (!text.startsWith(CURSOR_MARK)) {
    if (text.includes('/')) badCursor()
    // A plain-name cursor: place it by the entry of that name when it still exists.
    const entry = all.find((e) => e.name === text)
    const last = entry ? keyOf(entry) : { name: text, dir: false, size: -1, modified: 0 }
    return { sort: 'name', order: 'asc', q: '', last }
  }
  let body: unknown
  try {
    body = JSON.parse(text.slice(1))
  } catch {
    badCursor()
  }
  if (!Array.isArray(body) || body.length !== 7) badCursor()
  const [sort, order, q, name, dir, size, modified] = body as unknown[]
  if (
    !SORTS.includes(sort as ListSort) ||
    (order !== 'asc' && order !== 'desc') ||
    typeof q !== 'string' ||
    typeof name !== 'string' ||
    name === '' ||
    (dir !== 0 && dir !== 1) ||
    !Number.isSafeInteger(size) ||
    !Number.isSafeInteger(modified)
  )
    badCursor()
  return {
    sort: sort as ListSort,
    order: order as SortOrder,
    q: q as string,
    last: { name: name as string, dir: dir === 1, size: size as number, modified: modified as number },
  }
}

/** Checks the filter text; control characters and overlong filters are refused by name. */
export function checkFilter(q: string): string {
  if (q.length > MAX_FILTER_LENGTH || /[\u0000-\u001f\u007f]/.test(q))
    throw new FileError(
      'FILE_ERR_BAD_REQUEST',
      `The filter must be at most ${MAX_FILTER_LENGTH} printable characters`,
    )
  return q
}

/**
 * One page of `all` (a folder's whole listing, any order) under `options`: filtered, sorted, then
 * cut at the cursor or the offset. The page says the total count after the filter and where it
 * starts, so a reader can show "1–500 of 2,500" and page numbers.
 */
export function pageOf(path: RelPath, all: readonly FileStat[], options: ListOptions = {}): ListPage {
  const limit = options.limit ?? 1000
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new FileError('FILE_ERR_BAD_REQUEST', `limit must be 1-${MAX_PAGE}`)
  }
  const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor, all)
  const sort = options.sort ?? cursor?.sort ?? 'name'
  const order = options.order ?? cursor?.order ?? 'asc'
  const q = checkFilter(options.q ?? cursor?.q ?? '')
  if (!SORTS.includes(sort)) throw new FileError('FILE_ERR_BAD_REQUEST', 'Unknown sort')
  if (cursor && (cursor.sort !== sort || cursor.order !== order || cursor.q !== q)) {
    throw new FileError(
      'FILE_ERR_BAD_REQUEST',
      'The page cursor belongs to another sort order or filter; start again from the first page',
    )
  }
  const view = viewOf(all, sort, order, q)
  let start = 0
  if (cursor) {
    // Binary search: the first entry that sorts after the cursor's entry.
    const compare = comparator(sort, order)
    let lo = 0
    let hi = view.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (compare(keyOf(view[mid]!), cursor.last) <= 0) lo = mid + 1
      else hi = mid
    }
    start = lo
  } else if (options.offset !== undefined) {
    if (!Number.isSafeInteger(options.offset) || options.offset < 0)
      throw new FileError('FILE_ERR_BAD_REQUEST', 'offset must be a whole number')
    start = Math.min(options.offset, view.length)
  }
  const entries = view.slice(start, start + limit)
  const more = start + limit < view.length
  const last = entries[entries.length - 1]
  return {
    path,
    entries,
    next: more && last ? encodeState({ sort, order, q, last: keyOf(last) }) : null,
    total: view.length,
    offset: start,
  }
}
