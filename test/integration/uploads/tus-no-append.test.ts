/**
 * Upstreams without APPE, on the embedded server (its feature switches refuse the command with 502
 * as such servers do): a resumable upload then writes with REST + STOR, and is resumed that way
 * after a PATCH cut short; a server that refuses APPE and REST answers the creation with a clear
 * 501 naming why, and leaves nothing behind.
 */
import { createHash } from 'node:crypto'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FtpCommandEvent, onFtpCommand } from '../../../src/ftp/index.js'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { startServer, type TestServer } from '../../helpers/local-server.js'
import { hashFile, namesIn, openPatch, patternSlice, tus, tusMetadata } from '../../helpers/tus.js'
import { waitFor } from '../../helpers/wait-for.js'

const MiB = 1024 * 1024
const auth = basicAuth('demo', 'demo')

describe('an upstream without APPE', () => {
  let ftp: TestServer
  let gw: GatewayHandle
  const commands: FtpCommandEvent[] = []
  let unsubscribe: () => void

  beforeAll(async () => {
    ftp = await startServer({ features: { appe: false } })
    gw = await startGateway({ host: '127.0.0.1', port: ftp.port })
    unsubscribe = onFtpCommand((e) => commands.push(e))
  })
  afterAll(async () => {
    unsubscribe?.()
    await gw?.close()
    await ftp?.stop()
  })

  it('resumes with REST + STOR after a PATCH cut short', async () => {
    const size = 5 * MiB
    const created = await tus(`${gw.url}/api/v1/uploads/`, 'POST', {
      authorization: auth,
      'upload-length': String(size),
      'upload-metadata': tusMetadata({ path: 'dir/rest.bin' }),
    })
    expect(created.status).toBe(201)
    const url = `${gw.url}${created.headers.get('location')}`
    // The probe found APPE refused (502) at creation.
    expect(commands.some((c) => c.command === 'APPE' && c.code === 502)).toBe(true)

    // A PATCH that sends 3 MiB of its 5 and then loses its connection.
    const { req } = openPatch(url, auth, size)
    req.on('error', () => undefined)
    req.write(patternSlice(0, 3 * MiB))
    const partial = async () => (await namesIn(path.join(ftp.root, 'dir'))).find((n) => n.endsWith('.part'))
    const partialSize = async () => {
      const name = await partial()
      return name === undefined
        ? 0
        : (await import('node:fs/promises')).stat(path.join(ftp.root, 'dir', name)).then((s) => s.size)
    }
    expect(
      await waitFor(async () => (await partialSize()) >= 2 * MiB, 10_000),
      'bytes reached the server',
    ).toBe(true)
    req.destroy()

    // Once the gateway has noticed, HEAD says where to go on from; the rest goes with REST + STOR.
    let offset = 0
    expect(
      await waitFor(async () => {
        const head = await tus(url, 'HEAD', { authorization: auth })
        offset = Number(head.headers.get('upload-offset'))
        const r = await tus(
          url,
          'PATCH',
          {
            authorization: auth,
            'content-type': 'application/offset+octet-stream',
            'upload-offset': String(offset),
          },
          patternSlice(offset, size),
        )
        return r.status === 204
      }, 10_000),
      'resumed',
    ).toBe(true)
    expect(offset).toBeGreaterThan(0)
    const rests = commands.filter((c) => c.command === 'REST' && c.code === 350)
    expect(rests.length).toBeGreaterThan(0)
    expect(await hashFile(path.join(ftp.root, 'dir', 'rest.bin'))).toBe(
      createHash('sha256').update(patternSlice(0, size)).digest('hex'),
    )
    expect((await namesIn(path.join(ftp.root, 'dir'))).filter((n) => n.includes('rest'))).toEqual([
      'rest.bin',
    ])
  })
})

describe('an upstream with neither APPE nor REST', () => {
  let ftp: TestServer
  let gw: GatewayHandle

  beforeAll(async () => {
    ftp = await startServer({ features: { appe: false, rest: false } })
    gw = await startGateway({ host: '127.0.0.1', port: ftp.port })
  })
  afterAll(async () => {
    await gw?.close()
    await ftp?.stop()
  })

  it('answers the creation with 501 naming why, and leaves no partial file', async () => {
    const before = await namesIn(path.join(ftp.root, 'dir'))
    const r = await tus(`${gw.url}/api/v1/uploads/`, 'POST', {
      authorization: auth,
      'upload-length': '10',
      'upload-metadata': tusMetadata({ path: 'dir/never.bin' }),
    })
    expect(r.status).toBe(501)
    const body = (await r.json()) as { code: string; detail: string }
    expect(body.code).toBe('FILE_ERR_NOT_SUPPORTED')
    expect(await namesIn(path.join(ftp.root, 'dir'))).toEqual(before)
    // A plain PUT still works there.
    const put = await fetch(`${gw.url}/api/v1/files/dir/never.bin`, {
      method: 'PUT',
      headers: { authorization: auth },
      body: 'plain',
    })
    expect(put.status).toBe(201)
  })
})
