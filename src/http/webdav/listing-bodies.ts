/**
 * Rendered PROPFIND bodies of folders, kept for the metadata cache's lifetime. File managers list
 * the folder they show over and over (Finder and Explorer on every visit, davfs2 and gvfs on every
 * stat of a child); of a warm PROPFIND of 2,000 entries (~20 ms), rendering took 11–15 ms and
 * encoding and sending ~6 ms. A body is reused only while the metadata cache hands back the very
 * same FileStat objects (never changed once made) for the folder and every child, so a listing
 * fetched again or an invalidation (this instance's or one published by another) makes it miss.
 * Only bodies that depend on nothing else are kept: allprop, no dead properties, no locks (the
 * caller checks).
 */
import type { FileStat } from '../../files/types.js'

/** Limits of the body cache. */
export interface ListingBodiesOptions {
  /** How long a body is kept (the metadata cache's TTL); 0 turns the cache off. */
  ttlMs: number
  /** All bodies together, in bytes. */
  maxBytes: number
  /** The largest body kept; bigger folders are rendered every time. */
  maxBodyBytes: number
}

interface Entry {
  stats: readonly FileStat[]
  body: Buffer
  timer: NodeJS.Timeout
}

/** A small LRU of rendered bodies, keyed by identity and folder, checked by stat identity. */
export class ListingBodies {
  readonly #opts: ListingBodiesOptions
  readonly #entries = new Map<string, Entry>()
  #bytes = 0

  constructor(options: ListingBodiesOptions) {
    this.#opts = options
  }

  /** The body rendered from exactly these stat objects, if it is still here. */
  get(key: string, stats: readonly FileStat[]): Buffer | undefined {
    const hit = this.#entries.get(key)
    if (!hit) return undefined
    if (hit.stats.length !== stats.length || hit.stats.some((s, i) => s !== stats[i])) {
      this.#drop(key, hit)
      return undefined
    }
    // Most recently used goes last; eviction takes from the front.
    this.#entries.delete(key)
    this.#entries.set(key, hit)
    return hit.body
  }

  /** Keeps `body` as the rendering of `stats` (a copy of the array, not of the stats). */
  set(key: string, stats: readonly FileStat[], body: Buffer): void {
    const { ttlMs, maxBytes, maxBodyBytes } = this.#opts
    if (ttlMs <= 0 || body.length > maxBodyBytes || body.length > maxBytes) return
    const old = this.#entries.get(key)
    if (old) this.#drop(key, old)
    const timer = setTimeout(() => {
      const current = this.#entries.get(key)
      if (current?.timer === timer) this.#drop(key, current)
    }, ttlMs)
    timer.unref()
    this.#entries.set(key, { stats: [...stats], body, timer })
    this.#bytes += body.length
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= maxBytes) break
      this.#drop(k, e)
    }
  }

  /** Bodies held and their bytes (tests, diagnostics). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes }
  }

  /** Drops everything (shutdown). */
  clear(): void {
    for (const [k, e] of this.#entries) this.#drop(k, e)
  }

  #drop(key: string, entry: Entry): void {
    clearTimeout(entry.timer)
    this.#entries.delete(key)
    this.#bytes -= entry.body.length
  }
}
