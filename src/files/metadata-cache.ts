import type { Store } from '../store/store.js'
import type { ContentCache } from './content-cache.js'
import { isWithin, parentOf } from './paths.js'
import type { FileStat, RelPath } from './types.js'

/** Pub/sub channel on which every instance announces the paths its writes touched. */
export const INVALIDATION_CHANNEL = 'files:invalidate'

interface Entry<T> {
  value: T
  expiresAt: number
}

/** Options of the metadata cache. */
export interface MetadataCacheOptions {
  store: Store
  /** Entry lifetime (CACHE_TTL_MS); 0 disables caching. */
  ttlMs: number
  /** Upper bound on cached listings and stats each, so memory stays bounded. */
  maxEntries?: number
  /** Told about store failures (subscribe/publish), which are not fatal. */
  onWarning?: (message: string, err: unknown) => void
  /** Small files' bytes, dropped together with their metadata. */
  content?: ContentCache | undefined
  /** The pub/sub channel (one per upstream: paths mean nothing on another server). @default INVALIDATION_CHANNEL */
  channel?: string | undefined
}

/**
 * Stat and listing results per identity, short-lived. Writes through the gateway invalidate the
 * entries they touch on every instance (store pub/sub): a path, its parent's listing, and for
 * directories everything below. Entries are per identity because permissions differ per login.
 * Writes by the FTP server's other clients are not announced: a cached entry is only ever a
 * positive answer, a miss always asks the server (reconcile() then drops what disagreed), and a
 * listing may lag such writes by up to the TTL.
 */
export class MetadataCache {
  readonly #stats = new Map<string, Entry<FileStat>>()
  readonly #listings = new Map<string, Entry<FileStat[]>>()
  readonly #opts: MetadataCacheOptions
  readonly #max: number
  #unsubscribe: (() => Promise<void>) | undefined
  #epoch = 0
  hits = 0
  misses = 0

  constructor(options: MetadataCacheOptions) {
    this.#opts = options
    this.#max = options.maxEntries ?? 10_000
  }

  /** Subscribes to other instances' invalidations. */
  async start(): Promise<void> {
    if (this.#opts.ttlMs <= 0) return
    try {
      this.#unsubscribe = await this.#opts.store.subscribe(
        this.#opts.channel ?? INVALIDATION_CHANNEL,
        (message) => {
          try {
            const { paths, subtree } = JSON.parse(message) as { paths: string[]; subtree: boolean }
            this.#drop(paths, subtree)
          } catch {
            // A malformed message cannot come from us; ignore it rather than crash.
          }
        },
      )
    } catch (err) {
      this.#opts.onWarning?.('cache invalidation subscription failed; entries live until their TTL', err)
    }
  }

  async stop(): Promise<void> {
    await this.#unsubscribe?.().catch(() => undefined)
    this.#stats.clear()
    this.#listings.clear()
    this.#opts.content?.clear()
  }

  getStat(identity: string, path: RelPath): FileStat | undefined {
    const hit = this.#get(this.#stats, `${identity}\0${path}`)
    if (hit) return hit
    // A fresh listing of the parent answers stats of its children (PROPFIND, HEAD after a listing).
    if (path !== '') {
      const listing = this.#get(this.#listings, `${identity}\0${parentOf(path)}`)
      const child = listing?.find((e) => e.path === path)
      if (child) return child
    }
    return undefined
  }

  setStat(identity: string, stat: FileStat): void {
    this.#set(this.#stats, `${identity}\0${stat.path}`, stat)
  }

  getListing(identity: string, dir: RelPath): FileStat[] | undefined {
    return this.#get(this.#listings, `${identity}\0${dir}`)
  }

  /**
   * What the server just said about `path` (its stat, or undefined for "no such file"), checked
   * against what is cached: a cached listing of its parent that disagrees about the entry being
   * there, or being a folder (another FTP client created, deleted or replaced it), and a cached
   * stat of a path that is gone, are dropped here, so the next listing asks the server. Sizes and
   * times are not compared: LIST shows vsftpd's times to the minute where its MDTM has seconds, so
   * they differ without anything having changed. Other instances keep theirs until their TTL; they
   * recheck the same way before answering from them.
   */
  reconcile(identity: string, path: RelPath, seen: FileStat | undefined): void {
    if (path === '') return
    const listingKey = `${identity}\0${parentOf(path)}`
    const listing = this.#listings.get(listingKey)
    if (listing) {
      const listed = listing.value.find((e) => e.path === path)
      const agrees =
        seen === undefined ? listed === undefined : listed !== undefined && listed.type === seen.type
      if (!agrees) this.#listings.delete(listingKey)
    }
    if (seen === undefined) this.#stats.delete(`${identity}\0${path}`)
  }

  /**
   * Counts invalidations. A listing read from the server while a write finished is older than
   * that write: whoever lists takes the epoch before asking the server and passes it to
   * setListing, which then keeps nothing if any invalidation came in between (else the listing
   * without the new file would be served until its TTL, right after the upload said 201).
   */
  get epoch(): number {
    return this.#epoch
  }

  setListing(identity: string, dir: RelPath, entries: FileStat[], since?: number): void {
    if (since !== undefined && since !== this.#epoch) return
    this.#set(this.#listings, `${identity}\0${dir}`, entries)
  }

  /** Drops entries here and tells every other instance to do the same. */
  async invalidate(paths: RelPath[], options: { subtree?: boolean } = {}): Promise<void> {
    const subtree = options.subtree ?? false
    this.#drop(paths, subtree)
    if (this.#opts.ttlMs <= 0) return
    try {
      await this.#opts.store.publish(
        this.#opts.channel ?? INVALIDATION_CHANNEL,
        JSON.stringify({ paths, subtree }),
      )
    } catch (err) {
      this.#opts.onWarning?.(
        'cache invalidation publish failed; other instances serve stale entries until their TTL',
        err,
      )
    }
  }

  #drop(paths: RelPath[], subtree: boolean): void {
    this.#epoch++
    const targets = new Set<string>()
    for (const p of paths) {
      targets.add(p)
      targets.add(parentOf(p))
    }
    const matchesPath = (path: string) =>
      targets.has(path) || (subtree && paths.some((p) => isWithin(path, p)))
    const matches = (key: string) => matchesPath(key.slice(key.indexOf('\0') + 1))
    for (const key of this.#stats.keys()) if (matches(key)) this.#stats.delete(key)
    for (const key of this.#listings.keys()) if (matches(key)) this.#listings.delete(key)
    this.#opts.content?.drop(matchesPath)
  }

  #get<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
    const entry = map.get(key)
    if (!entry) {
      this.misses++
      return undefined
    }
    if (entry.expiresAt < Date.now()) {
      map.delete(key)
      this.misses++
      return undefined
    }
    this.hits++
    return entry.value
  }

  #set<T>(map: Map<string, Entry<T>>, key: string, value: T): void {
    if (this.#opts.ttlMs <= 0) return
    map.delete(key)
    map.set(key, { value, expiresAt: Date.now() + this.#opts.ttlMs })
    // Maps iterate in insertion order, so the first key is the oldest.
    if (map.size > this.#max) map.delete(map.keys().next().value as string)
  }
}
