/**
 * Mount access rules: `allow` (who may see a mount) and `write` (who may change it), each a list of
 * `*`, `user:NAME`, `group:NAME`, optionally prefixed with `!` to exclude. The first entry that
 * matches decides; no match means no. Users are matched by the person (`Identity.principal`), never
 * by the shared FTP account, so a service account does not make everyone the same user.
 */
import type { Identity } from '../files/types.js'

/** One parsed rule entry. */
interface Rule {
  exclude: boolean
  kind: 'any' | 'user' | 'group'
  name: string
}

/** A compiled rule list. */
export interface RuleList {
  /** True when the list lets everyone through (`*` first): the fast path skips matching. */
  readonly everyone: boolean
  matches(who: Pick<Identity, 'principal' | 'groups'>): boolean
}

function parse(entry: string): Rule {
  const exclude = entry.startsWith('!')
  const body = exclude ? entry.slice(1) : entry
  if (body === '*') return { exclude, kind: 'any', name: '' }
  const colon = body.indexOf(':')
  const kind = body.slice(0, colon)
  // The config loader validates entries; anything else matches nobody rather than everybody.
  if (colon < 1 || (kind !== 'user' && kind !== 'group')) return { exclude: false, kind: 'user', name: '\0' }
  return { exclude, kind, name: body.slice(colon + 1) }
}

/** Compiles a rule list once (per mount, per config). */
export function compileRules(entries: readonly string[]): RuleList {
  const rules = entries.map(parse)
  const first = rules[0]
  const everyone = first !== undefined && first.kind === 'any' && !first.exclude
  return {
    everyone,
    matches(who) {
      if (everyone) return true
      for (const r of rules) {
        const hit =
          r.kind === 'any' ||
          (r.kind === 'user' && who.principal === r.name) ||
          (r.kind === 'group' && (who.groups?.includes(r.name) ?? false))
        if (hit) return !r.exclude
      }
      return false
    },
  }
}
