/** The OpenAPI contract: the committed file is current, and real responses match what it declares. */
import { readFile } from 'node:fs/promises'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { PROBLEM_CODES } from '../../../src/http/errors.js'
import { buildOpenApiDocument, openApiYaml } from '../../../src/http/openapi-document.js'
import { shapeDocument } from '../../../src/http/openapi-shape.js'
import { buildTestApp, GOOD_AUTH } from '../../helpers/http-app.js'

type Json = Record<string, unknown>
type Response = { $ref?: string; description?: string; content?: Record<string, { schema: Json }> }
type Operation = {
  operationId?: string
  security?: Array<Record<string, string[]>>
  parameters?: Array<{ in: string; name: string }>
  requestBody?: { content: Record<string, { schema: Json }> }
  responses: Record<string, Response>
}
type Doc = {
  paths: Record<string, Record<string, Operation>>
  servers?: Array<{ url: string }>
  components: { schemas: Record<string, Json>; responses: Record<string, Response> }
}

async function documentOf(): Promise<Doc> {
  const doc = (await buildOpenApiDocument()) as Doc
  // Shared problem responses are references: resolve them so tests read the response itself.
  for (const ops of Object.values(doc.paths))
    for (const op of Object.values(ops))
      for (const [status, r] of Object.entries(op.responses))
        if (r.$ref) op.responses[status] = doc.components.responses[r.$ref.split('/').pop()!]!
  return doc
}

function operations(doc: Doc): Array<[string, string, Operation]> {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => [path, method, op] as [string, string, Operation]),
  )
}

// Inlines `#/components/schemas/X` references so ajv sees plain schemas.
function deref(schema: unknown, components: Record<string, Json>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => deref(s, components))
  if (schema === null || typeof schema !== 'object') return schema
  const ref = (schema as Json).$ref
  if (typeof ref === 'string') return deref(components[ref.replace('#/components/schemas/', '')], components)
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => k !== '$id')
      .map(([k, v]) => [k, deref(v, components)]),
  )
}

describe('openapi/openapi.yaml', () => {
  it('matches what the code generates', async () => {
    const committed = await readFile(new URL('../../../openapi/openapi.yaml', import.meta.url), 'utf8').catch(
      () => '',
    )
    const generated = openApiYaml(await buildOpenApiDocument())
    expect(
      committed === generated,
      'openapi/openapi.yaml is stale: run `npx tsx scripts/generate-openapi.ts`',
    ).toBe(true)
  })

  it('the problem schema lists every error code', async () => {
    const doc = await documentOf()
    const problem = doc.components.schemas.Problem as { properties: { code: { enum: string[] } } }
    expect(problem.properties.code.enum.sort()).toEqual([...PROBLEM_CODES].sort())
  })

  it('declares the security schemes and the sessions routes', async () => {
    const doc = (await documentOf()) as unknown as { components: { securitySchemes: Json } } & Awaited<
      ReturnType<typeof documentOf>
    >
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'basicAuth',
      'bearerAuth',
      'sessionCookie',
      'sharePassword',
    ])
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/sessions',
        '/api/v1/sessions/current',
        '/api/v1/shares',
        '/api/v1/shares/{id}',
        '/s/{id}/download',
        '/s/{id}/files/{path}',
      ]),
    )
  })
})

describe('a contract a generated client can use (issue 21)', () => {
  it('every operation has a unique operationId, a security rule and described responses', async () => {
    const raw = (await buildOpenApiDocument()) as Doc
    const ids = operations(raw).map(([path, method, op]) => op.operationId ?? `${method} ${path}: none`)
    expect(ids.filter((id) => id.includes(': none'))).toEqual([])
    expect(new Set(ids).size).toBe(ids.length)
    for (const [path, method, op] of operations(raw)) {
      expect(op.security, `${method} ${path}`).toBeDefined()
      for (const [status, r] of Object.entries(op.responses)) {
        const description = r.$ref
          ? raw.components.responses[r.$ref.split('/').pop()!]?.description
          : r.description
        expect(description, `${method} ${path} ${status}`).toBeTruthy()
        expect(description).not.toBe('Default Response')
      }
    }
    expect(raw.servers?.[0]?.url).toBe('/')
  })

  it('problem responses are one shared component per status, not inline blocks', async () => {
    const raw = (await buildOpenApiDocument()) as Doc
    for (const [path, method, op] of operations(raw)) {
      for (const [status, r] of Object.entries(op.responses)) {
        if (Number(status) >= 400 && path.startsWith('/api/')) {
          expect(r.$ref, `${method} ${path} ${status}`).toMatch(/^#\/components\/responses\/[A-Z]/)
        }
      }
    }
    expect(raw.components.responses.ServiceUnavailable).toMatchObject({
      headers: { 'Retry-After': expect.anything() },
    })
  })

  it('no anyOf of one-value enums; named schemas for the bodies', async () => {
    const text = JSON.stringify(await buildOpenApiDocument())
    expect(text).not.toMatch(/"anyOf":\[\{"const"/)
    expect(text).not.toMatch(/"anyOf":\[\{"enum":\["[^"]*"\]/)
    const doc = await documentOf()
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'Problem',
        'Stat',
        'Entry',
        'EntryType',
        'Listing',
        'TransferRequest',
        'TransferResult',
      ]),
    )
  })

  it('refuses two different schemas under one component name', () => {
    const op = (type: string) => ({
      responses: { '200': { content: { 'application/json': { schema: { title: 'Thing', type } } } } },
    })
    const doc = { paths: { '/a': { get: op('string') }, '/b': { get: op('integer') } }, components: {} }
    expect(() => shapeDocument(doc)).toThrow(/two different schemas are both titled Thing/)
    const same = { paths: { '/a': { get: op('string') }, '/b': { get: op('string') } }, components: {} }
    expect(shapeDocument(same)).toMatchObject({ components: { schemas: { Thing: { type: 'string' } } } })
  })

  it('documents the upload body, request headers and response headers', async () => {
    const doc = await documentOf()
    const put = doc.paths['/api/v1/files/{path}']!.put!
    expect(put.requestBody?.content['application/octet-stream']?.schema).toMatchObject({
      type: 'string',
      format: 'binary',
    })
    const headerNames = (op: Operation) =>
      (op.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name)
    expect(headerNames(put)).toEqual(
      expect.arrayContaining(['If-Match', 'If-None-Match', 'Content-MD5', 'Repr-Digest', 'X-OC-Mtime']),
    )
    const get = doc.paths['/api/v1/files/{path}']!.get!
    expect(headerNames(get)).toEqual(expect.arrayContaining(['Range', 'If-Match', 'If-None-Match']))
    const headersOf = (r: Response | undefined) => Object.keys((r as { headers?: Json })?.headers ?? {})
    expect(headersOf(get.responses['200'])).toEqual(expect.arrayContaining(['ETag', 'Last-Modified']))
    expect(headersOf(get.responses['206'])).toContain('Content-Range')
    expect(headersOf(put.responses['201'])).toEqual(expect.arrayContaining(['ETag', 'Location']))
    expect(headersOf(doc.paths['/api/v1/copy']!.post!.responses['201'])).toContain('Location')
    expect(headersOf(doc.paths['/api/v1/files/{path}']!.get!.responses['503'])).toContain('Retry-After')
  })
})

describe('responses match the document', () => {
  it('every documented operation exists', async () => {
    const doc = await documentOf()
    const { app } = await buildTestApp()
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.startsWith('/api/v1/sessions')) continue // mounted only with a SessionApi
      for (const method of Object.keys(ops)) {
        const url = path.replace('{path}', 'x')
        const r = await app.inject({ method: method.toUpperCase() as 'GET', url })
        expect(
          [404, 405].includes(r.statusCode) && /GW_ERR_(NOT_FOUND|METHOD)/.test(r.body),
          `${method} ${path}`,
        ).toBe(false)
      }
    }
  })

  it('observed statuses and bodies are documented', async () => {
    const doc = await documentOf()
    const ajv = new Ajv({ strict: false, validateFormats: false })
    const { app, files } = await buildTestApp()
    files.putFile('d/f.txt', 'hello')
    const auth = { authorization: GOOD_AUTH }
    const json = { ...auth, 'content-type': 'application/json' }
    const cases: Array<[string, string, string, Record<string, string>?, string?]> = [
      ['GET', '/api/v1/files/{path}', '/api/v1/files/d/f.txt', auth],
      ['GET', '/api/v1/files/{path}', '/api/v1/files/d/f.txt', { ...auth, range: 'bytes=0-1' }],
      ['GET', '/api/v1/files/{path}', '/api/v1/files/d/f.txt', { ...auth, range: 'bytes=9-' }],
      ['GET', '/api/v1/files/{path}', '/api/v1/files/d/f.txt', { ...auth, range: 'bytes=x' }],
      ['GET', '/api/v1/files/{path}', '/api/v1/files/d/f.txt', { ...auth, 'if-none-match': '*' }],
      ['GET', '/api/v1/files/{path}', '/api/v1/files/d/f.txt', { ...auth, 'if-match': '"x"' }],
      ['GET', '/api/v1/files/{path}', '/api/v1/files/nope', auth],
      ['GET', '/api/v1/files/{path}', '/api/v1/files/d', auth],
      ['GET', '/api/v1/files/{path}', '/api/v1/files/d/f.txt'],
      ['PUT', '/api/v1/files/{path}', '/api/v1/files/d/g.txt', auth, 'x'],
      ['PUT', '/api/v1/files/{path}', '/api/v1/files/d/g.txt', auth, 'y'],
      ['PUT', '/api/v1/files/{path}', '/api/v1/files/d/g.txt', { ...auth, 'if-none-match': '*' }, 'y'],
      ['DELETE', '/api/v1/files/{path}', '/api/v1/files/d/g.txt', auth],
      ['GET', '/api/v1/dirs', '/api/v1/dirs', auth],
      ['GET', '/api/v1/dirs/{path}', '/api/v1/dirs/d?limit=1', auth],
      ['GET', '/api/v1/dirs/{path}', '/api/v1/dirs/d?limit=0', auth],
      ['POST', '/api/v1/dirs/{path}', '/api/v1/dirs/e', auth],
      ['POST', '/api/v1/dirs/{path}', '/api/v1/dirs/e', auth],
      ['DELETE', '/api/v1/dirs/{path}', '/api/v1/dirs/d', auth],
      ['DELETE', '/api/v1/dirs/{path}', '/api/v1/dirs/e', auth],
      ['GET', '/api/v1/stat/{path}', '/api/v1/stat/d/f.txt', auth],
      ['POST', '/api/v1/copy', '/api/v1/copy', json, '{"from":"d/f.txt","to":"d/c.txt"}'],
      ['POST', '/api/v1/copy', '/api/v1/copy', json, '{"from":"d/f.txt","to":"d/c.txt"}'],
      ['POST', '/api/v1/move', '/api/v1/move', json, '{"from":"d/c.txt","to":"d/f.txt","overwrite":true}'],
      ['POST', '/api/v1/move', '/api/v1/move', json, '{"from":'],
      ['POST', '/api/v1/move', '/api/v1/move', { ...auth, 'content-type': 'text/plain' }, 'x'],
      ['GET', '/api/v1/admin/bans', '/api/v1/admin/bans', auth],
      ['DELETE', '/api/v1/admin/bans/{id}', `/api/v1/admin/bans/a${'0'.repeat(32)}`, auth],
      ['DELETE', '/api/v1/admin/bans/{id}', '/api/v1/admin/bans/not-an-id', auth],
      ['GET', '/healthz', '/healthz'],
      ['GET', '/readyz', '/readyz'],
    ]
    for (const [method, template, url, headers, payload] of cases) {
      const r = await app.inject({
        method: method as 'GET',
        url,
        headers: headers ?? {},
        ...(payload === undefined ? {} : { payload }),
      })
      const op = doc.paths[template]?.[method.toLowerCase()]
      const label = `${method} ${url} → ${r.statusCode}`
      expect(op, label).toBeDefined()
      const response = op!.responses[String(r.statusCode)]
      expect(response, `${label} is not documented`).toBeDefined()
      const type = String(r.headers['content-type'] ?? '').split(';')[0]!
      if (r.body === '' || response!.content === undefined) continue
      const content = response!.content[type] ?? response!.content['*/*']
      expect(content, `${label}: ${type} not declared`).toBeDefined()
      if (type.endsWith('json')) {
        const validate = ajv.compile(deref(content!.schema, doc.components.schemas) as Json)
        expect(validate(r.json()), `${label}: ${JSON.stringify(validate.errors)}`).toBe(true)
      }
    }
  })
})
