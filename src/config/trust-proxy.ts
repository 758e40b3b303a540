/**
 * TRUST_PROXY: which peers' X-Forwarded-For/-Proto/-Host are believed. Only configured hops are
 * trusted: X-Forwarded-For is a list anyone can prepend to, so "trust every hop" (the old boolean
 * `true`) let a client pick its own address and spend unlimited login guesses.
 */
import { isIP } from 'node:net'

/** Parsed TRUST_PROXY: no proxy, a hop count, or the trusted proxies' addresses/CIDRs. */
export type TrustProxy = false | number | readonly string[]

/** Names proxy-addr expands to address ranges; accepted in a TRUST_PROXY list. */
const TRUST_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])
const MAX_TRUST_HOPS = 10

/**
 * Reads TRUST_PROXY. Only configured hops are trusted: X-Forwarded-For is a list anyone can
 * prepend to, so "trust every hop" (the old boolean `true`) let a client pick its own address.
 * `true`/`yes` is still accepted, as exactly one hop (what the shipped compose and Kubernetes
 * setups have: one balancer), with a warning to say so; refusing it would stop existing
 * deployments from starting after an upgrade, and the one-hop reading is safe for them.
 */
export function parseTrustProxy(raw: string | undefined): {
  value: TrustProxy
  problem?: string
  warning?: string
} {
  const text = raw?.trim().toLowerCase()
  if (text === undefined || text === '' || ['false', 'no', '0'].includes(text)) return { value: false }
  if (['true', 'yes'].includes(text)) {
    return {
      value: 1,
      warning:
        "TRUST_PROXY=true is read as TRUST_PROXY=1 (trust one proxy hop); set the hop count or the proxies' addresses/CIDRs explicitly",
    }
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text)
    if (hops <= MAX_TRUST_HOPS) return { value: hops }
  }
  const items = text.split(',').map((item) => item.trim())
  if (items.every((item) => TRUST_RANGE_NAMES.has(item) || isAddressOrCidr(item))) return { value: items }
  return {
    value: false,
    problem: `TRUST_PROXY must be false, a hop count from 1 to ${MAX_TRUST_HOPS}, or a comma list of proxy addresses/CIDRs (got ${JSON.stringify(raw)})`,
  }
}

function isAddressOrCidr(item: string): boolean {
  const slash = item.indexOf('/')
  if (slash < 0) return isIP(item) !== 0
  const family = isIP(item.slice(0, slash))
  const bits = item.slice(slash + 1)
  return family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

/** The spec's parser for TRUST_PROXY (the legacy `true` reads as one hop; see trustProxyWarning). */
export function trustProxySetting(
  raw: unknown,
  name: string,
): { ok: true; value: TrustProxy } | { ok: false; problem: string } {
  if (typeof raw === 'boolean') return { ok: true, value: raw ? 1 : false }
  if (typeof raw === 'number') raw = String(raw)
  const parsed = parseTrustProxy(typeof raw === 'string' ? raw : undefined)
  if (parsed.problem) return { ok: false, problem: parsed.problem.replace(/^TRUST_PROXY/, name) }
  return { ok: true, value: parsed.value }
}

/** The start-up warning for a TRUST_PROXY value that means less than it says (`true`). */
export function trustProxyWarning(raw: string | undefined): string | undefined {
  return raw === undefined ? undefined : parseTrustProxy(raw).warning
}

/**
 * The start-up warning for a shared store (several instances, so most likely a load balancer in
 * front) with TRUST_PROXY off: every client then has the balancer's address, and the first client
 * to reach a failed-login limit bans them all.
 */
export const BANS_WITHOUT_TRUST_PROXY =
  "TRUST_PROXY is off with a shared store: behind a load balancer every client has the balancer's address, so one client's failed logins ban every client (BAN_BASE_SECONDS); set TRUST_PROXY to the hop count or the balancer addresses"
