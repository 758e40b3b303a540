/**
 * tus at /api/v1/uploads/ against real vsftpd and Pure-FTPd with the real Redis: the protocol end to
 * end (creation, HEAD, PATCH, completion, termination, creation-with-upload, checksums), every bad
 * input of issue 19 (clear 4xx, nothing written, no FTP command where none is needed, the process
 * still serving), the creation's PUT-like checks, a second concurrent PATCH refused, and hidden
 * partial files never listed.
 */
import { createHash } from 'node:crypto'
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type FtpCommandEvent, onFtpCommand } from '../../../src/ftp/index.js'
import { run } from '../../helpers/client-tools.js'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import {
  type FtpServerHandle,
  startPureFtpd,
  startVsftpd,
  type VsftpdHandle,
} from '../../helpers/servers/index.js'
import { hashFile, namesIn, openPatch, patternSlice, tus, tusMetadata } from '../../helpers/tus.js'
import { waitFor } from '../../helpers/wait-for.js'

const MiB = 1024 * 1024
const MAX = 64 * MiB

const kinds = [
  {
    name: 'vsftpd',
    start: () =>
      startVsftpd({
        users: [
          { name: 'ftpgw-tus-other', password: 'other-pw-1' },
          { name: 'ftpgw-tus-ro', password: 'read-only-pw-1', readOnly: true },
        ],
      }),
  },
  { name: 'pure-ftpd', start: () => startPureFtpd() },
] as const

describe.each(kinds)('tus on $name', (kind) => {
  let server: FtpServerHandle
  let gw: GatewayHandle
  let auth: string
  let endpoint: string
  const commands: FtpCommandEvent[] = []
  let unsubscribe: () => void

  beforeAll(async () => {
    server = await kind.start()
    gw = await startGateway(server, { UPLOAD_MAX_BYTES: String(MAX) })
    auth = basicAuth(server.user, server.password)
    endpoint = `${gw.url}/api/v1/uploads/`
    await mkdir(path.join(server.root, 'docs'))
    await chown(path.join(server.root, 'docs'), server.uid, server.gid)
    unsubscribe = onFtpCommand((e) => commands.push(e))
  })
  afterAll(async () => {
    unsubscribe?.()
    await gw?.close()
    await server?.stop()
  })
  afterEach(async () => {
    // Whatever a test did, the process still serves.
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200)
  })

  const docs = () => path.join(server.root, 'docs')

  async function create(file: string, length: number, extra: Record<string, string> = {}): Promise<string> {
    const r = await tus(endpoint, 'POST', {
      authorization: auth,
      'upload-length': String(length),
      'upload-metadata': tusMetadata({ path: file, filename: path.basename(file) }),
      ...extra,
    })
    expect(r.status, await r.clone().text()).toBe(201)
    expect(r.headers.get('tus-resumable')).toBe('1.0.0')
    // A complete upload (length 0) expires no more.
    if (length > 0) expect(r.headers.get('upload-expires')).toMatch(/GMT$/)
    const location = r.headers.get('location')
    expect(location).toMatch(/^\/api\/v1\/uploads\/[A-Za-z0-9_-]{24}$/)
    return `${gw.url}${location}`
  }

  function patch(url: string, offset: number, body: Buffer, extra: Record<string, string | undefined> = {}) {
    return tus(
      url,
      'PATCH',
      {
        authorization: auth,
        'content-type': 'application/offset+octet-stream',
        'upload-offset': String(offset),
        ...extra,
      },
      body,
    )
  }

  async function offsetOf(url: string): Promise<number> {
    const r = await tus(url, 'HEAD', { authorization: auth })
    expect(r.status).toBe(200)
    expect(r.headers.get('cache-control')).toBe('no-store')
    return Number(r.headers.get('upload-offset'))
  }

  /** Runs `fn` and returns the FTP commands it caused. */
  async function ftpDuring(fn: () => Promise<void>): Promise<string[]> {
    const from = commands.length
    await fn()
    return commands.slice(from).map((c) => c.command)
  }

  async function problem(r: Response, status: number, code: string): Promise<void> {
    expect(r.status).toBe(status)
    expect(r.headers.get('tus-resumable')).toBe('1.0.0')
    expect(((await r.json()) as { code: string }).code).toBe(code)
  }

  it('discovery: OPTIONS names the version, extensions, limit and checksums', async () => {
    const r = await fetch(endpoint, { method: 'OPTIONS' })
    expect(r.status).toBe(204)
    expect(r.headers.get('tus-version')).toBe('1.0.0')
    expect(r.headers.get('tus-extension')).toBe(
      'creation,creation-with-upload,termination,expiration,checksum',
    )
    expect(r.headers.get('tus-max-size')).toBe(String(MAX))
    expect(r.headers.get('tus-checksum-algorithm')).toBe('sha1,md5')
  })

  it('uploads in PATCHes to a hidden partial file, never listed, renamed into place on the last byte', async () => {
    const size = 3 * MiB + 123
    const url = await create('/docs/whole.bin', size)
    expect(await offsetOf(url)).toBe(0)
    expect((await patch(url, 0, patternSlice(0, MiB))).headers.get('upload-offset')).toBe(String(MiB))
    // The partial is on the server under a hidden name, and no listing shows it.
    const onDisk = await namesIn(docs())
    expect(onDisk.filter((n) => /^\.whole\.bin\.ftpgw-[0-9a-f]{12}\.part$/.test(n))).toHaveLength(1)
    const listing = await fetch(`${gw.url}/api/v1/dirs/docs`, { headers: { authorization: auth } })
    expect(
      ((await listing.json()) as { entries: Array<{ name: string }> }).entries.map((e) => e.name),
    ).not.toContain(onDisk.find((n) => n.startsWith('.whole')))
    expect(await offsetOf(url)).toBe(MiB)
    const last = await patch(url, MiB, patternSlice(MiB, size))
    expect(last.status).toBe(204)
    expect(last.headers.get('upload-offset')).toBe(String(size))
    expect(await hashFile(path.join(docs(), 'whole.bin'))).toBe(
      createHash('sha256').update(patternSlice(0, size)).digest('hex'),
    )
    expect((await namesIn(docs())).filter((n) => n.includes('whole'))).toEqual(['whole.bin'])
    // A client whose last answer was lost asks again: the upload is complete.
    expect(await offsetOf(url)).toBe(size)
    expect((await patch(url, size, Buffer.alloc(0))).status).toBe(204)
  })

  it('replaces an existing file only on the last byte (the old one stays whole until then)', async () => {
    await writeFile(path.join(docs(), 'old.txt'), 'the old content')
    await chown(path.join(docs(), 'old.txt'), server.uid, server.gid)
    const url = await create('/docs/old.txt', 2 * MiB)
    await patch(url, 0, patternSlice(0, MiB))
    expect(await readFile(path.join(docs(), 'old.txt'), 'utf8')).toBe('the old content')
    await patch(url, MiB, patternSlice(MiB, 2 * MiB))
    expect((await stat(path.join(docs(), 'old.txt'))).size).toBe(2 * MiB)
  })

  it('creation-with-upload takes the first bytes with the POST', async () => {
    const r = await tus(
      endpoint,
      'POST',
      {
        authorization: auth,
        'upload-length': String(2 * MiB),
        'upload-metadata': tusMetadata({ path: 'docs/cwu.bin' }),
        'content-type': 'application/offset+octet-stream',
      },
      patternSlice(0, MiB),
    )
    expect(r.status).toBe(201)
    expect(r.headers.get('upload-offset')).toBe(String(MiB))
    const url = `${gw.url}${r.headers.get('location')}`
    expect((await patch(url, MiB, patternSlice(MiB, 2 * MiB))).status).toBe(204)
    expect((await stat(path.join(docs(), 'cwu.bin'))).size).toBe(2 * MiB)
  })

  it('checksums: a matching sha1 is taken, a wrong md5 is 460 and its bytes do not count', async () => {
    const size = 2 * MiB
    const url = await create('/docs/sum.bin', size)
    const first = patternSlice(0, MiB)
    const sha1 = createHash('sha1').update(first).digest('base64')
    expect((await patch(url, 0, first, { 'upload-checksum': `sha1 ${sha1}` })).status).toBe(204)
    const second = patternSlice(MiB, size)
    const wrong = createHash('md5').update('something else').digest('base64')
    await problem(
      await patch(url, MiB, second, { 'upload-checksum': `md5 ${wrong}` }),
      460,
      'GW_ERR_CHECKSUM_MISMATCH',
    )
    expect(await offsetOf(url)).toBe(MiB)
    // The refused bytes are overwritten by the resent ones.
    const md5 = createHash('md5').update(second).digest('base64')
    expect((await patch(url, MiB, second, { 'upload-checksum': `md5 ${md5}` })).status).toBe(204)
    expect(await hashFile(path.join(docs(), 'sum.bin'))).toBe(
      createHash('sha256').update(patternSlice(0, size)).digest('hex'),
    )
    expect((await namesIn(docs())).filter((n) => n.includes('sum'))).toEqual(['sum.bin'])
  })

  it('termination removes the partial file; the upload is then unknown', async () => {
    const url = await create('/docs/gone.bin', 2 * MiB)
    await patch(url, 0, patternSlice(0, MiB))
    const del = await tus(url, 'DELETE', { authorization: auth })
    expect(del.status).toBe(204)
    expect((await namesIn(docs())).filter((n) => n.includes('gone'))).toEqual([])
    expect((await tus(url, 'HEAD', { authorization: auth })).status).toBe(404)
    await problem(await patch(url, MiB, Buffer.from('x')), 404, 'GW_ERR_UPLOAD_NOT_FOUND')
  })

  it('a second PATCH while one is running gets 423, and nothing is corrupted', async () => {
    const size = 2 * MiB
    const url = await create('/docs/locked.bin', size)
    // The first PATCH sends half its body and waits; the lock is held meanwhile.
    const { req, status: firstDone } = openPatch(url, auth, size)
    req.write(patternSlice(0, MiB))
    expect(
      await waitFor(
        async () =>
          (await stat(path.join(docs())).then(() => namesIn(docs()))).some((n) => n.startsWith('.locked')),
        5000,
      ),
    ).toBe(true)
    const partial = (await namesIn(docs())).find((n) => n.startsWith('.locked'))!
    expect(
      await waitFor(async () => (await stat(path.join(docs(), partial))).size > 0, 10_000),
      'first bytes on the server',
    ).toBe(true)
    const second = await patch(url, 0, patternSlice(0, MiB))
    await problem(second, 423, 'GW_ERR_UPLOAD_LOCKED')
    req.end(patternSlice(MiB, size))
    expect(await firstDone).toBe(204)
    expect(await hashFile(path.join(docs(), 'locked.bin'))).toBe(
      createHash('sha256').update(patternSlice(0, size)).digest('hex'),
    )
  })

  it("the README's curl walk-through: create, PATCH from a file, HEAD, PATCH the rest from stdin (chunked)", async () => {
    const size = 3 * MiB + 5
    const dir = await mkdtemp(path.join(tmpdir(), 'ftpgw-tus-curl-'))
    const src = path.join(dir, 'big.iso')
    await writeFile(src, patternSlice(0, size))
    const [user, pass] = [server.user, server.password]
    const created = await run('curl', [
      '-s',
      '-S',
      '-i',
      '-u',
      `${user}:${pass}`,
      '-X',
      'POST',
      endpoint,
      '-H',
      'Tus-Resumable: 1.0.0',
      '-H',
      `Upload-Length: ${size}`,
      '-H',
      `Upload-Metadata: path ${Buffer.from('/docs/big.iso').toString('base64')}`,
    ])
    const location = /^location: (\S+)/im.exec(created.stdout.toString())?.[1]
    expect(location).toMatch(/^\/api\/v1\/uploads\//)
    const url = `${gw.url}${location}`
    const first = await writeFile(path.join(dir, 'first'), patternSlice(0, MiB)).then(() =>
      run('curl', [
        '-s',
        '-S',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-u',
        `${user}:${pass}`,
        '-X',
        'PATCH',
        url,
        '-H',
        'Tus-Resumable: 1.0.0',
        '-H',
        'Content-Type: application/offset+octet-stream',
        '-H',
        'Upload-Offset: 0',
        '--data-binary',
        `@${path.join(dir, 'first')}`,
      ]),
    )
    expect(first.stdout.toString()).toBe('204')
    const head = await run('curl', [
      '-s',
      '-S',
      '-I',
      '-u',
      `${user}:${pass}`,
      url,
      '-H',
      'Tus-Resumable: 1.0.0',
    ])
    const offset = Number(/^upload-offset: (\d+)/im.exec(head.stdout.toString())?.[1])
    expect(offset).toBe(MiB)
    // `tail -c +N file | curl -T -`: a chunked body without Content-Length.
    const rest = await run('sh', [
      '-c',
      `tail -c +${offset + 1} '${src}' | curl -s -S -o /dev/null -w '%{http_code}' -u '${user}:${pass}' -X PATCH '${url}' -H 'Tus-Resumable: 1.0.0' -H 'Content-Type: application/offset+octet-stream' -H 'Upload-Offset: ${offset}' -T -`,
    ])
    expect(rest.stdout.toString()).toBe('204')
    expect(await hashFile(path.join(docs(), 'big.iso'))).toBe(await hashFile(src))
    await rm(dir, { recursive: true, force: true })
  })

  it('a chunked PATCH running past Upload-Length: 413, and its bytes do not count', async () => {
    const own = await create('/docs/too-long.bin', 2 * MiB)
    expect((await patch(own, 0, patternSlice(0, MiB))).status).toBe(204)
    const src = path.join(server.root, '..', `too-long-${kind.name}.bin`)
    await writeFile(src, patternSlice(MiB, 2 * MiB + 4096))
    const r = await run('sh', [
      '-c',
      `curl -s -S -o /dev/null -w '%{http_code}' -u '${server.user}:${server.password}' -X PATCH '${own}' -H 'Tus-Resumable: 1.0.0' -H 'Content-Type: application/offset+octet-stream' -H 'Upload-Offset: ${MiB}' -T - < '${src}'`,
    ])
    expect(r.stdout.toString()).toBe('413')
    await rm(src, { force: true })
    // The upload is where it was; what the body wrote up to Upload-Length is written over next.
    expect(await offsetOf(own)).toBe(MiB)
    expect((await patch(own, MiB, patternSlice(MiB, 2 * MiB))).status).toBe(204)
    expect(await hashFile(path.join(docs(), 'too-long.bin'))).toBe(
      createHash('sha256')
        .update(patternSlice(0, 2 * MiB))
        .digest('hex'),
    )
  })

  describe('bad input: a clear 4xx, nothing written', () => {
    let url: string
    beforeAll(async () => {
      url = await create('/docs/bad.bin', 2 * MiB)
      await patch(url, 0, patternSlice(0, MiB))
    })
    const partialSize = async () => {
      const name = (await namesIn(docs())).find((n) => n.startsWith('.bad.bin.'))
      return name === undefined ? -1 : (await stat(path.join(docs(), name))).size
    }

    const creations: Array<[string, Record<string, string | undefined>, number, string]> = [
      ['no Tus-Resumable', { 'tus-resumable': undefined }, 412, 'GW_ERR_TUS_VERSION'],
      ['another Tus-Resumable', { 'tus-resumable': '0.2.2' }, 412, 'GW_ERR_TUS_VERSION'],
      [
        'only the filename key',
        { 'upload-metadata': tusMetadata({ filename: 'x.bin' }) },
        400,
        'GW_ERR_BAD_HEADER',
      ],
      ['metadata that is not base64', { 'upload-metadata': 'path !!!!' }, 400, 'GW_ERR_BAD_HEADER'],
      [
        'metadata with a repeated key',
        { 'upload-metadata': `${tusMetadata({ path: 'a' })},${tusMetadata({ path: 'b' })}` },
        400,
        'GW_ERR_BAD_HEADER',
      ],
      [
        'metadata that is not UTF-8',
        { 'upload-metadata': `path ${Buffer.from([0xff, 0xfe]).toString('base64')}` },
        400,
        'GW_ERR_BAD_HEADER',
      ],
      [
        'a path with ..',
        { 'upload-metadata': tusMetadata({ path: 'docs/../../etc/x' }) },
        400,
        'FILE_ERR_BAD_PATH',
      ],
      [
        'a path with a line break',
        { 'upload-metadata': tusMetadata({ path: 'docs/a\r\nDELE b' }) },
        400,
        'FILE_ERR_BAD_PATH',
      ],
      [
        'a folder as the path',
        { 'upload-metadata': tusMetadata({ path: 'docs/' }) },
        400,
        'FILE_ERR_BAD_PATH',
      ],
      ['no Upload-Length', { 'upload-length': undefined }, 400, 'GW_ERR_BAD_HEADER'],
      ['a negative Upload-Length', { 'upload-length': '-1' }, 400, 'GW_ERR_BAD_HEADER'],
      [
        'Upload-Length over UPLOAD_MAX_BYTES',
        { 'upload-length': String(MAX + 1) },
        413,
        'GW_ERR_UPLOAD_TOO_LARGE',
      ],
      [
        'Upload-Defer-Length',
        { 'upload-length': undefined, 'upload-defer-length': '1' },
        400,
        'GW_ERR_BAD_HEADER',
      ],
      ['a weak If-Match', { 'if-match': 'W/"x"' }, 412, 'FILE_ERR_PRECONDITION'],
    ]
    it.each(creations)('creation with %s', async (_name, headers, status, code) => {
      const before = await namesIn(docs())
      const sent = await ftpDuring(async () => {
        const r = await tus(endpoint, 'POST', {
          authorization: auth,
          'upload-length': '10',
          'upload-metadata': tusMetadata({ path: 'docs/new.bin' }),
          ...headers,
        })
        await problem(r, status, code)
      })
      expect(sent).toEqual([])
      expect(await namesIn(docs())).toEqual(before)
    })

    const patches: Array<[string, Record<string, string | undefined>, Buffer, number, string]> = [
      ['no Tus-Resumable', { 'tus-resumable': undefined }, Buffer.from('abc'), 412, 'GW_ERR_TUS_VERSION'],
      [
        'the wrong Content-Type',
        { 'content-type': 'application/octet-stream' },
        Buffer.from('abc'),
        415,
        'GW_ERR_MEDIA_TYPE',
      ],
      ['no Upload-Offset', { 'upload-offset': undefined }, Buffer.from('abc'), 400, 'GW_ERR_BAD_HEADER'],
      ['a malformed Upload-Offset', { 'upload-offset': '1e3' }, Buffer.from('abc'), 400, 'GW_ERR_BAD_HEADER'],
      ['a body past Upload-Length', {}, Buffer.alloc(MiB + 1), 413, 'GW_ERR_UPLOAD_TOO_LARGE'],
      [
        'an offset past Upload-Length',
        { 'upload-offset': String(3 * MiB) },
        Buffer.from('a'),
        409,
        'GW_ERR_UPLOAD_OFFSET',
      ],
      [
        'an unknown checksum algorithm',
        { 'upload-checksum': 'crc32 AAAAAA==' },
        Buffer.from('abc'),
        400,
        'GW_ERR_BAD_HEADER',
      ],
      [
        'a malformed checksum',
        { 'upload-checksum': 'sha1 nope' },
        Buffer.from('abc'),
        400,
        'GW_ERR_BAD_HEADER',
      ],
    ]
    it.each(patches)('PATCH with %s', async (_name, headers, body, status, code) => {
      const before = await partialSize()
      const sent = await ftpDuring(async () => problem(await patch(url, MiB, body, headers), status, code))
      expect(sent).toEqual([])
      expect(await partialSize()).toBe(before)
    })

    it('PATCH with the wrong Upload-Offset: 409 after SIZE, nothing written', async () => {
      const before = await partialSize()
      const sent = await ftpDuring(async () =>
        problem(await patch(url, 5, Buffer.from('abc')), 409, 'GW_ERR_UPLOAD_OFFSET'),
      )
      expect(sent).toContain('SIZE')
      expect(sent.filter((c) => ['STOR', 'APPE', 'REST'].includes(c))).toEqual([])
      expect(await partialSize()).toBe(before)
      expect(await offsetOf(url)).toBe(MiB)
    })

    it('an unknown or malformed upload id: 404 without an FTP command', async () => {
      const sent = await ftpDuring(async () => {
        await problem(
          await patch(`${endpoint}AAAAAAAAAAAAAAAAAAAAAAAA`, 0, Buffer.from('a')),
          404,
          'GW_ERR_UPLOAD_NOT_FOUND',
        )
        await problem(
          await patch(`${endpoint}not-an-id`, 0, Buffer.from('a')),
          404,
          'GW_ERR_UPLOAD_NOT_FOUND',
        )
        expect(
          (await tus(`${endpoint}AAAAAAAAAAAAAAAAAAAAAAAA`, 'HEAD', { authorization: auth })).status,
        ).toBe(404)
        await problem(
          await tus(`${endpoint}AAAAAAAAAAAAAAAAAAAAAAAA`, 'DELETE', { authorization: auth }),
          404,
          'GW_ERR_UPLOAD_NOT_FOUND',
        )
      })
      expect(sent).toEqual([])
    })

    it('no credentials: 401 before anything', async () => {
      const r = await tus(
        url,
        'PATCH',
        { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(MiB) },
        'x',
      )
      expect(r.status).toBe(401)
      expect(await partialSize()).toBe(MiB)
    })

    // Users of their own are set up on vsftpd only; these run there (not reported as skipped elsewhere).
    if (kind.name === 'vsftpd')
      it("another user's upload is 404 to them, nothing written", async () => {
        const other = (server as VsftpdHandle).users[0]!
        const otherAuth = basicAuth(other.user, other.password)
        // Their login is verified first (one FTP login), then the upload is refused without a command.
        await fetch(`${gw.url}/api/v1/dirs/`, { headers: { authorization: otherAuth } })
        const sent = await ftpDuring(async () => {
          await problem(
            await patch(url, MiB, Buffer.from('abc'), { authorization: otherAuth }),
            404,
            'GW_ERR_UPLOAD_NOT_FOUND',
          )
          expect((await tus(url, 'HEAD', { authorization: otherAuth })).status).toBe(404)
          await problem(
            await tus(url, 'DELETE', { authorization: otherAuth }),
            404,
            'GW_ERR_UPLOAD_NOT_FOUND',
          )
        })
        expect(sent).toEqual([])
        expect(await partialSize()).toBe(MiB)
      })
  })

  describe('creation checks what a PUT would, before any byte', () => {
    it('If-None-Match: * on an existing file is 412, and no partial file is made', async () => {
      await writeFile(path.join(docs(), 'exists.txt'), 'here')
      await chown(path.join(docs(), 'exists.txt'), server.uid, server.gid)
      const r = await tus(endpoint, 'POST', {
        authorization: auth,
        'upload-length': '5',
        'upload-metadata': tusMetadata({ path: 'docs/exists.txt' }),
        'if-none-match': '*',
      })
      await problem(r, 412, 'FILE_ERR_PRECONDITION')
      expect((await namesIn(docs())).filter((n) => n.includes('exists'))).toEqual(['exists.txt'])
    })

    if (kind.name === 'vsftpd')
      it('a user who may not write there is refused (403) at creation', async () => {
        const ro = (server as VsftpdHandle).users.find((u) => u.user === 'ftpgw-tus-ro')!
        expect(ro, JSON.stringify((server as VsftpdHandle).users)).toBeDefined()
        const r = await tus(endpoint, 'POST', {
          authorization: basicAuth(ro.user, ro.password),
          'upload-length': '5',
          'upload-metadata': tusMetadata({ path: 'x.bin' }),
        })
        await problem(r, 403, 'FILE_ERR_FORBIDDEN')
        expect(await namesIn(ro.root)).toEqual([])
      })

    it('a missing parent folder is 409', async () => {
      const r = await tus(endpoint, 'POST', {
        authorization: auth,
        'upload-length': '5',
        'upload-metadata': tusMetadata({ path: 'nowhere/x.bin' }),
      })
      await problem(r, 409, 'FILE_ERR_CONFLICT')
    })

    it('a folder at the destination is 409', async () => {
      const r = await tus(endpoint, 'POST', {
        authorization: auth,
        'upload-length': '5',
        'upload-metadata': tusMetadata({ path: 'docs' }),
      })
      await problem(r, 409, 'FILE_ERR_CONFLICT')
    })

    it('an empty upload is complete at once', async () => {
      const url = await create('/docs/empty.bin', 0)
      expect((await stat(path.join(docs(), 'empty.bin'))).size).toBe(0)
      expect(await offsetOf(url)).toBe(0)
    })
  })
})
