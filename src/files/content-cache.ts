import { Readable } from 'node:stream'
import { resolveRange } from './preconditions.js'
import type { FileStat, RangeSpec, ReadResult } from './types.js'

/** Options of the content cache. */
export interface ContentCacheOptions {
  /** Entry lifetime: the metadata cache's (CACHE_TTL_MS); 0 disables the cache. */
  ttlMs: number
  /** Bytes held in total (CACHE_CONTENT_MAX_BYTES); 0 disables the cache. */
  maxBytes: number
  /** Largest file kept (CACHE_CONTENT_MAX_FILE_BYTES); bigger files always stream. */
  maxFileBytes: number
}

/**
 * What the reader leading a burst learnt for the readers that joined it: the stat, with the whole
 * file when it was small enough to read whole, or the error that ended the read.
 */
export type SharedRead = { stat: FileStat; bytes?: Buffer | undefined } | { error: unknown }

/** A reader's place in a burst: lead it (and settle it for the others), or wait for its outcome. */
export type ReadTurn =
  | { lead: (outcome: SharedRead | undefined) => void }
  | { joined: Promise<SharedRead | undefined> }

interface Entry {
  etag: string
  bytes: Buffer
  expiresAt: number
}

/**
 * The bytes of small files, per identity, for as long as their metadata may be cached. A small GET
 * otherwise costs a data connection and four replies with the server for a kilobyte; this answers
 * repeats from memory. An entry is only used while the stat it was read under still holds (same
 * ETag), it is dropped with the metadata (writes through any instance, TTL), and the total is
 * bounded (least recently stored first out). Big files never come here: they stream.
 */
export class ContentCache {
  readonly #entries = new Map<string, Entry>()
  readonly #bursts = new Map<string, Promise<SharedRead | undefined>>()
  readonly #opts: ContentCacheOptions
  #bytes = 0
  hits = 0
  misses = 0

  constructor(options: ContentCacheOptions) {
    this.#opts = options
  }

  /** Bytes held now. */
  get size(): number {
    return this.#bytes
  }

  /** Whether a file of this size is worth reading whole and keeping. */
  fits(size: number | undefined): size is number {
    return (
      size !== undefined &&
      this.#opts.ttlMs > 0 &&
      this.#opts.maxBytes > 0 &&
      size <= this.#opts.maxFileBytes &&
      size <= this.#opts.maxBytes
    )
  }

  /** The file's bytes when they were read under this very stat and are still fresh. */
  get(identity: string, stat: FileStat): Buffer | undefined {
    if (!this.fits(stat.size)) return undefined
    const key = `${identity}\0${stat.path}`
    const entry = this.#entries.get(key)
    if (!entry) {
      this.misses++
      return undefined
    }
    if (entry.expiresAt < Date.now() || entry.etag !== stat.etag) {
      this.#delete(key, entry)
      this.misses++
      return undefined
    }
    this.hits++
    return entry.bytes
  }

  /** Keeps `bytes` as the content of `stat` (which must describe exactly these bytes). */
  set(identity: string, stat: FileStat, bytes: Buffer): void {
    if (!this.fits(stat.size) || bytes.length !== stat.size) return
    const key = `${identity}\0${stat.path}`
    const old = this.#entries.get(key)
    if (old) this.#delete(key, old)
    this.#entries.set(key, { etag: stat.etag, bytes, expiresAt: Date.now() + this.#opts.ttlMs })
    this.#bytes += bytes.length
    // Maps iterate in insertion order: the first entries are the oldest.
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.#opts.maxBytes) break
      this.#delete(k, e)
    }
  }

  /**
   * Readers of one file at the same moment: the first leads, the others wait for what it learns
   * (the bytes of a small file, or at least the stat). Without this, the moment a popular small
   * file's entry expires every request in flight downloads it again: at 256 connections that was
   * 256 transfers queued on a pool of 16 and requests waiting up to a second (bench "rps"). The
   * leader must settle its turn whatever happens; `undefined` tells the others to read alone.
   * Only what holds for every reader is shared: the bytes of a small file, a stat, an error before
   * any byte moved; a big file's stream is each reader's own.
   */
  turn(identity: string, path: string): ReadTurn {
    const key = `${identity}\0${path}`
    const joined = this.#bursts.get(key)
    if (joined) return { joined }
    let settle!: (outcome: SharedRead | undefined) => void
    const burst = new Promise<SharedRead | undefined>((resolve) => {
      settle = resolve
    })
    this.#bursts.set(key, burst)
    return {
      lead: (outcome) => {
        if (this.#bursts.get(key) === burst) this.#bursts.delete(key)
        settle(outcome)
      },
    }
  }

  /** Drops every entry whose path satisfies `matches` (the metadata cache's invalidation rule). */
  drop(matches: (path: string) => boolean): void {
    const pathOf = (key: string) => key.slice(key.indexOf('\0') + 1)
    for (const [key, entry] of this.#entries) if (matches(pathOf(key))) this.#delete(key, entry)
    // Readers arriving after a write start afresh instead of joining a read from before it.
    for (const key of this.#bursts.keys()) if (matches(pathOf(key))) this.#bursts.delete(key)
  }

  clear(): void {
    this.#entries.clear()
    this.#bursts.clear()
    this.#bytes = 0
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key)
    this.#bytes -= entry.bytes.length
  }
}

/** Reads a (small, bounded) download to its end; rejects when it fails. */
export async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  // Always a copy of its own: a chunk may be a view of a larger buffer.
  return Buffer.concat(chunks)
}

/** A read result over bytes already in memory: the whole file or the requested range of it. */
export function inMemory(stat: FileStat, bytes: Buffer, wanted: RangeSpec | undefined): ReadResult {
  const range = wanted ? resolveRange(wanted, bytes.length) : undefined
  const part = range ? bytes.subarray(range.start, range.end + 1) : bytes
  let body: Readable | undefined
  return {
    stat,
    range,
    bytes: part,
    // Made on first use only: the HTTP faces send `bytes` as they are, and a stream per small GET
    // was a good part of what each request allocated.
    get body() {
      body ??= Readable.from([part], { objectMode: false })
      return body
    },
  }
}
