/**
 * TRUST_PROXY's proxies are exempt from the per-address connection cap: behind a load balancer
 * every connection comes from it, and capping it would cap the whole site.
 */
import { EventEmitter } from 'node:events'
import type { Server, Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { guardConnections } from '../../../src/http/connections.js'
import { trustedPeers } from '../../../src/http/trusted-peers.js'

describe('trustedPeers', () => {
  it('names no peer without TRUST_PROXY and every peer with a hop count', () => {
    expect(trustedPeers(false)).toBeUndefined()
    expect(trustedPeers(1)?.('203.0.113.9')).toBe(true)
  })

  it('matches addresses, CIDRs and the named ranges, IPv4-mapped IPv6 included', () => {
    const trusted = trustedPeers(['10.1.2.3', '192.0.2.0/24', '2001:db8::/32', 'loopback']) as (
      a: string,
    ) => boolean
    for (const a of ['10.1.2.3', '::ffff:10.1.2.3', '192.0.2.200', '2001:db8::5', '127.0.0.1', '::1'])
      expect(trusted(a), a).toBe(true)
    for (const a of ['10.1.2.4', '192.0.3.1', '2001:db9::1', '', 'not-an-address'])
      expect(trusted(a), a).toBe(false)
    const local = trustedPeers(['uniquelocal', 'linklocal']) as (a: string) => boolean
    expect(['172.20.0.1', '192.168.1.1', 'fd00::1', '169.254.1.1', 'fe80::1'].map(local)).toEqual(
      Array(5).fill(true),
    )
    expect(local('8.8.8.8')).toBe(false)
  })
})

describe('guardConnections with exempt peers', () => {
  function fakeSocket(address: string) {
    const s = new EventEmitter() as EventEmitter & {
      remoteAddress: string
      destroyed: boolean
      destroy(): void
    }
    s.remoteAddress = address
    s.destroyed = false
    s.destroy = () => {
      s.destroyed = true
    }
    return s
  }

  it('caps ordinary peers and lets the proxy through', () => {
    const server = new EventEmitter()
    const stats = guardConnections(server as unknown as Server, {
      maxPerAddress: 2,
      exempt: trustedPeers(['10.0.0.1']),
    })
    const proxy = Array.from({ length: 5 }, () => fakeSocket('10.0.0.1'))
    const client = Array.from({ length: 3 }, () => fakeSocket('198.51.100.7'))
    for (const s of [...proxy, ...client]) server.emit('connection', s as unknown as Socket)
    expect(proxy.map((s) => s.destroyed)).toEqual([false, false, false, false, false])
    expect(client.map((s) => s.destroyed)).toEqual([false, false, true])
    expect(stats.refused).toBe(1)
  })
})
