import { describe, expect, it } from 'vitest'
import type { Principal } from '../../../src/config.js'
import { MountTable } from '../../../src/namespace/mount-table.js'
import { compileRules } from '../../../src/namespace/rules.js'
import { mount } from '../../helpers/mounts.js'

const alice = { principal: 'alice', groups: ['finance'] }
const bob = { principal: 'bob', groups: [] }

describe('mount rules', () => {
  it('lets the first matching entry decide, exclusions included', () => {
    const rules = compileRules(['!user:bob', 'group:finance', 'user:carol'] as Principal[])
    expect(rules.matches(alice)).toBe(true)
    expect(rules.matches(bob)).toBe(false)
    expect(rules.matches({ principal: 'carol' })).toBe(true)
    expect(rules.matches({ principal: 'dave', groups: ['staff'] })).toBe(false)
    expect(compileRules(['!group:finance', '*']).matches(alice)).toBe(false)
    expect(compileRules(['!group:finance', '*']).matches(bob)).toBe(true)
    expect(compileRules([]).matches(alice)).toBe(false)
    expect(compileRules(['*']).everyone).toBe(true)
  })

  it('never lets a malformed entry match everybody', () => {
    expect(compileRules(['role:admin']).matches({ principal: 'role' })).toBe(false)
    expect(compileRules([':x']).matches({ principal: '' })).toBe(false)
  })
})

describe('the mount table', () => {
  const table = new MountTable([
    mount('/', 'web'),
    mount('/partners', 'pure', { allow: ['user:alice'] }),
    mount('/teams/finance', 'pure', { root: 'finance', allow: ['group:finance'] }),
    mount('/teams/finance/public', 'pro', { allow: ['*'] }),
    mount('/archive', 'pro', { readOnly: true }),
  ])

  it('routes to the longest mount path, with the path below it', () => {
    expect(table.resolve('a/b.txt', alice)).toMatchObject({ kind: 'mount', inner: 'a/b.txt' })
    expect(table.resolve('partners/x/y', alice)).toMatchObject({
      kind: 'mount',
      mount: { upstream: 'pure', path: 'partners' },
      inner: 'x/y',
    })
    expect(table.resolve('partnersX', alice)).toMatchObject({
      kind: 'mount',
      mount: { path: '' },
      inner: 'partnersX',
    })
    expect(table.resolve('teams/finance', alice)).toMatchObject({ kind: 'mount', inner: '' })
    expect(table.resolve('teams/finance/public/f', bob)).toMatchObject({
      kind: 'mount',
      mount: { upstream: 'pro' },
    })
  })

  it('hides a mount from those its rules leave out, whatever the folder above holds', () => {
    expect(table.resolve('partners', bob)).toEqual({ kind: 'hidden' })
    expect(table.resolve('partners/x', bob)).toEqual({ kind: 'hidden' })
    expect(table.childrenOf('', bob)).toEqual(
      new Map([
        ['partners', false],
        ['teams', true],
        ['archive', true],
      ]),
    )
    expect(table.childrenOf('', alice).get('partners')).toBe(true)
    // bob sees teams only on the way to the public mount inside the finance one he may not see.
    expect(table.childrenOf('teams', bob)).toEqual(new Map([['finance', false]]))
  })

  it('makes folders above mounts virtual when no mount covers them', () => {
    const noRoot = new MountTable([mount('/a/b', 'x'), mount('/c', 'y', { allow: ['user:alice'] })])
    expect(noRoot.resolve('', bob)).toEqual({ kind: 'virtual' })
    expect(noRoot.resolve('a', bob)).toEqual({ kind: 'virtual' })
    expect(noRoot.resolve('c', bob)).toEqual({ kind: 'hidden' })
    expect(noRoot.resolve('zzz', alice)).toEqual({ kind: 'hidden' })
    expect(noRoot.childrenOf('', bob)).toEqual(
      new Map([
        ['a', true],
        ['c', false],
      ]),
    )
    expect(noRoot.trivial).toBe(false)
    expect(new MountTable([mount('/', 'x')]).trivial).toBe(true)
  })

  it('marks a mount read-only when its upstream is', () => {
    const t = new MountTable([mount('/', 'web'), mount('/ro', 'ro')], new Set(['ro']))
    const r = t.resolve('ro/x', alice)
    expect(r.kind === 'mount' && r.mount.readOnly).toBe(true)
  })
})
