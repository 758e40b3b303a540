/**
 * Dead properties in the shared store, per scope (the tree as the caller sees it, scope.ts): one
 * user's property never shows on another user's file of the same path. Each resource's properties
 * are one JSON value keyed by scope and path (`{ns}name` → the property element as standalone
 * XML), so a Depth 1 PROPFIND fetches all children with one MGET; an index hash per scope of paths
 * that have properties lets a move or delete of a directory find its descendants without scanning
 * keys.
 */
import { isWithin } from '../../files/paths.js'
import type { RelPath } from '../../files/types.js'
import type { Store } from '../../store/store.js'

/** Property key → standalone XML of the property element. */
export type PropertyBag = Record<string, string>

// The bag of every resource without dead properties (nearly all of them), shared and frozen.
const NO_PROPERTIES: PropertyBag = Object.freeze({})

/**
 * `{ns}name`, the key a property is stored and looked up by. A namespace URI may contain `}`, a
 * name never does: read keys back with splitExpandedName (xml.ts), which splits at the last `}`.
 */
export function propKey(ns: string, name: string): string {
  return `{${ns}}${name}`
}

/** The dead properties of one scope over a Store. Cheap to make per request. */
export class PropertyStore {
  readonly #index: string
  readonly #prefix: string

  constructor(
    private readonly store: Store,
    scope: string,
  ) {
    this.#index = `dav:propindex:${scope}`
    this.#prefix = `dav:props:${scope}:`
  }

  /** The properties of one resource. */
  async get(path: RelPath): Promise<PropertyBag> {
    const json = await this.store.get(this.#key(path))
    return json === null ? {} : (JSON.parse(json) as PropertyBag)
  }

  /** Properties of many resources in one round trip. */
  async getMany(paths: RelPath[]): Promise<PropertyBag[]> {
    if (paths.length === 0) return []
    const values = await this.store.mget(paths.map((p) => this.#key(p)))
    return values.map((v) => (v === null ? NO_PROPERTIES : (JSON.parse(v) as PropertyBag)))
  }

  /** Replaces a resource's whole bag (PROPPATCH computes it all-or-nothing first). */
  async put(path: RelPath, bag: PropertyBag): Promise<void> {
    if (Object.keys(bag).length === 0) {
      await this.store.del(this.#key(path))
      await this.store.hdel(this.#index, path)
      return
    }
    await this.store.set(this.#key(path), JSON.stringify(bag))
    await this.store.hset(this.#index, path, '1')
  }

  /** Drops the properties of `path` and everything below it. */
  async removeWithin(path: RelPath): Promise<void> {
    const paths = await this.pathsWithin(path)
    if (paths.length === 0) return
    await this.store.del(...paths.map((p) => this.#key(p)))
    await this.store.hdel(this.#index, ...paths)
  }

  /** Copies (or moves) the properties of `from` and, unless depth is 0, its descendants to `to`. */
  async transfer(
    from: RelPath,
    to: RelPath,
    options: { move: boolean; depth: 0 | 'infinity' },
  ): Promise<void> {
    // Whatever the target had is replaced along with it.
    await this.removeWithin(to)
    const paths =
      options.depth === 0
        ? (await this.store.hget(this.#index, from)) === null
          ? []
          : [from]
        : await this.pathsWithin(from)
    if (paths.length === 0) return
    const bags = await this.getMany(paths)
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i] as string
      const target = to + p.slice(from.length)
      await this.put(target, bags[i] as PropertyBag)
    }
    if (options.move) {
      await this.store.del(...paths.map((p) => this.#key(p)))
      await this.store.hdel(this.#index, ...paths)
    }
  }

  #key(path: RelPath): string {
    return `${this.#prefix}${path}`
  }

  private async pathsWithin(path: RelPath): Promise<string[]> {
    const index = await this.store.hgetall(this.#index)
    return Object.keys(index).filter((p) => isWithin(p, path))
  }
}
