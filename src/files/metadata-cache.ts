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
 */
export class MetadataCache {
  readonly #stats = new Map<string, Entry<FileStat>>()
  readonly #listings = new Map<string, Entry<FileStat[]>>()
  readonly #opts: MetadataCacheOptions
  readonly #max: number
  #unsubscribe: (() => Promise<void>) | undefined
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

  /** True when a fresh listing of `dir` exists and has no entry `path`: a cheap negative answer. */
  knownMissing(identity: string, path: RelPath): boolean {
    if (path === '') return false
    const listing = this.#listings.get(`${identity}\0${parentOf(path)}`)
    if (!listing || listing.expiresAt < Date.now()) return false
    return !listing.value.some((e) => e.path === path)
  }

  setListing(identity: string, dir: RelPath, entries: FileStat[]): void {
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
