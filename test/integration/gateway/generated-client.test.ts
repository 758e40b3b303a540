/**
 * The contract generates a working client (issue 21): openapi-typescript turns the gateway's own
 * `/openapi.json` into types in a temporary folder, a small program written against them with
 * openapi-fetch is type-checked by tsc (strict; with `@ts-expect-error` lines that only hold when
 * the types are real, not `Record<string, never>` or `any`), and then run against real vsftpd:
 * upload, list, download a range, move and delete.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicAuth, type GatewayHandle, startGateway } from '../../helpers/gateway.js'
import { type FtpServerHandle, startVsftpd } from '../../helpers/servers/index.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

// The program a user would write against the generated types. Every call is typed: a wrong path,
// parameter or body field is a tsc error, and the results are read through the generated schemas.
const CLIENT = `import createClient from 'openapi-fetch'
import type { components, operations, paths } from './api.js'

type Entry = components['schemas']['Entry']
type Transfer = components['schemas']['TransferResult']
type Problem = components['schemas']['Problem']

// Only true when the generated types are real (not Record<string, never>, not any).
export const upload: keyof operations = 'uploadFile'
// @ts-expect-error: not an operation of the contract
export const nope: keyof operations = 'noSuchOperation'
export const kind: Entry['type'] = 'file'
// @ts-expect-error: the entry type is a closed set of strings
export const wrongKind: Entry['type'] = 'folder'

export interface Outcome {
  uploaded: number
  etag: string | undefined
  listed: Array<{ name: string; type: Entry['type']; size: number | null }>
  range: { status: number; contentRange: string | null; text: string }
  moved: { status: number; body: Transfer | undefined; location: string | null }
  missing: { status: number; problem: Problem | undefined }
  deleted: number
  after: string[]
}

export async function run(baseUrl: string, authorization: string, dir: string, content: string): Promise<Outcome> {
  const client = createClient<paths>({ baseUrl, headers: { authorization } })
  const file = { path: { path: \`\${dir}/report.txt\` } }

  await client.POST('/api/v1/dirs/{path}', { params: { path: { path: dir }, query: { parents: '1' } } })
  const put = await client.PUT('/api/v1/files/{path}', {
    params: { ...file, header: { 'If-None-Match': '*' } },
    body: content,
    // The body is the file itself: bytes as they are, not JSON.
    bodySerializer: (body: string) => body,
    headers: { 'content-type': 'application/octet-stream' },
  })

  const list = await client.GET('/api/v1/dirs/{path}', { params: { path: { path: dir }, query: { limit: 100 } } })
  const listed = (list.data?.entries ?? []).map((e: Entry) => ({ name: e.name, type: e.type, size: e.size }))

  const part = await client.GET('/api/v1/files/{path}', {
    params: { ...file, header: { Range: 'bytes=6-10' } },
    parseAs: 'text',
  })

  const move = await client.POST('/api/v1/move', {
    body: { from: \`\${dir}/report.txt\`, to: \`\${dir}/final.txt\` },
  })
  const again = await client.POST('/api/v1/move', {
    body: { from: \`\${dir}/report.txt\`, to: \`\${dir}/final.txt\` },
  })

  const del = await client.DELETE('/api/v1/files/{path}', { params: { path: { path: \`\${dir}/final.txt\` } } })
  const after = await client.GET('/api/v1/dirs/{path}', { params: { path: { path: dir } } })

  return {
    uploaded: put.response.status,
    etag: put.data?.etag,
    listed,
    range: {
      status: part.response.status,
      contentRange: part.response.headers.get('content-range'),
      text: part.data ?? '',
    },
    moved: { status: move.response.status, body: move.data, location: move.response.headers.get('location') },
    missing: { status: again.response.status, problem: again.error as Problem | undefined },
    deleted: del.response.status,
    after: (after.data?.entries ?? []).map((e: Entry) => e.name),
  }
}
`

/** What the generated program's `run` gives back (checked here at run time, there by tsc). */
type RunClient = (
  baseUrl: string,
  authorization: string,
  dir: string,
  content: string,
) => Promise<{
  uploaded: number
  etag: string | undefined
  listed: unknown[]
  range: { status: number; contentRange: string | null; text: string }
  moved: { status: number; body: unknown; location: string | null }
  missing: { status: number; problem: unknown }
  deleted: number
  after: string[]
}>

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: true,
    lib: ['ES2022', 'DOM'],
    types: [],
  },
  include: ['*.ts'],
}

function tsc(dir: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')],
      { encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    )
  })
}

describe('a client generated from /openapi.json (openapi-typescript + openapi-fetch)', () => {
  let server: FtpServerHandle
  let gw: GatewayHandle
  let work: string

  beforeAll(async () => {
    server = await startVsftpd()
    gw = await startGateway(server, { REDIS_URL: '' })
    work = await mkdtemp(path.join(os.tmpdir(), 'ftpgw-client-'))
    // The generated program resolves openapi-fetch (and tsc its types) from the project's packages.
    await symlink(await realpath(path.join(REPO, 'node_modules')), path.join(work, 'node_modules'), 'dir')
    await writeFile(path.join(work, 'package.json'), JSON.stringify({ type: 'module' }))
  })

  afterAll(async () => {
    await gw?.close()
    await server?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('generates types with every operation, type-checks, and works against vsftpd', async () => {
    const contract = await fetch(`${gw.url}/openapi.json`)
    expect(contract.status).toBe(200)
    const types = astToString(await openapiTS(new URL(`${gw.url}/openapi.json`)))
    // Before issue 21 there were no operationIds: `operations = Record<string, never>`.
    expect(types).not.toMatch(/operations = Record<string, never>/)
    for (const op of ['uploadFile', 'downloadFile', 'listFolder', 'moveEntry', 'deleteFile']) {
      expect(types).toContain(`${op}: {`)
    }
    await writeFile(path.join(work, 'api.d.ts'), types)
    await writeFile(path.join(work, 'client.ts'), CLIENT)
    await writeFile(path.join(work, 'tsconfig.json'), JSON.stringify(TSCONFIG))

    const checked = await tsc(work)
    expect(checked.out).toBe('')
    expect(checked.code).toBe(0)

    const { run } = (await import(path.join(work, 'client.ts'))) as { run: RunClient }
    const content = 'hello generated client\n'
    const dir = `gen-${Date.now()}`
    const out = await run(gw.url, basicAuth(server.user, server.password), dir, content)

    expect(out.uploaded).toBe(201)
    expect(out.etag).toMatch(/^"/)
    expect(out.listed).toEqual([{ name: 'report.txt', type: 'file', size: content.length }])
    expect(out.range).toEqual({
      status: 206,
      contentRange: `bytes 6-10/${content.length}`,
      text: content.slice(6, 11),
    })
    expect(out.moved.status).toBe(201)
    expect(out.moved.body).toEqual({ from: `/${dir}/report.txt`, to: `/${dir}/final.txt`, replaced: false })
    expect(out.moved.location).toBe(`/api/v1/files/${dir}/final.txt`)
    expect(out.missing.status).toBe(404)
    expect(out.missing.problem).toMatchObject({ code: 'FILE_ERR_NOT_FOUND', missing: 'from' })
    expect(out.deleted).toBe(204)
    expect(out.after).toEqual([])
    expect(await readFile(path.join(server.root, dir, 'final.txt')).catch(() => 'gone')).toBe('gone')
  })
})
