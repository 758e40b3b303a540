/**
 * The tree over two in-memory file services: routing, rules before any call, identities per
 * upstream, failed cross-server copies leaving nothing behind. (The real servers: the estate tests.)
 */
import { describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { FileError } from '../../../src/files/errors.js'
import type { Identity } from '../../../src/files/types.js'
import { MountTable } from '../../../src/namespace/mount-table.js'
import { TreeFileService } from '../../../src/namespace/tree-service.js'
import type { UpstreamBinding } from '../../../src/namespace/types.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'
import { mount } from '../../helpers/mounts.js'
import { readAll } from '../../helpers/streams.js'

function binding(name: string, files: FakeFileService, service?: Identity): UpstreamBinding {
  return { name, files, serviceIdentity: service, id: name, dropUserSessions: async () => undefined }
}

function setup() {
  const a = new FakeFileService()
  const b = new FakeFileService()
  a.putFile('home.txt', 'at home')
  b.putFile('deep/report.txt', 'the report')
  const svc = identityOf('svc', 'svc-pw')
  const tree = new TreeFileService({
    table: new MountTable([
      mount('/', 'a'),
      mount('/b', 'b', { root: 'deep', allow: ['user:alice', 'user:carol'], write: ['user:alice'] }),
    ]),
    upstreams: new Map([
      ['a', binding('a', a)],
      ['b', binding('b', b, svc)],
    ]),
  })
  return { a, b, tree, svc }
}

const alice = identityOf('alice', 'pw')
const bob = identityOf('bob', 'pw')
const carol = identityOf('carol', 'pw')

describe('the tree', () => {
  it('routes into the mount root and maps paths back', async () => {
    const { b, tree } = setup()
    const st = await tree.stat(alice, 'b/report.txt')
    expect(st).toMatchObject({ path: 'b/report.txt', name: 'report.txt', type: 'file' })
    expect(b.callsOf('stat').map((c) => c.path)).toEqual(['deep/report.txt'])
    const read = await tree.read(alice, 'b/report.txt')
    expect((await readAll(read.body)).toString()).toBe('the report')
    const page = await tree.list(alice, '')
    expect(page.entries.map((e) => e.name)).toEqual(['b', 'home.txt'])
  })

  it('reaches an upstream with a service account as that account, the person kept as principal', async () => {
    const { tree, svc } = setup()
    // The view names each upstream with the account used there: alice's own on a, svc on b.
    expect(tree.viewOf(alice)).toBe(`a\0alice\0b\0${svc.user}`)
    expect(tree.viewOf(bob)).toBe(`a\0bob\0b\0${svc.user}`)
  })

  it('checks the rules before calling any upstream', async () => {
    const { b, tree } = setup()
    await expect(tree.stat(bob, 'b/report.txt')).rejects.toMatchObject({ code: 'FILE_ERR_NOT_FOUND' })
    await expect(tree.delete(carol, 'b/report.txt')).rejects.toMatchObject({ code: 'FILE_ERR_READ_ONLY' })
    await expect(tree.rmdir(alice, 'b', { recursive: true })).rejects.toMatchObject({
      code: 'FILE_ERR_READ_ONLY',
    })
    expect(() => tree.assertMayChange(carol, 'b/x')).toThrow(FileError)
    expect(() => tree.assertMayChange(alice, 'b/x')).not.toThrow()
    expect(b.calls).toEqual([])
    expect((await tree.list(bob, '')).entries.map((e) => e.name)).toEqual(['home.txt'])
  })

  it('turns one upstream refusing the login into a 403 for its mounts only', async () => {
    const { b, tree } = setup()
    b.failNext('stat', new FileError('FILE_ERR_UNAUTHORIZED', 'refused'))
    await expect(tree.stat(alice, 'b/report.txt')).rejects.toMatchObject({ code: 'FILE_ERR_FORBIDDEN' })
    expect((await tree.stat(alice, 'home.txt')).type).toBe('file')
  })

  it('leaves the source whole and nothing at the destination when a copy between servers fails midway', async () => {
    const { a, b, tree } = setup()
    a.putFile('big.bin', Buffer.alloc(4096, 1))
    a.failReadAfter = { bytes: 1024, error: new FileError('FILE_ERR_UPSTREAM', 'cut') }
    await expect(tree.move(alice, 'big.bin', 'b/big.bin')).rejects.toBeInstanceOf(FileError)
    expect(a.exists('big.bin')).toBe(true)
    expect(b.exists('deep/big.bin')).toBe(false)
    a.failReadAfter = undefined
    await tree.move(alice, 'big.bin', 'b/big.bin')
    expect(a.exists('big.bin')).toBe(false)
    expect(b.content('deep/big.bin')?.length).toBe(4096)
  })

  it('copies a folder between servers whole, under a hidden name first', async () => {
    const { a, b, tree } = setup()
    a.putFile('dir/one.txt', '1')
    a.putFile('dir/sub/two.txt', '2')
    await tree.copy(alice, 'dir', 'b/dir')
    expect(b.content('deep/dir/sub/two.txt')?.toString()).toBe('2')
    expect(b.callsOf('mkdir')[0]?.path).toMatch(/^deep\/\.dir\.ftpgw-[0-9a-f]+\.part$/)
    await expect(tree.copy(alice, 'dir', 'b/dir')).rejects.toMatchObject({ code: 'FILE_ERR_EXISTS' })
  })
})

describe('mapped upstreams', () => {
  function mappedTree() {
    const m = new FakeFileService()
    m.putFile('mine.txt', 'mine')
    const tree = new TreeFileService({
      table: new MountTable([mount('/m', 'm')]),
      upstreams: new Map([['m', { ...binding('m', m), credentials: 'mapped' as const }]]),
    })
    return { m, tree }
  }

  it('run as the linked account, and refuse an unlinked person before any call', async () => {
    const { m, tree } = mappedTree()
    const seen: string[] = []
    const read = m.read.bind(m)
    m.read = (who, p, o) => {
      seen.push(who.user)
      return read(who, p, o)
    }
    const own = identityOf('ftp-alice', 'pw', 'alice')
    const linked = { ...alice, linked: new Map([['m', own]]) }
    expect((await readAll((await tree.read(linked, 'm/mine.txt')).body)).toString()).toBe('mine')
    expect(seen).toEqual(['ftp-alice'])
    const calls = m.calls.length
    await expect(tree.read(alice, 'm/mine.txt')).rejects.toMatchObject({ code: 'AUTH_ERR_NOT_LINKED' })
    expect(m.calls.length).toBe(calls)
    expect(tree.accountsOf(alice)).toEqual([{ name: 'm', credentials: 'mapped', linked: false }])
    expect(tree.accountsOf(linked)).toEqual([{ name: 'm', credentials: 'mapped', linked: true }])
    expect(tree.credentialsOf('m')).toBe('mapped')
    expect(tree.credentialsOf('nope')).toBeUndefined()
    // The store could not say (an outage): 503, not "not linked".
    await expect(tree.read({ ...alice, linkedUnavailable: true }, 'm/mine.txt')).rejects.toMatchObject({
      code: 'FILE_ERR_UNAVAILABLE',
    })
    expect(m.calls.length).toBe(calls)
  })

  it('never take passthrough logins (verifyLogin tries no mapped upstream)', async () => {
    const { m, tree } = mappedTree()
    await tree.verifyLogin(alice)
    expect(m.callsOf('verifyLogin')).toEqual([])
  })
})
