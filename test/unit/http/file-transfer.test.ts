/**
 * The one download and upload path (src/http/file-transfer.ts) on the fake file service, through
 * a recording sink: what both faces send is decided here, so it is tested once.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { identityOf } from '../../../src/auth/types.js'
import { FileError } from '../../../src/files/errors.js'
import { type DownloadRequest, download, type TransferSink, upload } from '../../../src/http/file-transfer.js'
import { FakeFileService } from '../../helpers/fake-file-service.js'

const who = identityOf('alice', 'secret')

/** A sink that records what a face would have sent; `gone` says whether the client left. */
function recorder(gone = false) {
  const out = {
    status: undefined as number | undefined,
    headers: {} as Record<string, string | number>,
    body: undefined as Buffer | Readable | undefined,
  }
  const sink: TransferSink = {
    header: (name, value) => {
      out.headers[name] = value
    },
    send: (status, body) => {
      out.status = status
      out.body = body
    },
    gone: () => gone,
  }
  return { out, sink }
}

async function text(body: Buffer | Readable | undefined): Promise<string> {
  if (body === undefined) return ''
  if (Buffer.isBuffer(body)) return body.toString()
  const chunks: Buffer[] = []
  for await (const c of body) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString()
}

function setup() {
  const files = new FakeFileService()
  files.putFile('docs/a.txt', '0123456789', new Date('2024-01-01T00:00:00Z'))
  files.putDir('docs/sub')
  files.calls.length = 0
  const request = (
    method: string,
    headers: IncomingHttpHeaders = {},
    path = 'docs/a.txt',
    extra: Partial<DownloadRequest> = {},
  ): DownloadRequest => ({
    who,
    path,
    method,
    headers,
    stat: () => files.stat(who, path),
    directory: async () => {
      throw new FileError('FILE_ERR_CONFLICT', 'directory', { reason: 'is-directory' })
    },
    ...extra,
  })
  return { files, request }
}

describe('download', () => {
  it('GET: 200 with validators, Accept-Ranges, user-content headers and the length', async () => {
    const { files, request } = setup()
    const { out, sink } = recorder()
    await download(files, request('GET'), sink)
    expect(out.status).toBe(200)
    expect(out.headers).toMatchObject({
      etag: expect.stringMatching(/^"/),
      'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT',
      'accept-ranges': 'bytes',
      'content-length': 10,
      'x-content-type-options': 'nosniff',
    })
    expect(await text(out.body)).toBe('0123456789')
  })

  it('HEAD sends the headers and never opens a transfer', async () => {
    const { files, request } = setup()
    const { out, sink } = recorder()
    await download(files, request('HEAD', { range: 'bytes=oops' }), sink)
    expect(out).toMatchObject({ status: 200, body: undefined })
    expect(out.headers['content-length']).toBe(10)
    expect(files.callsOf('read')).toHaveLength(0)
  })

  it('a range: 206 with Content-Range; a stale If-Range sends everything', async () => {
    const { files, request } = setup()
    const { out, sink } = recorder()
    await download(files, request('GET', { range: 'bytes=2-4' }), sink)
    expect(out.status).toBe(206)
    expect(out.headers).toMatchObject({ 'content-range': 'bytes 2-4/10', 'content-length': 3 })
    expect(await text(out.body)).toBe('234')
    const stale = recorder()
    await download(files, request('GET', { range: 'bytes=2-4', 'if-range': '"other"' }), stale.sink)
    expect(stale.out.status).toBe(200)
    expect(await text(stale.out.body)).toBe('0123456789')
  })

  it('a malformed Range is refused before any file operation', async () => {
    const { files, request } = setup()
    await expect(download(files, request('GET', { range: 'bytes' }), recorder().sink)).rejects.toMatchObject({
      code: 'GW_ERR_BAD_RANGE',
    })
    expect(files.calls).toHaveLength(0)
  })

  it('If-None-Match with the current ETag: 304 without a body, no transfer', async () => {
    const { files, request } = setup()
    const etag = (await files.stat(who, 'docs/a.txt')).etag
    const { out, sink } = recorder()
    await download(files, request('GET', { 'if-none-match': etag }), sink)
    expect(out.status).toBe(304)
    expect(out.body).toBeUndefined()
    expect(out.headers['content-length']).toBeUndefined()
    expect(files.callsOf('read')).toHaveLength(0)
  })

  it('attachment adds Content-Disposition', async () => {
    const { files, request } = setup()
    const { out, sink } = recorder()
    await download(files, request('GET', {}, 'docs/a.txt', { attachment: true }), sink)
    expect(String(out.headers['content-disposition'])).toMatch(/^attachment/)
  })

  it("a directory is the face's business", async () => {
    const { files, request } = setup()
    let seen: string | undefined
    const { out, sink } = recorder()
    await download(
      files,
      request('GET', {}, 'docs/sub', {
        directory: async (stat) => {
          seen = stat.path
        },
      }),
      sink,
    )
    expect(seen).toBe('docs/sub')
    expect(out.status).toBeUndefined()
  })

  it('a client that left while the transfer opened: the body is destroyed, nothing is sent', async () => {
    const { files, request } = setup()
    const { out, sink } = recorder(true)
    await download(files, request('GET'), sink)
    expect(out.status).toBeUndefined()
    await expect.poll(() => files.destroyedBodies.length).toBe(1)
  })
})

describe('upload', () => {
  it('parses the headers into write options, sets the ETag and X-OC-Mtime: accepted', async () => {
    const { files } = setup()
    const { out, sink } = recorder()
    const result = await upload(
      files,
      {
        who,
        path: 'docs/new.txt',
        headers: { 'content-length': '3', 'if-none-match': '*', 'x-oc-mtime': '1700000000' },
        body: Readable.from([Buffer.from('abc')]),
      },
      sink,
    )
    expect(result.created).toBe(true)
    expect(files.callsOf('write')[0]?.args[0]).toEqual({
      ifNoneMatch: '*',
      mtime: new Date(1_700_000_000_000),
      expectedLength: 3,
    })
    expect(out.headers).toEqual({ etag: expect.stringMatching(/^"/), 'x-oc-mtime': 'accepted' })
  })

  it('no X-OC-MTime: accepted when the server did not keep the time (the file is written)', async () => {
    const { files } = setup()
    files.keepsTimes = false
    const { out, sink } = recorder()
    const result = await upload(
      files,
      {
        who,
        path: 'docs/kept-not.txt',
        headers: { 'content-length': '3', 'x-oc-mtime': '1700000000' },
        body: Readable.from([Buffer.from('abc')]),
      },
      sink,
    )
    expect(result).toMatchObject({ created: true, mtimeApplied: false })
    expect(out.headers).toEqual({ etag: expect.stringMatching(/^"/) })
  })

  it('?mtime= alone sets the time without X-OC-Mtime: accepted', async () => {
    const { files } = setup()
    const { out, sink } = recorder()
    await upload(
      files,
      { who, path: 'docs/a.txt', headers: {}, body: Readable.from([]), mtimeQuery: '1700000000' },
      sink,
    )
    expect(files.callsOf('write')[0]?.args[0]).toEqual({ mtime: new Date(1_700_000_000_000) })
    expect(out.headers['x-oc-mtime']).toBeUndefined()
  })

  it('X-Expected-Entity-Length counts only when the face asks for it', async () => {
    const { files } = setup()
    const headers = { 'x-expected-entity-length': '3' }
    const body = () => Readable.from([Buffer.from('abc')])
    await upload(files, { who, path: 'docs/b', headers, body: body() }, recorder().sink)
    await upload(
      files,
      { who, path: 'docs/c', headers, body: body(), expectedEntityLength: true },
      recorder().sink,
    )
    expect(files.callsOf('write').map((c) => c.args[0])).toEqual([{}, { expectedLength: 3 }])
  })

  it('a malformed header is refused before beforeWrite and before any file operation', async () => {
    const { files } = setup()
    let checked = false
    const run = upload(
      files,
      {
        who,
        path: 'docs/a.txt',
        headers: { 'content-md5': 'not base64!' },
        body: Readable.from([]),
        beforeWrite: () => {
          checked = true
        },
      },
      recorder().sink,
    )
    await expect(run).rejects.toMatchObject({ code: 'GW_ERR_BAD_HEADER' })
    expect(checked).toBe(false)
    expect(files.calls).toHaveLength(0)
  })

  it('beforeWrite can refuse the write (the lock check) before the upstream is touched', async () => {
    const { files } = setup()
    const refusal = new Error('locked')
    const run = upload(
      files,
      {
        who,
        path: 'docs/a.txt',
        headers: {},
        body: Readable.from([]),
        beforeWrite: () => {
          throw refusal
        },
      },
      recorder().sink,
    )
    await expect(run).rejects.toBe(refusal)
    expect(files.calls).toHaveLength(0)
  })

  it('a directory at the name is a conflict with reason is-directory', async () => {
    const { files } = setup()
    const run = upload(
      files,
      { who, path: 'docs/sub', headers: {}, body: Readable.from([]) },
      recorder().sink,
    )
    await expect(run).rejects.toMatchObject({ code: 'FILE_ERR_CONFLICT', reason: 'is-directory' })
  })
})
