/**
 * Which socket peers TRUST_PROXY names as the deployment's own proxies, for rules that look at the
 * TCP peer rather than the client behind it (the per-address connection cap, connections.ts). A
 * hop count means only the proxy can reach the gateway, so every peer is one; a list names them
 * (addresses, CIDRs, and proxy-addr's `loopback`, `linklocal`, `uniquelocal`).
 */
import { BlockList, isIP } from 'node:net'
import type { TrustProxy } from '../config.js'

/** The ranges behind proxy-addr's names, which TRUST_PROXY accepts. */
const NAMED_RANGES: Record<string, Array<[string, number]>> = {
  loopback: [
    ['127.0.0.1', 8],
    ['::1', 128],
  ],
  linklocal: [
    ['169.254.0.0', 16],
    ['fe80::', 10],
  ],
  uniquelocal: [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['fc00::', 7],
  ],
}

/** A test of a socket peer address, or undefined when TRUST_PROXY names no proxy. */
export function trustedPeers(trust: TrustProxy): ((address: string) => boolean) | undefined {
  if (trust === false) return undefined
  if (typeof trust === 'number') return () => true
  const list = new BlockList()
  const add = (address: string, bits: number) => {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    list.addSubnet(address, bits, family)
  }
  for (const item of trust) {
    const named = NAMED_RANGES[item]
    if (named) for (const [address, bits] of named) add(address, bits)
    else {
      const [address = '', bits] = item.split('/')
      add(address, bits === undefined ? (isIP(address) === 6 ? 128 : 32) : Number(bits))
    }
  }
  return (address) => {
    const family = isIP(address)
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4')
  }
}
